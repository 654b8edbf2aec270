/**
 * AlexNet, torchvision layout (the single-GPU variant of "One weird trick", Krizhevsky 2014):
 * conv 64@11×11/4 pad 2, pool 3/2, conv 192@5×5 pad 2, pool 3/2, conv 384, 256, 256 @3×3 pad 1,
 * pool 3/2, dropout, dense 4096, dropout, dense 4096, dense classes. With 224×224×3 and 1000
 * classes: 61,100,840 parameters. torchvision's AdaptiveAvgPool2d(6, 6) is the identity at 224
 * and is omitted, so other input sizes change the first dense layer's size.
 */
import * as L from '../layers/index.js';
import { sequential, type Sequential } from '../models/sequential.js';
import { checkZooOptions, type ZooOptions } from './common.js';

export function alexnet(opts: ZooOptions = {}): Sequential {
  const o = checkZooOptions('alexnet', opts, [224, 224, 3], 1000);
  return sequential({
    name: opts.name ?? 'alexnet',
    layers: [
      L.zeroPadding2d({ padding: 2, inputShape: o.inputShape }),
      L.conv2d({ filters: 64, kernelSize: 11, strides: 4, activation: 'relu' }),
      L.maxPooling2d({ poolSize: 3, strides: 2 }),
      L.conv2d({ filters: 192, kernelSize: 5, padding: 'same', activation: 'relu' }),
      L.maxPooling2d({ poolSize: 3, strides: 2 }),
      L.conv2d({ filters: 384, kernelSize: 3, padding: 'same', activation: 'relu' }),
      L.conv2d({ filters: 256, kernelSize: 3, padding: 'same', activation: 'relu' }),
      L.conv2d({ filters: 256, kernelSize: 3, padding: 'same', activation: 'relu' }),
      L.maxPooling2d({ poolSize: 3, strides: 2 }),
      L.flatten(),
      L.dropout({ rate: 0.5 }),
      L.dense({ units: 4096, activation: 'relu' }),
      L.dropout({ rate: 0.5 }),
      L.dense({ units: 4096, activation: 'relu' }),
      L.dense({ units: o.classes, activation: o.classifierActivation }),
    ],
  });
}
