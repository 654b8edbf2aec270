#!/usr/bin/env node
// Packs convkit (npm pack), installs the tarball into a temporary project with install scripts
// disabled (so nothing is compiled: the prebuilt binary must be used), and checks that both
// `require('convkit')` and `import 'convkit'` load the prebuilt binary and compute, and that the
// typings ship. Dependencies come from the npm cache where it has them (--prefer-offline): a fresh
// machine whose cache was filled by a lockfile install holds the tarballs but not the registry
// metadata an install without a lockfile asks for (--offline failed there with ENOTCACHED for
// fastify), so the registry is asked for what is missing.
//
// Needs prebuilds/<platform>-<arch>/ (run `npm run prebuild` first; done here if missing).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const plat = `${process.platform}-${process.arch}`;
const t0 = Date.now();

function run(cmd, args, opts = {}) {
  console.error(`$ ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', ...opts });
  if (r.status !== 0) {
    console.error(r.stdout);
    throw new Error(`${cmd} ${args.join(' ')} failed with status ${r.status}`);
  }
  return r.stdout;
}

if (!existsSync(join(root, 'prebuilds', plat))) run(npm, ['run', 'prebuild'], { cwd: root, stdio: 'inherit' });
const prebuilt = readdirSync(join(root, 'prebuilds', plat)).filter((f) => f.endsWith('.node'));
if (prebuilt.length === 0) throw new Error(`no .node file in prebuilds/${plat}`);

const work = mkdtempSync(join(tmpdir(), 'convkit-pack-'));
try {
  // 1. Build dist/ (what `prepare` does), then pack without scripts so stdout is only the JSON.
  run(npm, ['run', 'build:ts'], { cwd: root });
  const packed = JSON.parse(run(npm, ['pack', '--json', '--ignore-scripts', '--pack-destination', work], { cwd: root }));
  const tarball = join(work, packed[0].filename);
  const files = packed[0].files.map((f) => f.path);
  for (const must of ['dist/index.js', 'dist/index.cjs', 'dist/index.d.ts', 'dist/index.d.cts', `prebuilds/${plat}/${prebuilt[0]}`])
    if (!files.includes(must)) throw new Error(`tarball lacks ${must}`);
  if (files.some((f) => f.startsWith('build/'))) throw new Error('tarball must not contain build/');

  // 2. Install into a fresh project with scripts disabled, from the local npm cache first.
  const app = join(work, 'app');
  run('mkdir', ['-p', app]);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'convkit-pack-test', version: '1.0.0', private: true }));
  run(npm, ['install', tarball, '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: app });
  const installed = join(app, 'node_modules', 'convkit');
  if (existsSync(join(installed, 'build'))) throw new Error('install must not have built anything');

  // 3. Load through require and import; both must use the prebuilt binary and compute.
  const check = `
    const x = ck.tensor([[1, -2, 3], [-4, 5, -6]]);
    const y = ck.sum(ck.relu(ck.add(x, 1)), 1);
    const info = ck.backendInfo();
    console.log(JSON.stringify({ y: Array.from(y.dataSync()), addon: info.addonPath, isa: info.isa, version: info.version }));`;
  const env = { ...process.env };
  delete env.CONVKIT_ADDON;
  const cjs = JSON.parse(execFileSync(process.execPath, ['-e', `const ck = require('convkit');${check}`], { cwd: app, env, encoding: 'utf8' }));
  const esm = JSON.parse(
    execFileSync(process.execPath, ['--input-type=module', '-e', `import * as ck from 'convkit';${check}`], { cwd: app, env, encoding: 'utf8' }),
  );
  for (const [kind, r] of [['require', cjs], ['import', esm]]) {
    if (JSON.stringify(r.y) !== JSON.stringify([6, 6])) throw new Error(`${kind}: wrong result ${JSON.stringify(r.y)}`);
    if (!r.addon.includes(join('node_modules', 'convkit', 'prebuilds', plat)))
      throw new Error(`${kind}: loaded ${r.addon}, not the prebuilt binary`);
    console.error(`${kind}('convkit'): ok, ${r.addon}, isa ${r.isa}, version ${r.version}`);
  }
  console.error(`pack-test passed in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
