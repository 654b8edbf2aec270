/**
 * The CIFAR-10 baseline: Conv2D(6, 5×5, same) → BatchNormalization → ReLU → MaxPool2D(2, 2, same)
 * → Dropout(0.2) → Flatten → Dense(128, relu) → Dropout(0.2) → Dense(10, softmax) on 32×32×3.
 * 198,506 parameters, 198,494 trainable (the 12 non-trainable are BN's moving mean/variance).
 */
import * as L from '../layers/index.js';
import { sequential, type Sequential } from '../models/sequential.js';
import { checkZooOptions, type ZooOptions } from './common.js';

export function cifarBaseline(opts: ZooOptions = {}): Sequential {
  const o = checkZooOptions('cifarBaseline', opts, [32, 32, 3], 10);
  return sequential({
    name: opts.name ?? 'cifar_baseline',
    layers: [
      L.conv2d({ filters: 6, kernelSize: 5, padding: 'same', inputShape: o.inputShape }),
      L.batchNormalization(),
      L.relu(),
      L.maxPooling2d({ poolSize: 2, strides: 2, padding: 'same' }),
      L.dropout({ rate: 0.2 }),
      L.flatten(),
      L.dense({ units: 128, activation: 'relu' }),
      L.dropout({ rate: 0.2 }),
      L.dense({ units: o.classes, activation: o.classifierActivation }),
    ],
  });
}
