#!/usr/bin/env node
// Bounded loopback load test of `convkit serve` with autocannon (not part of `npm test`):
//   node test/serving/loadtest.mjs [--model lenet5] [--amount 2000] [--connections 1,16,64]
//                                  [--in-process 1] [--ort 1] [--http 0] [--shared ../shared]
//                                  [--max-batch-size 32] [--max-delay-ms 2] [--concurrency 1] [--seconds 0]
//                                  [--inline-max-us N]
// --in-process 1 adds the same concurrency levels against createPredictor in this process (no
// HTTP: what the model + batcher sustain). --ort 1 adds, in the same run, onnxruntime-node's
// images/s on the shared bench's inference case of the same model (export_onnx.py + one
// InferenceSession, as ../shared/bench/peers/ort_peer.mjs runs it), the figure issue #9 compares to;
// with --in-process 1 also ort serving the same single-image workload in-process (session.run per
// request, and behind the same dynamic batcher), and over HTTP ort behind convkit's own HTTP front
// and batcher (ort_server.mjs: same server, protocol and batching, session.run as the model call),
// with a table of convkit ÷ ort per row.
// For each concurrency, with dynamic batching (max batch 32, max delay 2 ms; see the flags) and without
// (max batch 1, delay 0), it starts the server on 127.0.0.1 (any free port), sends `amount`
// raw-float32 single-sample requests, and prints a markdown table: requests/s, p50/p99 latency,
// mean batch size (from /metrics) and, over HTTP, the server's CPU time per request (Linux).
// --concurrency K runs up to K batches at once (createPredictor's `concurrency`, `serve --concurrency`)
// on every row that goes through convkit's batcher, ort's included; ort's per-request rows overlap
// session.run calls as they always do.
// --seconds S runs each HTTP measurement for S seconds instead of `amount` requests: autocannon
// notices that `amount` is reached only on its one-second tick, so a run shorter than a few
// seconds reads as amount / 1 s whatever the server does (the earlier rows of ~2,000 req/s for
// 2,000 requests). Every run is bounded in requests and time and stops by itself.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import autocannon from 'autocannon';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []));
const model = args.model ?? 'lenet5';
const amount = Number(args.amount ?? 2000);
const seconds = Number(args.seconds ?? 0);
const conns = (args.connections ?? '1,16,64').split(',').map(Number);
const shape = model === 'lenet5' ? [28, 28, 1] : [224, 224, 3];
const maxBatch = String(args['max-batch-size'] ?? 32);
const maxDelay = String(args['max-delay-ms'] ?? 2);
const lanes = String(args.concurrency ?? 1);
// convkit's inline-run limit (createPredictor's inlineMaxUs, `serve --inline-max-us`); unset: the default.
const inlineArgs = args['inline-max-us'] === undefined ? [] : ['--inline-max-us', String(args['inline-max-us'])];
const inlineOpts = args['inline-max-us'] === undefined ? {} : { inlineMaxUs: Number(args['inline-max-us']) };
const laneLabel = lanes === '1' ? '' : `, ×${lanes}`;
const dynamicLabel = `dynamic (${maxBatch}, ${maxDelay} ms${laneLabel})`;
const offLabel = `off (1, 0 ms${laneLabel})`;
const body = Buffer.from(new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(0.5).buffer);

// onnxruntime-node's export of the shared bench case for this model (export_onnx.py) with its batch
// dimension freed (ort_dynamic_batch.py): made once, used by the HTTP and in-process ort rows.
const ortCaseId = model === 'lenet5' ? 'lenet5_infer_b256' : 'resnet18_infer_b8';
let ortFiles = null;
function ortExport() {
  if (ortFiles) return ortFiles;
  const bench = join(args.shared ?? join(root, '..', 'shared'), 'bench');
  const dir = mkdtempSync(join(tmpdir(), 'convkit-ort-'));
  const py = process.env.BENCH_PYTHON ?? '/usr/bin/python3';
  execFileSync(py, [join(bench, 'peers', 'export_onnx.py'), '--out', dir, '--filter', `^${ortCaseId}$`], { stdio: ['ignore', 'ignore', 'inherit'] });
  const entry = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')).cases[ortCaseId];
  const dyn = join(dir, 'dynamic.onnx');
  execFileSync(py, [join(root, 'test', 'serving', 'ort_dynamic_batch.py'), join(dir, entry.file), dyn], { stdio: ['ignore', 'ignore', 'inherit'] });
  ortFiles = { dir, entry, dyn };
  return ortFiles;
}

// `convkit serve`, or (ort) onnxruntime-node behind the same HTTP front and batcher (ort_server.mjs).
function startServer(extra, ort = false) {
  const argv = ort
    ? [join(root, 'test', 'serving', 'ort_server.mjs'), ortExport().dyn, '--sample', Object.values(ortExport().entry.inputs)[0].slice(1).join(','), ...extra]
    : [join(root, 'bin', 'convkit.cjs'), 'serve', model, '--port', '0', '--name', 'm', ...inlineArgs, ...extra];
  const child = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((res, rej) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /on (http:\/\/[\d.]+:\d+)/.exec(out);
      if (m) res({ url: m[1], child });
    });
    child.on('exit', (c) => rej(new Error(`server exited ${c}`)));
  });
}

// CPU time (user + system, ms) the server process has used so far: Linux /proc, NaN elsewhere.
function cpuMs(pid) {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // clock ticks of 1/100 s
  } catch {
    return NaN;
  }
}

async function batchStats(url) {
  const text = await (await fetch(`${url}/metrics`)).text();
  const sum = Number(/^convkit_batch_size_sum (\S+)/m.exec(text)?.[1] ?? NaN);
  const count = Number(/^convkit_batch_size_count (\S+)/m.exec(text)?.[1] ?? NaN);
  return { sum, count };
}

const rows = [];
const httpRuns = [];
for (const batching of args.http === '0' ? [] : [true, false]) for (const ort of args.ort === '1' ? [false, true] : [false]) httpRuns.push([batching, ort]);
for (const [batching, ort] of httpRuns) {
  const { url, child } = await startServer([...(batching ? ['--max-batch-size', maxBatch, '--max-delay-ms', maxDelay] : ['--max-batch-size', '1', '--max-delay-ms', '0']), '--concurrency', lanes], ort);
  try {
    // warm-up
    await autocannon({ url: `${url}/v1/models/m:predict`, method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body, connections: 4, amount: Math.min(200, amount), timeout: 60 });
    for (const c of conns) {
      const before = await batchStats(url);
      const cpu0 = cpuMs(child.pid);
      const t0 = performance.now();
      const bound = seconds > 0 ? { duration: seconds } : { amount, duration: 120 };
      const r = await autocannon({ url: `${url}/v1/models/m:predict`, method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body, connections: c, timeout: 60, ...bound });
      // Wall time measured here: autocannon's r.duration is whole seconds, which quantised req/s.
      const secs = (performance.now() - t0) / 1000;
      const cpu = cpuMs(child.pid) - cpu0;
      const after = await batchStats(url);
      rows.push({
        ...(ort ? { where: 'HTTP, ort behind the same server', ort: true, http: true } : {}),
        model, batching, connections: c, requests: r.requests.total, non2xx: r.non2xx, rps: Math.round(r.requests.total / secs),
        cpuPerReq: Number.isFinite(cpu) ? Math.round((cpu * 1000) / r.requests.total) : '–',
        p50: r.latency.p50, p99: r.latency.p99, meanBatch: ((after.sum - before.sum) / Math.max(1, after.count - before.count)).toFixed(1),
      });
      process.stderr.write(`${JSON.stringify(rows.at(-1))}\n`);
    }
  } finally {
    child.kill('SIGTERM');
  }
}
// In-process: `c` concurrent callers, each sending single images back to back through `call`
// (a function of one image); `setup` makes a fresh server for this row, `onBatch` counts batches.
async function drive(c, call) {
  // Warm-up at the measured concurrency (JIT, plan build, first batches, heap growth): a quarter
  // of the run and at least 1.5 s. A LeNet-5 predictor at 64 callers runs ~30% slower for its first
  // ~0.5 s in a fresh process (87–102k vs 130–133k req/s), so a count-only warm-up of 5,000
  // requests left the first rows of a process measuring that, and ort's rows, which run later in
  // the same process, a warmed-up one.
  let warm = Math.max(50, Math.floor(amount / 4));
  const warmUntil = performance.now() + 1500;
  await Promise.all(Array.from({ length: c }, async () => {
    while (warm-- > 0 || performance.now() < warmUntil) await call();
  }));
  return async (counters) => {
    counters.reset();
    const lat = [];
    let left = amount;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: c }, async () => {
        while (left > 0) {
          left--;
          const t = performance.now();
          await call();
          lat.push(performance.now() - t);
        }
      }),
    );
    const secs = (performance.now() - t0) / 1000;
    lat.sort((a, b) => a - b);
    const q = (f) => lat[Math.min(lat.length - 1, Math.floor(f * lat.length))].toFixed(1);
    return { requests: lat.length, non2xx: 0, rps: Math.round(lat.length / secs), p50: q(0.5), p99: q(0.99) };
  };
}

function batchCounter(p) {
  const k = { sizes: 0, calls: 0, reset() { k.sizes = 0; k.calls = 0; }, mean: () => (k.sizes / Math.max(1, k.calls)).toFixed(1) };
  p.onBatch = (e) => {
    k.sizes += e.size;
    k.calls++;
  };
  return k;
}

const batchOpts = (batching) => ({ ...(batching ? { maxBatchSize: Number(maxBatch), maxDelayMs: Number(maxDelay) } : { maxBatchSize: 1, maxDelayMs: 0 }), concurrency: Number(lanes) });

async function inProcess(batching, c) {
  const ck = await import(join(root, 'dist', 'index.js'));
  ck.setSeed(1);
  const m = model === 'lenet5' ? ck.zoo.lenet5() : ck.zoo.resnet18({ inputShape: [224, 224, 3], classes: 1000 });
  const p = ck.createPredictor(m, { ...batchOpts(batching), ...inlineOpts });
  const k = batchCounter(p);
  const x = new Float32Array(body.buffer.slice(0));
  const sample = [1, ...shape];
  const run = await drive(c, () => p.predictArray(x, sample));
  const r = await run(k);
  await p.close();
  m.dispose();
  return { model, batching, connections: c, ...r, meanBatch: k.mean(), where: 'in-process' };
}

if (args['in-process'] === '1') {
  for (const batching of [true, false]) for (const c of conns) {
    rows.push(await inProcess(batching, c));
    process.stderr.write(`${JSON.stringify(rows.at(-1))}\n`);
  }
}

// onnxruntime-node on the shared bench's inference case of this model, in this same run.
let ortLine = null;
if (args.ort === '1') {
  const caseId = ortCaseId;
  const { dir, entry, dyn } = ortExport();
  const nm = process.env.BENCH_NODE_MODULES ?? join(process.env.HOME ?? '', '.cache', 'cnn-bench-peers', 'node_modules');
  const ort = createRequire(join(nm, '..', 'x.js'))('onnxruntime-node');
  const session = await ort.InferenceSession.create(join(dir, entry.file), { executionProviders: ['cpu'], intraOpNumThreads: 2, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' });
  const feeds = {};
  let batch = 1;
  for (const [name, s] of Object.entries(entry.inputs)) {
    batch = s[0];
    feeds[name] = new ort.Tensor('float32', new Float32Array(s.reduce((a, b) => a * b, 1)).fill(0.5), s);
  }
  for (let i = 0; i < 3; i++) await session.run(feeds);
  const times = [];
  const tEnd = performance.now() + 3000;
  while (performance.now() < tEnd || times.length < 5) {
    const t = performance.now();
    await session.run(feeds);
    times.push(performance.now() - t);
  }
  await session.release();
  times.sort((a, b) => a - b);
  const med = times[times.length >> 1];
  ortLine = { caseId, batch, ms: med, ips: Math.round((batch / med) * 1000) };
  process.stderr.write(`${JSON.stringify(ortLine)}\n`);
  if (args['in-process'] === '1') {
    // The same workload served by onnxruntime-node, in-process: the same graph with its batch
    // dimension freed (ort_dynamic_batch.py), single images from the same concurrent callers,
    // (a) one session.run per request — what a Node server on ort does — on the rows without
    // batching, and (b) behind convkit's own dynamic batcher (createPredictor over a runner that
    // calls session.run) on the rows with batching: apples to apples. The model graph is NCHW and
    // convkit's NHWC; the images are constant, so only the shapes matter for the timing.
    const s = await ort.InferenceSession.create(dyn, { executionProviders: ['cpu'], intraOpNumThreads: 2, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' });
    const [inName, inShape] = Object.entries(entry.inputs)[0];
    const outName = Object.keys(entry.outputs)[0];
    const ortSample = inShape.slice(1);
    const per = ortSample.reduce((a, b) => a * b, 1);
    const ck = await import(join(root, 'dist', 'index.js'));
    const runner = async (x, n) => {
      const out = (await s.run({ [inName]: new ort.Tensor('float32', x, [n, ...ortSample]) }))[outName];
      return { data: out.data, sampleShape: out.dims.slice(1) };
    };
    const one = new Float32Array(per).fill(0.5);
    for (const batching of [true, false]) for (const c of conns) {
      let k = { reset() {}, mean: () => '1.0' };
      let p = null;
      let call;
      if (batching) {
        p = ck.createPredictor(runner, batchOpts(true));
        k = batchCounter(p);
        call = () => p.predictArray(one, [1, ...ortSample]);
      } else {
        const feeds = { [inName]: new ort.Tensor('float32', one, [1, ...ortSample]) };
        call = () => s.run(feeds);
      }
      const run = await drive(c, call);
      const r = await run(k);
      await p?.close();
      rows.push({ model, batching, connections: c, ...r, meanBatch: k.mean(), where: batching ? 'ort in-process, same batcher' : 'ort in-process, run per request', ort: true });
      process.stderr.write(`${JSON.stringify(rows.at(-1))}\n`);
    }
    await s.release();
  }
}

console.log('| model | where | batching | connections | requests | errors | req/s (= img/s) | p50 ms | p99 ms | mean batch | server CPU µs/req |' + (ortLine ? ' vs ort |' : ''));
console.log('| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |' + (ortLine ? ' ---: |' : ''));
for (const r of rows) console.log(`| ${r.model} | ${r.where ?? 'HTTP'} | ${r.batching ? dynamicLabel : offLabel} | ${r.connections} | ${r.requests} | ${r.non2xx} | ${r.rps} | ${r.p50} | ${r.p99} | ${r.meanBatch} | ${r.cpuPerReq ?? '–'} |` + (ortLine ? ` ${(r.rps / ortLine.ips).toFixed(2)}x |` : ''));
if (ortLine) console.log(`\nonnxruntime-node, same run: ${ortLine.caseId} (batch ${ortLine.batch}) median ${ortLine.ms.toFixed(2)} ms = ${ortLine.ips} img/s.`);
// convkit ÷ onnxruntime-node serving the same workload (same batching, same concurrency), in-process.
const ortRows = rows.filter((r) => r.ort);
if (ortRows.length > 0) {
  console.log('\n| model | where | batching | connections | convkit req/s | ort req/s | ort serving as | convkit ÷ ort |');
  console.log('| --- | --- | --- | ---: | ---: | ---: | --- | ---: |');
  for (const o of ortRows) {
    const ours = rows.find((r) => !r.ort && (o.http ? r.where === undefined : r.where === 'in-process') && r.batching === o.batching && r.connections === o.connections);
    if (!ours) continue;
    const as = o.http ? 'same HTTP server and batcher' : o.batching ? 'same dynamic batcher' : 'session.run per request';
    console.log(`| ${model} | ${o.http ? 'HTTP' : 'in-process'} | ${o.batching ? dynamicLabel : offLabel} | ${o.connections} | ${ours.rps} | ${o.rps} | ${as} | ${(ours.rps / o.rps).toFixed(2)}x |`);
  }
}
if (ortFiles) rmSync(ortFiles.dir, { recursive: true, force: true });
process.exit(0);
