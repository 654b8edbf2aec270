#!/usr/bin/env node
// Minimal CLI placeholder owned by the foundation: `convkit info` prints the backend. The CLI
// team replaces this with lib/cli.
'use strict';
const ck = require('../dist/index.cjs');
const cmd = process.argv[2] || 'info';
if (cmd === 'info') {
  console.log(JSON.stringify(ck.backendInfo(), null, 2));
} else {
  console.error(`convkit: unknown command '${cmd}'. Available: info`);
  process.exit(2);
}
