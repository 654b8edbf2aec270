// A worker_thread that builds the seeded LeNet-5, serves concurrent single-image requests through
// its own createPredictor (its own addon instance), and posts the outputs back.
import { parentPort, workerData } from 'node:worker_threads';
import * as ck from '../../dist/index.js';

const { modelSeed, inputs, maxBatchSize } = workerData;
ck.setSeed(modelSeed);
const model = ck.zoo.lenet5();
const p = ck.createPredictor(model, { maxBatchSize, maxDelayMs: 2 });
const batches = [];
p.onBatch = (e) => batches.push(e.size);
const outs = await Promise.all(inputs.map((x) => p.predictArray(Float32Array.from(x), [1, 28, 28, 1])));
await p.close();
parentPort.postMessage({ outputs: outs.map((o) => Array.from(o.data)), batches });
