// Finds and loads the native addon.
//
// Order: $CONVKIT_ADDON (an explicit path to a convkit.node, e.g. the cmake-js build in
// build-cmake/) > node-gyp-build's search from the package root (prebuilds/<platform>-<arch>/ for
// an installed package, then build/Release for a source build). When nothing fits, the error says
// what this machine is and how to fix it.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NativeBinding } from './binding.js';

const require = createRequire(import.meta.url);

/** The package root: the nearest ancestor directory whose package.json is named "convkit". */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pj = join(dir, 'package.json');
    if (existsSync(pj)) {
      try {
        const name = (JSON.parse(readFileSync(pj, 'utf8')) as { name?: unknown }).name;
        if (name === 'convkit') return dir;
      } catch {
        // not a readable package.json: keep looking upwards
      }
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('convkit: cannot find the package root (package.json named "convkit")');
    dir = parent;
  }
}

function libc(): string {
  if (process.platform !== 'linux') return 'n/a';
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
  const glibc = report?.header?.glibcVersionRuntime;
  return glibc ? `glibc ${glibc}` : 'musl (no glibc found)';
}

function cpuFeatures(): string {
  try {
    const flags = readFileSync('/proc/cpuinfo', 'utf8').match(/^flags\s*:\s*(.*)$/m)?.[1]?.split(/\s+/) ?? [];
    const wanted = ['sse4_2', 'avx', 'avx2', 'fma', 'f16c', 'avx512f', 'avx512bw', 'avx512dq', 'avx512vl'];
    return wanted.filter((f) => flags.includes(f)).join(' ') || 'none of sse4_2/avx/avx2/fma/avx512';
  } catch {
    return 'unknown (no /proc/cpuinfo)';
  }
}

/** The message shown when no binary fits: what we saw, and the exact ways to fix it. */
export function describeLoadFailure(root: string, cause: unknown): string {
  const why = cause instanceof Error ? cause.message.split('\n')[0] : String(cause);
  return [
    'convkit: could not load the native addon (convkit.node).',
    `  platform: ${process.platform}, arch: ${process.arch}, libc: ${libc()}`,
    `  Node ${process.version} (ABI ${process.versions.modules}, N-API ${process.versions.napi})`,
    `  CPU features: ${cpuFeatures()}`,
    `  looked in: ${join(root, 'prebuilds', `${process.platform}-${process.arch}`)} and ${join(root, 'build', 'Release')}`,
    `  loader said: ${why}`,
    'How to fix:',
    '  - prebuilt binaries ship for linux-x64 (glibc, N-API 8, any x86-64 CPU). On another platform,',
    '    build from source (needs python3, make and a C++17 compiler):',
    '      npm rebuild convkit --build-from-source',
    '  - in a clone of the repository: npm install (or npm run build:native)',
    '  - to use a binary built elsewhere: CONVKIT_ADDON=/path/to/convkit.node',
  ].join('\n');
}

let cached: NativeBinding | undefined;

/** Loads the addon once per thread (each worker_thread gets its own addon instance). */
export function loadBinding(): NativeBinding {
  if (cached) return cached;
  const override = process.env.CONVKIT_ADDON;
  if (override) {
    const path = resolve(override);
    if (!existsSync(path)) throw new Error(`convkit: CONVKIT_ADDON=${override} does not exist (resolved to ${path})`);
    cached = require(path) as NativeBinding;
    return cached;
  }
  const root = packageRoot();
  try {
    const load = require('node-gyp-build') as (dir: string) => unknown;
    cached = load(root) as NativeBinding;
  } catch (err) {
    throw new Error(describeLoadFailure(root, err), { cause: err });
  }
  return cached;
}

/** The path the addon would be loaded from (for backendInfo / doctor output). */
export function addonPath(): string {
  if (process.env.CONVKIT_ADDON) return resolve(process.env.CONVKIT_ADDON);
  const load = require('node-gyp-build') as { resolve?: (dir: string) => string };
  const root = packageRoot();
  return load.resolve ? load.resolve(root) : root;
}
