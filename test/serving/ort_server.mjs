#!/usr/bin/env node
// onnxruntime-node behind convkit's own HTTP front and dynamic batcher, for the load test's
// same-run comparison (test/serving/loadtest.mjs --ort 1): the server, protocol, batcher and body
// decoding are convkit's (createHttpServer over createPredictor), only the model call is
// session.run. Not part of the package or of `npm test`.
//   node test/serving/ort_server.mjs MODEL.onnx --sample 1,28,28 [--max-batch-size 32] [--max-delay-ms 2] [--concurrency 1]
// Prints "ort serve: on http://127.0.0.1:PORT" once listening; SIGTERM drains and exits.
import { createRequire } from 'node:module';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : dflt;
};
const file = argv[0];
const sample = opt('sample', '1,28,28').split(',').map(Number);
const maxBatchSize = Number(opt('max-batch-size', 32));
const maxDelayMs = Number(opt('max-delay-ms', 2));
const nm = process.env.BENCH_NODE_MODULES ?? join(process.env.HOME ?? '', '.cache', 'cnn-bench-peers', 'node_modules');
const ort = createRequire(join(nm, '..', 'x.js'))('onnxruntime-node');
const ck = await import(join(root, 'dist', 'index.js'));

const session = await ort.InferenceSession.create(file, { executionProviders: ['cpu'], intraOpNumThreads: 2, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' });
const inName = session.inputNames[0], outName = session.outputNames[0];
const runner = async (x, n) => {
  const out = (await session.run({ [inName]: new ort.Tensor('float32', x, [n, ...sample]) }))[outName];
  return { data: out.data, sampleShape: out.dims.slice(1) };
};
const predictor = ck.createPredictor(runner, { maxBatchSize, maxDelayMs, concurrency: Number(opt('concurrency', 1)), inputShape: sample });
const server = await ck.createHttpServer(predictor, { name: 'm' });
const url = await server.listen(0, '127.0.0.1');
process.stdout.write(`ort serve: on ${url}\n`);
process.on('SIGTERM', () => void server.close().then(() => session.release()).then(() => process.exit(0)));
