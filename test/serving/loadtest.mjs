#!/usr/bin/env node
// Bounded loopback load test of `convkit serve` with autocannon (not part of `npm test`):
//   node test/serving/loadtest.mjs [--model lenet5] [--amount 2000] [--connections 1,16,64]
// For each concurrency, with dynamic batching (max batch 32, max delay 2 ms) and without
// (max batch 1, delay 0), it starts the server on 127.0.0.1 (any free port), sends `amount`
// raw-float32 single-sample requests, and prints a markdown table: requests/s, p50/p99 latency,
// mean batch size (from /metrics). Every run is bounded in requests and time and stops by itself.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []));
const model = args.model ?? 'lenet5';
const amount = Number(args.amount ?? 2000);
const conns = (args.connections ?? '1,16,64').split(',').map(Number);
const shape = model === 'lenet5' ? [28, 28, 1] : [224, 224, 3];
const body = Buffer.from(new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(0.5).buffer);

function startServer(extra) {
  const child = spawn(process.execPath, [join(root, 'bin', 'convkit.cjs'), 'serve', model, '--port', '0', '--name', 'm', ...extra], { stdio: ['ignore', 'pipe', 'inherit'] });
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

async function batchStats(url) {
  const text = await (await fetch(`${url}/metrics`)).text();
  const sum = Number(/^convkit_batch_size_sum (\S+)/m.exec(text)?.[1] ?? NaN);
  const count = Number(/^convkit_batch_size_count (\S+)/m.exec(text)?.[1] ?? NaN);
  return { sum, count };
}

const rows = [];
for (const batching of [true, false]) {
  const { url, child } = await startServer(batching ? ['--max-batch-size', '32', '--max-delay-ms', '2'] : ['--max-batch-size', '1', '--max-delay-ms', '0']);
  try {
    // warm-up
    await autocannon({ url: `${url}/v1/models/m:predict`, method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body, connections: 4, amount: Math.min(200, amount), timeout: 60 });
    for (const c of conns) {
      const before = await batchStats(url);
      const r = await autocannon({ url: `${url}/v1/models/m:predict`, method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body, connections: c, amount, timeout: 60, duration: 120 });
      const after = await batchStats(url);
      rows.push({
        model, batching, connections: c, requests: r.requests.total, non2xx: r.non2xx, rps: Math.round(r.requests.total / r.duration),
        p50: r.latency.p50, p99: r.latency.p99, meanBatch: ((after.sum - before.sum) / Math.max(1, after.count - before.count)).toFixed(1),
      });
      process.stderr.write(`${JSON.stringify(rows.at(-1))}\n`);
    }
  } finally {
    child.kill('SIGTERM');
  }
}
console.log('| model | batching | connections | requests | errors | req/s (= img/s) | p50 ms | p99 ms | mean batch |');
console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of rows) console.log(`| ${r.model} | ${r.batching ? 'dynamic (32, 2 ms)' : 'off (1, 0 ms)'} | ${r.connections} | ${r.requests} | ${r.non2xx} | ${r.rps} | ${r.p50} | ${r.p99} | ${r.meanBatch} |`);
