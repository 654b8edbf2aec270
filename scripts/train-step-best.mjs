#!/usr/bin/env node
// Time of one replayed trainOnBatch step of a zoo model on a busy (shared) machine: the best of
// many short chunks of steps, wall and CPU time (user + sys of the whole process), so a chunk that
// ran while the machine was quiet gives the figure. Pair it with scripts/torch-train-step.py
// (the same step in PyTorch, same protocol) and run the two back to back.
//   node scripts/train-step-best.mjs [zooModel=lenet5] [batch=64] [chunks=40] [stepsPerChunk=10] [dist=../dist]
// CONVKIT_NUM_THREADS=1 for one thread. Not a test; a measurement.
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { trainingBatch } from './train-batch.mjs';
const [which = 'lenet5', bs = '64', cs = '40', ss = '10', dist] = process.argv.slice(2);
const here = dirname(fileURLToPath(import.meta.url));
const ck = await import(pathToFileURL(resolve(dist ?? resolve(here, '../dist'), 'index.js')).href);
const b = +bs, chunks = +cs, per = +ss;
const { m, x, y } = trainingBatch(ck, which, b);
for (let i = 0; i < 20; i++) m.trainOnBatch(x, y);
let cpu = Infinity, wall = Infinity;
for (let r = 0; r < chunks; r++) {
  const c0 = process.cpuUsage(), t0 = performance.now();
  for (let i = 0; i < per; i++) m.trainOnBatch(x, y);
  const c = process.cpuUsage(c0);
  wall = Math.min(wall, (performance.now() - t0) / per);
  cpu = Math.min(cpu, (c.user + c.system) / 1000 / per);
}
console.log(`${which} b${b}: wall ${wall.toFixed(3)} ms/step, cpu ${cpu.toFixed(3)} ms/step (best of ${chunks} x ${per} steps; ${ck.stepCaptureStats().replayed} replayed)`);
