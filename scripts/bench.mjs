#!/usr/bin/env node
// `npm run bench -- --cases /abs/path/cases.json [--filter REGEX]`: convkit's benchmark runner
// (lib/bench), printing the JSON lines of the shared peer benchmark. Plugs into
//   /work/shared/bench/run-peers.sh --project-cmd 'node /path/to/convkit/scripts/bench.mjs'
// Runs the built library (dist/bench.js, made by `npm run build:ts`, which `npm install` runs).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'dist', 'bench.js');
if (!existsSync(entry)) {
  process.stderr.write(`bench: ${entry} is missing; run \`npm run build:ts\` first\n`);
  process.exit(2);
}
const { benchMain } = await import(pathToFileURL(entry).href);
await benchMain(process.argv.slice(2));
