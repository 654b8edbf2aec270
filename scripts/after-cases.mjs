#!/usr/bin/env node
// Is a benchmark case slower when other cases ran before it in the same process? (issue #6: the
// LeNet-5 training step's median in the full shared-bench run was 2.64 ms against ~2.0 ms alone.)
//
//   node scripts/after-cases.mjs [--case REGEX=^lenet5_train_b64$] [--prefix REGEX=^(sgemm|conv|dgrad|wgrad)_]
//                                [--rounds N=4] [--cases PATH=../shared/bench/cases.json or ../../shared/...]
//
// Each round runs two child processes back to back, in alternating order: "alone" (only the case)
// and "after" (the prefix cases, then the case), both through convkit's bench runner and protocol
// (lib/bench: warm-up, ~10 ms samples, median). The machine's speed drifts by tens of percent
// minute to minute when it is shared, so right before the case each child also times two fixed
// probes: a 256^3 sgemm on the pool (both threads) and a dependent scalar loop in JavaScript (one
// core's clock). A slowdown that belongs to the process's history shows in case/probe; one that
// belongs to the machine moves the probe too. Run it under `chrt -f 50` like every timing.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const med = (a) => {
  const s = [...a].sort((p, q) => p - q);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function child(argv) {
  const [casesPath, prefix, caseRe] = argv;
  const ck = await import(pathToFileURL(join(root, 'dist', 'index.js')).href);
  const bench = await import(pathToFileURL(join(root, 'dist', 'bench.js')).href);
  const out = [];
  const write = process.stdout.write.bind(process.stdout);
  // runBench prints JSON lines on stdout; keep only this case's.
  process.stdout.write = (s) => {
    for (const line of String(s).split('\n')) {
      if (!line.startsWith('{')) continue;
      const j = JSON.parse(line);
      if (j.median_ms !== undefined) out.push(j);
    }
    return true;
  };
  if (prefix !== '-') await bench.runBench({ cases: casesPath, filter: prefix });
  const a = ck.randomNormal([256, 256]), b = ck.randomNormal([256, 256]);
  const gemm = [], js = [];
  for (let i = 0; i < 5; i++) ck.matmul(a, b).dispose();
  for (let r = 0; r < 15; r++) {
    let t = performance.now();
    for (let i = 0; i < 10; i++) ck.matmul(a, b).dispose();
    gemm.push((performance.now() - t) / 10);
    t = performance.now();
    let acc = 0;
    for (let i = 0; i < 1e5; i++) acc += Math.sqrt(i + acc * 1e-9);
    js.push(performance.now() - t + 0 * acc);
  }
  a.dispose();
  b.dispose();
  const before = out.length;
  await bench.runBench({ cases: casesPath, filter: caseRe });
  const c = out.slice(before).find((j) => j.peer === 'convkit');
  write(JSON.stringify({ case_ms: c ? c.median_ms : null, gemm_ms: med(gemm), js_ms: med(js), prefix_cases: before }) + '\n');
}

function parent(argv) {
  const opt = { case: '^lenet5_train_b64$', prefix: '^(sgemm|conv|dgrad|wgrad)_', rounds: 4, cases: [resolve(root, '..', 'shared', 'bench', 'cases.json'), resolve(root, '..', '..', 'shared', 'bench', 'cases.json')].find(existsSync) ?? '../shared/bench/cases.json' };
  for (let i = 0; i < argv.length; i += 2) {
    const k = argv[i].replace(/^--/, '');
    if (!(k in opt) || argv[i + 1] === undefined) throw new Error(`after-cases: unknown or valueless option ${argv[i]}`);
    opt[k] = k === 'rounds' ? Number(argv[i + 1]) : argv[i + 1];
  }
  if (!existsSync(opt.cases)) throw new Error(`after-cases: no cases file at ${opt.cases} (--cases PATH)`);
  const rows = { alone: [], after: [] };
  const run = (which) => {
    const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', opt.cases, which === 'alone' ? '-' : opt.prefix, opt.case], { encoding: 'utf8', maxBuffer: 1 << 26 });
    if (r.status !== 0) throw new Error(`after-cases: child failed: ${r.stderr}`);
    const j = JSON.parse(r.stdout.trim().split('\n').pop());
    rows[which].push(j);
    console.log(`round ${Math.ceil((rows.alone.length + rows.after.length) / 2)} ${which.padEnd(5)} case ${j.case_ms.toFixed(3)} ms  probes: sgemm256 ${(j.gemm_ms * 1e3).toFixed(0)} us, js ${j.js_ms.toFixed(3)} ms  (${j.prefix_cases} case lines before)`);
  };
  for (let r = 0; r < opt.rounds; r++) {
    const order = r % 2 ? ['after', 'alone'] : ['alone', 'after'];
    for (const w of order) run(w);
  }
  for (const w of ['alone', 'after']) {
    const x = rows[w];
    console.log(`${w.padEnd(5)} median: case ${med(x.map((j) => j.case_ms)).toFixed(3)} ms, case/sgemm-probe ${med(x.map((j) => j.case_ms / j.gemm_ms)).toFixed(2)}, case/js-probe ${med(x.map((j) => j.case_ms / j.js_ms)).toFixed(2)}`);
  }
}

if (process.argv[2] === '--child') await child(process.argv.slice(3));
else parent(process.argv.slice(2));
