/**
 * `convkit <command>`: dispatch, top-level help, and the mapping of errors to exit codes
 * (lib/cli/errors.ts). Each command lives in lib/cli/commands/<name>.ts as a spec (options, help) and a
 * run function; heavy modules are imported only by the command that needs them.
 */
import type { CommandSpec, ParsedArgs } from './args.js';
import { formatHelp, parseCommandArgs } from './args.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError } from './errors.js';
import type { CliIO } from './io.js';
import { processIO } from './io.js';
import { packageVersion } from '../backend.js';
import { doctorSpec, runDoctor } from './commands/doctor.js';
import { infoSpec, runInfo } from './commands/info.js';
import { trainSpec } from './commands/train_spec.js';
import { evaluateSpec } from './commands/evaluate_spec.js';
import { predictSpec } from './commands/predict_spec.js';
import { summarySpec } from './commands/summary_spec.js';
import { benchSpec } from './commands/bench_spec.js';
import { serveSpec } from './commands/serve_spec.js';

type Runner = (args: ParsedArgs, io: CliIO) => Promise<number> | number;

interface Command {
  readonly spec: CommandSpec;
  readonly run: () => Promise<Runner>;
}

const COMMANDS: readonly Command[] = [
  { spec: trainSpec, run: async () => (await import('./commands/train.js')).runTrain },
  { spec: evaluateSpec, run: async () => (await import('./commands/evaluate.js')).runEvaluate },
  { spec: predictSpec, run: async () => (await import('./commands/predict.js')).runPredict },
  { spec: summarySpec, run: async () => (await import('./commands/summary.js')).runSummary },
  { spec: benchSpec, run: async () => (await import('./commands/bench.js')).runBenchCommand },
  { spec: serveSpec, run: async () => (await import('./commands/serve.js')).runServe },
  { spec: infoSpec, run: async () => runInfo },
  { spec: doctorSpec, run: async () => runDoctor },
];


export function topLevelHelp(): string {
  const w = Math.max(...COMMANDS.map((c) => c.spec.name.length));
  return [
    'Usage: convkit <command> [options]',
    '',
    'Train, evaluate, run and serve convolutional networks from the command line.',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.spec.name.padEnd(w)}  ${c.spec.summary}`),
    '',
    'Run `convkit <command> --help` for the options of a command.',
    'With no command, `convkit` prints this help. `npx convkit train` trains LeNet-5 on the bundled digits.',
    '',
    'Exit codes: 0 success, 1 runtime failure (bad file, model error, …), 2 usage error, 130 interrupted.',
    '',
  ].join('\n');
}

/** Runs the CLI on `argv` (without node and script) and resolves to the exit code; never throws. */
export async function runCli(argv: readonly string[], io: CliIO = processIO()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    if (name === 'help' && rest[0]) return runCli([rest[0], '--help'], io);
    io.out(topLevelHelp());
    return EXIT_OK;
  }
  if (name === '--version' || name === '-v') {
    io.out(`${packageVersion()}\n`);
    return EXIT_OK;
  }
  const cmd = COMMANDS.find((c) => c.spec.name === name);
  if (!cmd) {
    io.err(`convkit: unknown command ${JSON.stringify(name)}. Commands: ${COMMANDS.map((c) => c.spec.name).join(', ')}.\nRun \`convkit --help\` for help.\n`);
    return EXIT_USAGE;
  }
  try {
    const args = parseCommandArgs(cmd.spec, rest);
    if (args.values['help'] === true) {
      io.out(formatHelp(cmd.spec));
      return EXIT_OK;
    }
    const run = await cmd.run();
    return await run(args, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`convkit ${name}: ${e.message}\n`);
      return EXIT_USAGE;
    }
    const err = e as Error;
    const debug = io.env['CONVKIT_DEBUG'] === '1';
    io.err(`convkit ${name}: ${err?.name && err.name !== 'Error' ? `${err.name}: ` : ''}${err?.message ?? String(e)}\n`);
    if (debug && err?.stack) io.err(err.stack + '\n');
    return EXIT_FAILURE;
  }
}
