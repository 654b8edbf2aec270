#!/usr/bin/env node
// Time per training step of model.fit with deferred execution on and off (same process, same
// batches): node scripts/fit-step.mjs [zooModel=lenet5] [batch=64]. Not a test; a measurement.
import * as ck from '../dist/index.js';
const which = process.argv[2] ?? 'lenet5', b = +(process.argv[3] ?? 64);
ck.setSeed(1);
const m = ck.zoo[which]();
const shape = m.inputs[0].shape.slice(1);
const n = b * 20;
const x = ck.randomNormal([n, ...shape]);
const yv = new Float32Array(n*10); for (let i=0;i<n;i++) yv[i*10+i%10]=1;
const y = ck.tensor(yv, [n,10]);
m.compile({ optimizer: 'adam', loss: 'categorical_crossentropy' });
await m.fit(x, y, { batchSize: b, epochs: 1, verbose: 0, shuffle: false });
for (const d of [true, false]) {
  ck.setDeferredExecution(d);
  const t = performance.now();
  await m.fit(x, y, { batchSize: b, epochs: 2, verbose: 0, shuffle: false });
  console.log(which, d ? 'deferred' : 'eager', ((performance.now() - t) / 40).toFixed(2), 'ms/step');
}
