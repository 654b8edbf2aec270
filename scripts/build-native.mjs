#!/usr/bin/env node
// Builds (or incrementally rebuilds) the addon with node-gyp into build/Release/convkit.node.
// `configure` runs every time so that native files added under native/ are picked up
// (binding.gyp reads scripts/native-sources.mjs at configure time); make then recompiles only
// what changed. Pass --rebuild for a clean build.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeGypCommand, nodeGypEnv } from './node-env.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const [cmd, ...pre] = nodeGypCommand();
const env = nodeGypEnv();
const steps = process.argv.includes('--rebuild') ? [['rebuild']] : [['configure'], ['build']];
for (const args of steps) {
  const r = spawnSync(cmd, [...pre, ...args, '-j', env.JOBS], { stdio: 'inherit', env, cwd: root });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
