import type { CommandSpec, ParsedArgs } from '../args.js';
import { bool } from '../args.js';
import type { CliIO } from '../io.js';
import { backendInfo } from '../../backend.js';
import { EXIT_OK } from '../errors.js';

export const infoSpec: CommandSpec = {
  name: 'info',
  summary: 'Print the backend: version, instruction set in use, threads, compiler, CPU.',
  usage: 'convkit info [--json]',
  positionals: [0, 0],
  options: [{ name: 'json', type: 'boolean', description: 'print the full backend info as JSON' }],
};

export function runInfo(args: ParsedArgs, io: CliIO): number {
  const i = backendInfo();
  if (bool(args, 'json')) {
    io.out(JSON.stringify(i, null, 2) + '\n');
    return EXIT_OK;
  }
  io.out(
    [
      `convkit ${i.version}`,
      `  ISA:       ${i.isa} (available: ${i.availableIsas.join(', ')})`,
      `  threads:   ${i.threads} of ${i.hardwareThreads} hardware threads`,
      `  CPU:       ${i.cpu.brand || i.cpu.vendor}`,
      `  features:  ${i.cpu.features.join(' ')}`,
      `  build:     ${i.compiler}, ${i.buildSystem}${i.sanitizers ? ', sanitizers on' : ''}`,
      `  addon:     ${i.addonPath} (N-API ${i.napiVersion})`,
      `  Node:      ${process.version} on ${process.platform}-${process.arch}`,
      '',
    ].join('\n'),
  );
  return EXIT_OK;
}
