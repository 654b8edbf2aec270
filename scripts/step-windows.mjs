#!/usr/bin/env node
// Per-window timing of replayed trainOnBatch steps in one process, to tell a slow process (every
// window slow) from a slow moment (some windows slow): prints each window's mean step time.
//   node scripts/step-windows.mjs [zooModel=lenet5] [batch=64] [windows=15] [steps=20]
// Not a test; a measurement.
import * as ck from '../dist/index.js';
import { trainingBatch } from './train-batch.mjs';
const which = process.argv[2] ?? 'lenet5', b = +(process.argv[3] ?? 64);
const windows = +(process.argv[4] ?? 15), steps = +(process.argv[5] ?? 20);
const { m, x, y } = trainingBatch(ck, which, b);
for (let i = 0; i < 10; i++) m.trainOnBatch(x, y);
const ms = [];
for (let w = 0; w < windows; w++) {
  const t = performance.now();
  for (let i = 0; i < steps; i++) m.trainOnBatch(x, y);
  ms.push((performance.now() - t) / steps);
}
const s = [...ms].sort((p, q) => p - q);
console.log(`${which} b${b} pid ${process.pid}: min ${s[0].toFixed(2)} median ${s[s.length >> 1].toFixed(2)} ms/step; windows ${ms.map((v) => v.toFixed(2)).join(' ')}`);
