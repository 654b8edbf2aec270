#!/usr/bin/env node
// `npm install` hook: use a prebuilt binary from prebuilds/ when one fits this platform, else
// build the addon from source with node-gyp (node-gyp-build decides; see lib/native/loader.ts).
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { nodeGypEnv } from './node-env.mjs';

const require = createRequire(import.meta.url);
const bin = require.resolve('node-gyp-build/bin.js');
const r = spawnSync(process.execPath, [bin], { stdio: 'inherit', env: nodeGypEnv() });
process.exit(r.status ?? 1);
