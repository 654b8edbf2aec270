#!/usr/bin/env node
// Builds the native core with CMake and runs its ctest suite.
//
//   node scripts/test-native.mjs             cmake-js build in build-cmake/ (core, ctest suite,
//                                            native bench and the addon) then ctest
//   node scripts/test-native.mjs --sanitize  plain CMake build in build-asan/ with
//                                            -DCONVKIT_SANITIZE=ON (ASan + UBSan), then ctest
//
// Falls back to plain CMake (no addon) if cmake-js is not installed.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const jobs = process.env.JOBS ?? '2';
const sanitize = process.argv.includes('--sanitize');

function run(cmd, args, env = process.env) {
  console.error(`$ ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, env });
  if (r.error) throw r.error;
  if (r.status !== 0) process.exit(r.status ?? 1);
}

let buildDir;
if (sanitize) {
  buildDir = join(root, 'build-asan');
  run('cmake', ['-S', root, '-B', buildDir, '-DCONVKIT_SANITIZE=ON', '-DCMAKE_BUILD_TYPE=RelWithDebInfo']);
  run('cmake', ['--build', buildDir, '-j', jobs]);
} else {
  buildDir = join(root, 'build-cmake');
  const cmakeJs = join(root, 'node_modules', 'cmake-js', 'bin', 'cmake-js');
  if (existsSync(cmakeJs)) {
    run(process.execPath, [cmakeJs, 'compile', '--out', buildDir, '--parallel', jobs]);
  } else {
    run('cmake', ['-S', root, '-B', buildDir]);
    run('cmake', ['--build', buildDir, '-j', jobs]);
  }
}
const env = { ...process.env };
if (sanitize) env.UBSAN_OPTIONS = 'print_stacktrace=1:halt_on_error=1';
run('ctest', ['--test-dir', buildDir, '--output-on-failure', '-j', jobs], env);
