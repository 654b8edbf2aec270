#!/usr/bin/env node
// Time per training step of model.fit in three modes, interleaved in one process on the same
// batches (minimum over repetitions, since the machine may be shared):
//   replay   — step capture on (lib/training/step_capture.ts), kernels off the main thread
//   deferred — capture off, kernels off the main thread (deferred execution)
//   eager    — capture and deferred execution off: every kernel on the main thread
// and, for the synchronous trainOnBatch the shared benchmark times, with capture on and off.
//   node scripts/fit-step.mjs [zooModel=lenet5] [batch=64] [reps=3]
// Not a test; a measurement.
import * as ck from '../dist/index.js';
const which = process.argv[2] ?? 'lenet5', b = +(process.argv[3] ?? 64), reps = +(process.argv[4] ?? 3);
ck.setSeed(1);
const m = ck.zoo[which]();
const shape = m.inputs[0].shape.slice(1);
const steps = 20, n = b * steps;
const x = ck.randomNormal([n, ...shape]);
const yv = new Float32Array(n * 10);
for (let i = 0; i < n; i++) yv[i * 10 + (i % 10)] = 1;
const y = ck.tensor(yv, [n, 10]);
const xb = ck.randomNormal([b, ...shape]);
const yb = ck.tensor(yv.slice(0, b * 10), [b, 10]);
m.compile({ optimizer: 'adam', loss: 'categorical_crossentropy' });
const modes = {
  replay: [true, true],
  deferred: [true, false],
  eager: [false, false],
};
const best = {};
const put = (k, v) => (best[k] = Math.min(best[k] ?? Infinity, v));
for (let r = 0; r <= reps; r++) {
  for (const [name, [deferred, capture]] of Object.entries(modes)) {
    ck.setDeferredExecution(deferred);
    ck.setStepCapture(capture);
    const t = performance.now();
    await m.fit(x, y, { batchSize: b, epochs: 1, verbose: 0, shuffle: false });
    if (r > 0) put(`fit ${name}`, (performance.now() - t) / steps);
  }
  for (const capture of [true, false]) {
    ck.setStepCapture(capture);
    const t = performance.now();
    for (let i = 0; i < steps; i++) m.trainOnBatch(xb, yb);
    if (r > 0) put(`trainOnBatch ${capture ? 'replay' : 'eager'}`, (performance.now() - t) / steps);
  }
}
ck.setDeferredExecution(true);
ck.setStepCapture(true);
for (const [k, v] of Object.entries(best)) console.log(which, `b${b}`, k.padEnd(22), v.toFixed(2), 'ms/step');
console.log(which, 'capture stats', JSON.stringify(ck.stepCaptureStats()));
