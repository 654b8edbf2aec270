#!/usr/bin/env node
// The one source list of the native core, read by binding.gyp (node-gyp) and CMakeLists.txt
// (cmake-js and the ctest build), so the two builds cannot drift.
//
// Every *.cc under native/ belongs to exactly one group, by folder and file-name suffix:
//   core     portable C++17, compiled for baseline x86-64 (or any target)
//   avx2     files named *_avx2.cc     — compiled with -mavx2 -mfma
//   avx512   files named *_avx512.cc   — compiled with -mavx512f -mavx512bw -mavx512dq -mavx512vl
//   binding  native/binding/**         — N-API glue, only in the addon
//   tests    native/tests/**           — ctest executables (one per *_test.cc)
//   bench    native/bench/**           — the native benchmark executable
// (Seam for arm64: a *_neon.cc group would be added here and in the two build files.)
//
// Usage: node scripts/native-sources.mjs GROUP [--sep ';'] [--abs]
import { readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, sep as pathSep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const nativeDir = join(root, 'native');

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (name.endsWith('.cc')) out.push(p);
  }
  return out;
}

export function groupOf(file) {
  const rel = relative(nativeDir, file).split(pathSep).join('/');
  if (rel.startsWith('binding/')) return 'binding';
  if (rel.startsWith('tests/')) return 'tests';
  if (rel.startsWith('bench/')) return 'bench';
  if (rel.endsWith('_avx512.cc')) return 'avx512';
  if (rel.endsWith('_avx2.cc')) return 'avx2';
  return 'core';
}

export function nativeSources() {
  const groups = { core: [], avx2: [], avx512: [], binding: [], tests: [], bench: [] };
  for (const f of walk(nativeDir)) groups[groupOf(f)].push(relative(root, f).split(pathSep).join('/'));
  return groups;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const group = process.argv[2];
  const groups = nativeSources();
  if (!(group in groups)) {
    console.error(`usage: native-sources.mjs ${Object.keys(groups).join('|')} [--sep S] [--abs]`);
    process.exit(2);
  }
  const si = process.argv.indexOf('--sep');
  const sepStr = si > 0 ? process.argv[si + 1] : ' ';
  const abs = process.argv.includes('--abs');
  process.stdout.write(groups[group].map((f) => (abs ? join(root, f) : f)).join(sepStr));
}
