import type { CommandSpec } from '../args.js';

export const evaluateSpec: CommandSpec = {
  name: 'evaluate',
  summary: 'Loss and metrics of a saved model on a dataset, with a confusion matrix for classifiers.',
  usage: 'convkit evaluate MODEL [--data SPEC] [options]',
  positionals: [1, 1],
  description: 'MODEL is a .keras, .h5 or TF.js model.json file (or a zoo name, with fresh weights). The test part of the dataset is used when it has one, else all of it.',
  options: [
    { name: 'data', type: 'string', value: 'SPEC', description: 'dataset (as for train)', default: 'mnist' },
    { name: 'batch-size', short: 'b', type: 'string', value: 'N', description: 'samples per batch', default: '128' },
    { name: 'loss', type: 'string', value: 'NAME', description: 'loss function', default: 'sparse_categorical_crossentropy' },
    { name: 'metrics', type: 'string', value: 'LIST', description: 'comma-separated metrics', default: 'accuracy' },
    { name: 'limit', type: 'string', value: 'N', description: 'evaluate only the first N samples' },
    { name: 'split', type: 'string', value: 'PART', description: 'test or train', default: 'test' },
    { name: 'input-size', type: 'string', value: 'HxWxC', description: 'image size for an image-folder dataset', default: 'the model\'s input' },
    { name: 'threads', type: 'string', value: 'N', description: 'native threads' },
    { name: 'json', type: 'boolean', description: 'print the results as JSON' },
    { name: 'no-confusion', type: 'boolean', description: 'do not print the confusion matrix' },
  ],
  examples: ['npx convkit evaluate lenet.keras', 'npx convkit evaluate model.h5 --data ./fashion-mnist --json'],
};
