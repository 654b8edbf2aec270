import type { ParsedArgs } from '../args.js';
import type { CliIO } from '../io.js';

export async function runTrain(_args: ParsedArgs, io: CliIO): Promise<number> {
  io.err('convkit train: not available in this build yet\n');
  return 1;
}
