// A worker_thread that loads convkit (its own addon instance) and computes.
import { parentPort, workerData } from 'node:worker_threads';
import * as ck from '../../dist/index.js';

const { seed, mode } = workerData;
const x = ck.randomNormal([64, 257], 0, 1, 'float32', seed);
const s = ck.softmax(x);
const r = ck.sum(ck.mul(s, ck.tanh(x)), 1);
let asyncSum = 0;
for (let i = 0; i < 20; i++) {
  const t = await ck.sumAsync(ck.relu(x));
  asyncSum += t.dataSync()[0];
}
const result = { seed, values: Array.from(r.dataSync()), asyncSum, threads: ck.getNumThreads() };
if (mode === 'hang') {
  // Start long async work and never finish: the parent terminates us mid-computation.
  const { referenceMatMulAsync } = await import('./reference-entry.mjs');
  parentPort.postMessage({ started: true });
  await referenceMatMulAsync(ck.randomNormal([600, 600]), ck.randomNormal([600, 600]));
}
parentPort.postMessage(result);
