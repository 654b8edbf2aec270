#!/usr/bin/env node
// The `convkit` command: a CommonJS shim that loads the built library (dist/) and runs the CLI
// (lib/cli/main.ts). Exit codes: 0 ok, 1 runtime failure, 2 usage error, 130 interrupted.
'use strict';
let ck;
try {
  ck = require('../dist/index.cjs');
} catch (e) {
  if (e && e.code === 'MODULE_NOT_FOUND' && String(e.message).includes('dist')) {
    process.stderr.write('convkit: the library is not built (dist/ is missing). In a clone, run: npm install (or npm run build:ts)\n');
    process.exit(1);
  }
  throw e;
}
ck.runCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`convkit: ${e && e.stack ? e.stack : e}\n`);
    process.exitCode = 1;
  },
);
