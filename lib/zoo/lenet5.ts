/**
 * LeNet-5 in its modern form (the shared benchmark's spec): conv 6@5×5 same + ReLU, max-pool 2,
 * conv 16@5×5 valid + ReLU, max-pool 2, dense 120, 84, classes. 28×28×1 → 10: 61,706 parameters.
 */
import * as L from '../layers/index.js';
import { sequential, type Sequential } from '../models/sequential.js';
import { checkZooOptions, type ZooOptions } from './common.js';

export function lenet5(opts: ZooOptions = {}): Sequential {
  const o = checkZooOptions('lenet5', opts, [28, 28, 1], 10);
  return sequential({
    name: opts.name ?? 'lenet5',
    layers: [
      L.conv2d({ filters: 6, kernelSize: 5, padding: 'same', activation: 'relu', inputShape: o.inputShape }),
      L.maxPooling2d({ poolSize: 2, strides: 2 }),
      L.conv2d({ filters: 16, kernelSize: 5, padding: 'valid', activation: 'relu' }),
      L.maxPooling2d({ poolSize: 2, strides: 2 }),
      L.flatten(),
      L.dense({ units: 120, activation: 'relu' }),
      L.dense({ units: 84, activation: 'relu' }),
      L.dense({ units: o.classes, activation: o.classifierActivation }),
    ],
  });
}
