#!/usr/bin/env node
// Writes the prebuilt binary prebuilds/<platform>-<arch>/convkit.napi.node with prebuildify
// (N-API, stripped). Builds against this Node's own headers when they are installed (no download;
// see node-env.mjs); an N-API binary loads in any Node with N-API >= 8.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeGypCommand, nodeGypEnv } from './node-env.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const env = nodeGypEnv();
const [cmd, ...pre] = nodeGypCommand();
// prebuildify spawns node-gyp itself: give it npm's bundled node-gyp.js (executable) if known.
const nodeGyp = pre.length ? pre[0] : cmd;
const bin = join(root, 'node_modules', 'prebuildify', 'bin.js');
const args = [bin, '--napi', '--strip', '--target', `node@${process.versions.node}`, '--node-gyp', nodeGyp];
const r = spawnSync(process.execPath, args, {
  stdio: 'inherit',
  env,
  cwd: root,
});
process.exit(r.status ?? 1);
