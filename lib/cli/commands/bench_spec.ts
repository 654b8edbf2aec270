import type { CommandSpec } from '../args.js';

export const benchSpec: CommandSpec = {
  name: 'bench',
  summary: 'Run the benchmark cases (a cases.json like ../shared/bench/cases.json); JSON lines and a table.',
  usage: 'convkit bench [options]',
  positionals: [0, 0],
  description: 'JSON lines (one per case, the peer benchmark format) go to stdout; the table goes to stderr unless --table-only.',
  options: [
    { name: 'cases', type: 'string', value: 'FILE', description: 'cases file', default: '$BENCH_CASES, else ../shared/bench/cases.json next to the package' },
    { name: 'filter', type: 'string', value: 'REGEX', description: 'run only cases whose name matches' },
    { name: 'threads', type: 'string', value: 'N', description: 'native threads' },
    { name: 'table-only', type: 'boolean', description: 'print only the table (to stdout)' },
    { name: 'list', type: 'boolean', description: 'list the case names and exit' },
  ],
  examples: ['npx convkit bench --filter "^conv_"', 'npx convkit bench --cases ../shared/bench/cases.json > convkit.jsonl'],
};
