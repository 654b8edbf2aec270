/**
 * VGG-16 (Simonyan & Zisserman 2014, configuration D), torchvision layout: 13 conv 3×3 same +
 * ReLU in 5 blocks (64, 128, 256, 512, 512) each ending in max-pool 2, then dense 4096 + ReLU +
 * dropout, dense 4096 + ReLU + dropout, dense classes. Keras's VGG16 is the same without the
 * dropouts. 224×224×3, 1000 classes: 138,357,544 parameters.
 */
import * as L from '../layers/index.js';
import type { Layer } from '../layers/layer.js';
import { sequential, type Sequential } from '../models/sequential.js';
import { checkZooOptions, type ZooOptions } from './common.js';

export function vgg16(opts: ZooOptions = {}): Sequential {
  const o = checkZooOptions('vgg16', opts, [224, 224, 3], 1000);
  const layers: Layer[] = [];
  const blocks: [number, number][] = [[64, 2], [128, 2], [256, 3], [512, 3], [512, 3]];
  blocks.forEach(([filters, n], b) => {
    for (let i = 0; i < n; i++) {
      layers.push(L.conv2d({
        name: `block${b + 1}_conv${i + 1}`, filters, kernelSize: 3, padding: 'same', activation: 'relu',
        ...(layers.length === 0 ? { inputShape: o.inputShape } : {}),
      }));
    }
    layers.push(L.maxPooling2d({ name: `block${b + 1}_pool`, poolSize: 2, strides: 2 }));
  });
  layers.push(
    L.flatten({ name: 'flatten' }),
    L.dense({ name: 'fc1', units: 4096, activation: 'relu' }),
    L.dropout({ rate: 0.5 }),
    L.dense({ name: 'fc2', units: 4096, activation: 'relu' }),
    L.dropout({ rate: 0.5 }),
    L.dense({ name: 'predictions', units: o.classes, activation: o.classifierActivation }),
  );
  return sequential({ name: opts.name ?? 'vgg16', layers });
}
