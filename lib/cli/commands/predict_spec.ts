import type { CommandSpec } from '../args.js';

export const predictSpec: CommandSpec = {
  name: 'predict',
  summary: 'Run a model on images (PNG/JPEG), .npy arrays or JSON; print top-k classes or write outputs.',
  usage: 'convkit predict MODEL INPUT... [options]',
  positionals: [2, Infinity],
  description: [
    'Images are decoded, converted to the model\'s channels (grey or RGB), resized to its input size',
    '(--resize) and scaled (--scale). An .npy holds one sample (the model\'s input shape) or a batch',
    '[n, ...input shape]; a .json file holds one nested array or a list of them.',
  ].join('\n'),
  options: [
    { name: 'top', short: 'k', type: 'string', value: 'K', description: 'classes to print per input', default: '3' },
    { name: 'scale', type: 'string', value: 'MODE', description: 'pixel scaling: unit ([0,1]), byte ([0,255]), symmetric ([-1,1]), or invert (1 − [0,1], for dark digits on white paper)', default: 'unit' },
    { name: 'resize', type: 'string', value: 'MODE', description: 'bilinear (to the model\'s input size) or none (the image must already have that size)', default: 'bilinear' },
    { name: 'labels', type: 'string', value: 'FILE|LIST', description: 'class names: a text file with one per line, or a comma-separated list' },
    { name: 'output', short: 'o', type: 'string', value: 'PATH', description: 'write all outputs to PATH (.json, or .npy as one [n, ...] array) instead of printing top-k' },
    { name: 'json', type: 'boolean', description: 'print the top-k results as JSON lines' },
    { name: 'threads', type: 'string', value: 'N', description: 'native threads' },
  ],
  examples: ['npx convkit predict lenet.keras digit.png', 'npx convkit predict model.keras batch.npy --output out.npy'],
};
