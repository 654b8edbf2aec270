import type { CommandSpec } from '../args.js';

export const summarySpec: CommandSpec = {
  name: 'summary',
  summary: 'Layer table of a model: output shapes, parameters, receptive fields, FLOPs, conv algorithm.',
  usage: 'convkit summary MODEL [options]',
  positionals: [1, 1],
  description: 'MODEL is a zoo name or a .keras, .h5, TF.js model.json or Keras config .json file.',
  options: [
    { name: 'batch-size', short: 'b', type: 'string', value: 'N', description: 'batch size the FLOPs and conv algorithms are computed for', default: '1' },
    { name: 'json', type: 'boolean', description: 'print the rows as JSON' },
  ],
  examples: ['npx convkit summary lenet5', 'npx convkit summary resnet18 --batch-size 32'],
};
