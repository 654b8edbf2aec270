#!/usr/bin/env node
// Where a training step's time goes: the step is captured (lib/training/step_capture.ts), then
// `steps` replayed trainOnBatch calls are timed job by job (the binding function behind each native
// job, its mean wall time, its share), plus what the step costs outside those jobs (the loss, the
// metrics, the optimizer call, copies, the JavaScript around them).
//   node scripts/step-profile.mjs [zooModel=lenet5] [batch=64] [steps=50]
// Not a test; a measurement (noisy on a shared machine).
import * as ck from '../dist/index.js';
import { trainingBatch } from './train-batch.mjs';
const which = process.argv[2] ?? 'lenet5', b = +(process.argv[3] ?? 64), steps = +(process.argv[4] ?? 50);
const { m, x, y } = trainingBatch(ck, which, b);
for (let i = 0; i < 5; i++) m.trainOnBatch(x, y);
if (ck.training.stepCaptureProfile(m, true).length === 0) {
  console.log('the step was not captured:', ck.stepCaptureStats().lastReason);
  process.exit(1);
}
const t = performance.now();
for (let i = 0; i < steps; i++) m.trainOnBatch(x, y);
const total = (performance.now() - t) / steps;
const [rep] = ck.training.stepCaptureProfile(m, false);
let inJobs = 0;
const rows = [];
for (const [part, r] of [['forward', rep.forward], ['backward', rep.backward]]) {
  r.names.forEach((name, i) => {
    const ms = r.ms[i] / r.runs;
    inJobs += ms;
    rows.push({ part, i, name, ms });
  });
}
console.log(`${which} b${b}: ${total.toFixed(2)} ms per replayed trainOnBatch step, ${inJobs.toFixed(2)} ms in the captured jobs (${rep.forward.names.length} forward, ${rep.backward.names.length} backward), ${(total - inJobs).toFixed(2)} ms elsewhere (loss, metrics, optimizer, copies, JavaScript)`);
for (const r of rows) console.log(`${r.part.padEnd(8)} ${String(r.i).padStart(3)} ${r.name.padEnd(34)} ${r.ms.toFixed(3).padStart(8)} ms ${((100 * r.ms) / total).toFixed(1).padStart(5)}%`);
const byName = new Map();
for (const r of rows) byName.set(r.name, (byName.get(r.name) ?? 0) + r.ms);
console.log('\nby function:');
for (const [name, ms] of [...byName].sort((a, c) => c[1] - a[1])) console.log(`  ${name.padEnd(34)} ${ms.toFixed(3).padStart(8)} ms ${((100 * ms) / total).toFixed(1).padStart(5)}%`);
