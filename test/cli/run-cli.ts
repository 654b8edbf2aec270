// Runs the CLI from the TypeScript sources (through tsx) so the subprocess tests exercise the current
// code without a dist/ build; test/cli/bin.test.ts covers the real bin/convkit.cjs shim on dist/.
import { runCli } from '../../lib/cli/main.js';

runCli(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
