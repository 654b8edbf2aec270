/**
 * Small VGG (the shared benchmark's spec): 2×[conv 3×3 64 same + ReLU], max-pool 2,
 * 2×[conv 3×3 128 same + ReLU], max-pool 2, flatten, dense classes. 32×32×3 → 10: 342,090 params.
 */
import * as L from '../layers/index.js';
import { sequential, type Sequential } from '../models/sequential.js';
import { checkZooOptions, type ZooOptions } from './common.js';

export function smallVgg(opts: ZooOptions = {}): Sequential {
  const o = checkZooOptions('smallVgg', opts, [32, 32, 3], 10);
  const conv = (filters: number, first = false): L.Conv2D =>
    L.conv2d({ filters, kernelSize: 3, padding: 'same', activation: 'relu', ...(first ? { inputShape: o.inputShape } : {}) });
  return sequential({
    name: opts.name ?? 'small_vgg',
    layers: [
      conv(64, true), conv(64), L.maxPooling2d({ poolSize: 2, strides: 2 }),
      conv(128), conv(128), L.maxPooling2d({ poolSize: 2, strides: 2 }),
      L.flatten(),
      L.dense({ units: o.classes, activation: o.classifierActivation }),
    ],
  });
}
