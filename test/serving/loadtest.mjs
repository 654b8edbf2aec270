#!/usr/bin/env node
// Bounded loopback load test of `convkit serve` with autocannon (not part of `npm test`):
//   node test/serving/loadtest.mjs [--model lenet5] [--amount 2000] [--connections 1,16,64]
//                                  [--in-process 1] [--ort 1] [--http 0] [--shared ../shared]
//                                  [--max-batch-size 32] [--max-delay-ms 2] [--concurrency 1] [--seconds 0]
//                                  [--inline-max-us N] [--rounds 3] [--order abba]
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
// --rounds R (default 3) measures every row R times per runtime, convkit and ort interleaved in
// the same row (round r runs convkit then ort for even r, ort then convkit for odd r: A B B A …), so
// that both see the same drift of the machine. With --seconds S each round lasts S / R seconds
// (in-process rounds also stop at `amount` requests); without --seconds each round is `amount` requests. Reported per runtime: the
// median over rounds of req/s, p50 and p99 (the row's cells), the req/s range over rounds, and per
// row convkit ÷ ort as the ratio of the medians with the range of the per-round ratios. One run of
// a row is mostly noise (ort's own one-caller LeNet-5 HTTP figure moved 254–344 req/s between runs).
// --order abab keeps convkit first in every round.
// Warm-up, the same for both runtimes: each server gets 1.5 s at 4 connections when it starts and
// 0.5 s at the row's concurrency before the row's first round; each in-process row makes fresh
// predictors and warms each for ≥ 1.5 s at the row's concurrency (convkit first, then ort, then
// convkit again for 0.3 s so that neither comes to the first round cold).
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
const rounds = Number(args.rounds ?? 3);
const abba = (args.order ?? 'abba') !== 'abab';
if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds must be a positive integer, got ${args.rounds}`);
if (!['abba', 'abab'].includes(args.order ?? 'abba')) throw new Error(`--order must be abba or abab, got ${args.order}`);
const roundSecs = seconds / rounds;
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

// Median of numbers (the mean of the two middle ones for an even count).
function median(a) {
  const s = [...a].sort((x, y) => x - y), h = s.length >> 1;
  return s.length % 2 === 1 ? s[h] : (s[h - 1] + s[h]) / 2;
}
// One row per runtime from its rounds: median req/s, p50, p99 over the rounds, and the req/s range.
function aggregate(rs, extra) {
  const rps = rs.map((r) => r.rps);
  // Latency medians keep the rounds' own form: autocannon's whole ms, in-process 0.1 ms strings.
  const lat = (k) => (typeof rs[0][k] === 'string' ? median(rs.map((r) => Number(r[k]))).toFixed(1) : median(rs.map((r) => r[k])));
  return {
    ...extra,
    requests: rs.reduce((a, r) => a + r.requests, 0), non2xx: rs.reduce((a, r) => a + r.non2xx, 0),
    rps: Math.round(median(rps)), rpsMin: Math.min(...rps), rpsMax: Math.max(...rps), roundRps: rps,
    p50: lat('p50'), p99: lat('p99'),
  };
}
// Round r's order of the two runtimes: A B, then B A (--order abba), or always A B (abab).
const orderOf = (r, pair) => (abba && r % 2 === 1 ? [...pair].reverse() : pair);
const rows = [];

// ---- HTTP: convkit's server and ort's (ort_server.mjs) both up, rows measured round by round. ----
const post = (url) => ({ url: `${url}/v1/models/m:predict`, method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body, timeout: 60 });
async function httpRound(srv, c) {
  const before = await batchStats(srv.url);
  const cpu0 = cpuMs(srv.child.pid);
  const t0 = performance.now();
  const bound = seconds > 0 ? { duration: roundSecs } : { amount, duration: 120 };
  const r = await autocannon({ ...post(srv.url), connections: c, ...bound });
  // Wall time measured here: autocannon's r.duration is whole seconds, which quantised req/s.
  const secs = (performance.now() - t0) / 1000;
  const cpu = cpuMs(srv.child.pid) - cpu0;
  const after = await batchStats(srv.url);
  return { requests: r.requests.total, non2xx: r.non2xx, rps: Math.round(r.requests.total / secs), p50: r.latency.p50, p99: r.latency.p99, cpu, batchSum: after.sum - before.sum, batchCount: after.count - before.count };
}
for (const batching of args.http === '0' ? [] : [true, false]) {
  const extra = [...(batching ? ['--max-batch-size', maxBatch, '--max-delay-ms', maxDelay] : ['--max-batch-size', '1', '--max-delay-ms', '0']), '--concurrency', lanes];
  const servers = [{ ...(await startServer(extra, false)), ort: false }];
  if (args.ort === '1') servers.push({ ...(await startServer(extra, true)), ort: true });
  try {
    // Warm-up when a server starts (JIT, plans, heap growth): 1.5 s at 4 connections, each server.
    for (const srv of servers) await autocannon({ ...post(srv.url), connections: 4, duration: 1.5 });
    for (const c of conns) {
      for (const srv of servers) await autocannon({ ...post(srv.url), connections: c, duration: 0.5 });
      const got = new Map(servers.map((srv) => [srv, []]));
      for (let r = 0; r < rounds; r++) for (const srv of orderOf(r, servers)) got.get(srv).push(await httpRound(srv, c));
      for (const srv of servers) {
        const rs = got.get(srv);
        const reqs = rs.reduce((a, x) => a + x.requests, 0);
        const cpu = rs.reduce((a, x) => a + x.cpu, 0);
        rows.push(aggregate(rs, {
          ...(srv.ort ? { where: 'HTTP, ort behind the same server', ort: true, http: true } : {}),
          model, batching, connections: c,
          cpuPerReq: Number.isFinite(cpu) ? Math.round((cpu * 1000) / reqs) : '–',
          meanBatch: (rs.reduce((a, x) => a + x.batchSum, 0) / Math.max(1, rs.reduce((a, x) => a + x.batchCount, 0))).toFixed(1),
        }));
        process.stderr.write(`${JSON.stringify(rows.at(-1))}\n`);
      }
    }
  } finally {
    for (const srv of servers) srv.child.kill('SIGTERM');
  }
}

// In-process: `c` concurrent callers, each sending single images back to back through `call`
// (a function of one image). Returns a function that measures one round.
async function drive(c, call) {
  // Warm-up at the measured concurrency (JIT, plan build, first batches, heap growth): a quarter
  // of `amount` and at least 1.5 s. A LeNet-5 predictor at 64 callers runs ~30% slower for its first
  // ~0.5 s in a fresh process (87–102k vs 130–133k req/s), so a count-only warm-up of 5,000
  // requests left the first rows of a process measuring that, and ort's rows, which ran later in
  // the same process, a warmed-up one.
  let warm = Math.max(50, Math.floor(amount / 4));
  const warmUntil = performance.now() + 1500;
  await Promise.all(Array.from({ length: c }, async () => {
    while (warm-- > 0 || performance.now() < warmUntil) await call();
  }));
  // One round: up to `amount` requests and, with --seconds, up to S / R seconds.
  return async () => {
    const lat = [];
    let left = amount;
    const t0 = performance.now();
    const until = seconds > 0 ? t0 + roundSecs * 1000 : Infinity;
    await Promise.all(
      Array.from({ length: c }, async () => {
        while (left > 0 && performance.now() < until) {
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

// onnxruntime-node, loaded once for the reference line and the in-process ort rows.
let ort = null;
if (args.ort === '1') {
  const nm = process.env.BENCH_NODE_MODULES ?? join(process.env.HOME ?? '', '.cache', 'cnn-bench-peers', 'node_modules');
  ort = createRequire(join(nm, '..', 'x.js'))('onnxruntime-node');
}
const sessionOpts = { executionProviders: ['cpu'], intraOpNumThreads: 2, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' };

// onnxruntime-node on the shared bench's inference case of this model, in this same run.
let ortLine = null;
if (ort) {
  const { dir, entry } = ortExport();
  const session = await ort.InferenceSession.create(join(dir, entry.file), sessionOpts);
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
  ortLine = { caseId: ortCaseId, batch, ms: med, ips: Math.round((batch / med) * 1000) };
  process.stderr.write(`${JSON.stringify(ortLine)}\n`);
}

// ---- In-process: convkit's predictor and (--ort 1) onnxruntime-node's, interleaved per row. ----
// ort serves the same workload: the same graph with its batch dimension freed
// (ort_dynamic_batch.py), single images from the same concurrent callers, (a) one session.run per
// request — what a Node server on ort does — on the rows without batching, and (b) behind
// convkit's own dynamic batcher (createPredictor over a runner that calls session.run) on the rows
// with batching: apples to apples. The model graph is NCHW and convkit's NHWC; the images are
// constant, so only the shapes matter for the timing.
if (args['in-process'] === '1') {
  const ck = await import(join(root, 'dist', 'index.js'));
  let s = null, runner = null, one = null, inName, ortSample;
  if (ort) {
    const { entry, dyn } = ortExport();
    s = await ort.InferenceSession.create(dyn, sessionOpts);
    let inShape;
    [inName, inShape] = Object.entries(entry.inputs)[0];
    const outName = Object.keys(entry.outputs)[0];
    ortSample = inShape.slice(1);
    runner = async (x, n) => {
      const out = (await s.run({ [inName]: new ort.Tensor('float32', x, [n, ...ortSample]) }))[outName];
      return { data: out.data, sampleShape: out.dims.slice(1) };
    };
    one = new Float32Array(ortSample.reduce((a, b) => a * b, 1)).fill(0.5);
  }
  for (const batching of [true, false]) for (const c of conns) {
    // convkit: a fresh model and predictor per row.
    ck.setSeed(1);
    const m = model === 'lenet5' ? ck.zoo.lenet5() : ck.zoo.resnet18({ inputShape: [224, 224, 3], classes: 1000 });
    const p = ck.createPredictor(m, { ...batchOpts(batching), ...inlineOpts });
    const x = new Float32Array(body.buffer.slice(0));
    const sample = [1, ...shape];
    const sides = [{ ort: false, k: batchCounter(p), close: async () => { await p.close(); m.dispose(); }, run: await drive(c, () => p.predictArray(x, sample)) }];
    if (ort) {
      let k = { reset() {}, mean: () => '1.0' };
      let op = null;
      let call;
      if (batching) {
        op = ck.createPredictor(runner, batchOpts(true));
        k = batchCounter(op);
        call = () => op.predictArray(one, [1, ...ortSample]);
      } else {
        const feeds = { [inName]: new ort.Tensor('float32', one, [1, ...ortSample]) };
        call = () => s.run(feeds);
      }
      sides.push({ ort: true, k, close: async () => { await op?.close(); }, run: await drive(c, call) });
    }
    // The convkit side warmed up first; a short second warm-up brings it back after ort's.
    if (sides.length > 1) {
      const until = performance.now() + 300;
      await Promise.all(Array.from({ length: c }, async () => { while (performance.now() < until) await p.predictArray(x, sample); }));
    }
    for (const side of sides) side.k.reset();
    const got = new Map(sides.map((side) => [side, []]));
    for (let r = 0; r < rounds; r++) for (const side of orderOf(r, sides)) got.get(side).push(await side.run());
    for (const side of sides) {
      await side.close();
      rows.push(aggregate(got.get(side), {
        model, batching, connections: c, meanBatch: side.k.mean(),
        where: side.ort ? (batching ? 'ort in-process, same batcher' : 'ort in-process, run per request') : 'in-process',
        ...(side.ort ? { ort: true } : {}),
      }));
      process.stderr.write(`${JSON.stringify(rows.at(-1))}\n`);
    }
  }
  await s?.release();
}

const range = (r) => (r.rpsMin === r.rpsMax ? '–' : `${r.rpsMin}–${r.rpsMax}`);
console.log(`Medians over ${rounds} round(s) per runtime, convkit and ort interleaved (${abba ? 'A B, B A, …' : 'A B, A B, …'})${seconds > 0 ? `, ${roundSecs.toFixed(2)} s per round` : ''}.\n`);
console.log('| model | where | batching | connections | requests | errors | req/s (= img/s) | req/s range | p50 ms | p99 ms | mean batch | server CPU µs/req |' + (ortLine ? ' vs ort |' : ''));
console.log('| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |' + (ortLine ? ' ---: |' : ''));
for (const r of rows) console.log(`| ${r.model} | ${r.where ?? 'HTTP'} | ${r.batching ? dynamicLabel : offLabel} | ${r.connections} | ${r.requests} | ${r.non2xx} | ${r.rps} | ${range(r)} | ${r.p50} | ${r.p99} | ${r.meanBatch} | ${r.cpuPerReq ?? '–'} |` + (ortLine ? ` ${(r.rps / ortLine.ips).toFixed(2)}x |` : ''));
if (ortLine) console.log(`\nonnxruntime-node, same run: ${ortLine.caseId} (batch ${ortLine.batch}) median ${ortLine.ms.toFixed(2)} ms = ${ortLine.ips} img/s.`);
// convkit ÷ onnxruntime-node serving the same workload (same batching, same concurrency, interleaved rounds).
const ortRows = rows.filter((r) => r.ort);
if (ortRows.length > 0) {
  console.log('\n| model | where | batching | connections | convkit req/s | ort req/s | ort serving as | convkit ÷ ort | per-round ratio range |');
  console.log('| --- | --- | --- | ---: | ---: | ---: | --- | ---: | ---: |');
  for (const o of ortRows) {
    const ours = rows.find((r) => !r.ort && (o.http ? r.where === undefined : r.where === 'in-process') && r.batching === o.batching && r.connections === o.connections);
    if (!ours) continue;
    const as = o.http ? 'same HTTP server and batcher' : o.batching ? 'same dynamic batcher' : 'session.run per request';
    const per = ours.roundRps.map((v, i) => v / o.roundRps[i]);
    const perRange = per.length > 1 ? `${Math.min(...per).toFixed(2)}–${Math.max(...per).toFixed(2)}` : '–';
    console.log(`| ${model} | ${o.http ? 'HTTP' : 'in-process'} | ${o.batching ? dynamicLabel : offLabel} | ${o.connections} | ${ours.rps} (${range(ours)}) | ${o.rps} (${range(o)}) | ${as} | ${(ours.rps / o.rps).toFixed(2)}x | ${perRange} |`);
  }
}
if (ortFiles) rmSync(ortFiles.dir, { recursive: true, force: true });
process.exit(0);
