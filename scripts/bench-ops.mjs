#!/usr/bin/env node
// Micro-benchmark of the foundation's elementwise/reduction ops per ISA (dist/ build).
// Prints one JSON line per case: {"op", "isa", "n", "threads", "ms_median", "gelem_per_s"}.
//   node scripts/bench-ops.mjs [--n 1048576] [--reps 30]
import * as ck from '../dist/index.js';

const arg = (k, d) => {
  const i = process.argv.indexOf(k);
  return i > 0 ? Number(process.argv[i + 1]) : d;
};
const n = arg('--n', 1 << 20);
const reps = arg('--reps', 30);
const x = ck.randomNormal([n], 0, 1, 'float32', 1);
const y = ck.randomNormal([n], 0, 1, 'float32', 2);
const rows = ck.randomNormal([n / 1024, 1024], 0, 1, 'float32', 3);
const cases = {
  add: () => ck.add(x, y),
  relu: () => ck.relu(x),
  exp: () => ck.exp(x),
  tanh: () => ck.tanh(x),
  sigmoid: () => ck.sigmoid(x),
  log: () => ck.log(ck.abs(x)),
  sum: () => ck.sum(x),
  softmax_rows1024: () => ck.softmax(rows),
  transpose_1024: () => ck.transpose(rows),
};
for (const isa of ck.backendInfo().availableIsas) {
  ck.setIsa(isa);
  for (const [op, fn] of Object.entries(cases)) {
    for (let i = 0; i < 3; i++) fn().dispose();
    const times = [];
    for (let i = 0; i < reps; i++) {
      const t0 = process.hrtime.bigint();
      const t = fn();
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
      t.dispose();
    }
    times.sort((a, b) => a - b);
    const med = times[times.length >> 1];
    console.log(JSON.stringify({ op, isa, n, threads: ck.getNumThreads(), ms_median: +med.toFixed(3), gelem_per_s: +(n / med / 1e6).toFixed(3) }));
  }
}
ck.setIsa(null);
