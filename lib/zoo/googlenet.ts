/**
 * GoogLeNet / Inception v1 (Szegedy et al. 2014), torchvision layout without the auxiliary heads:
 * every conv is torchvision's BasicConv2d = conv (no bias) + BatchNorm(ε = 0.001) + ReLU; max-pools
 * use ceil mode (= 'same' here); and, as in torchvision, the "5×5" branch of each Inception block
 * uses a 3×3 kernel (a known quirk of the reference weights). With 224×224×3 and 1000 classes the
 * trainable parameters number 6,624,904 (torchvision's count: conv weights + BN γ, β + fc);
 * BN moving statistics add 14,560 non-trainable ones (buffers in torchvision).
 */
import * as L from '../layers/index.js';
import { input } from '../models/input_layer.js';
import { Model } from '../models/model.js';
import type { SymbolicTensor } from '../layers/symbolic.js';
import { checkZooOptions, type ZooOptions } from './common.js';

function basicConv(x: SymbolicTensor, filters: number, k: number, name: string, strides = 1): SymbolicTensor {
  let y = x;
  if (strides > 1) y = L.zeroPadding2d({ padding: Math.floor(k / 2), name: `${name}_pad` }).apply(y) as SymbolicTensor;
  y = L.conv2d({ filters, kernelSize: k, strides, padding: strides > 1 ? 'valid' : 'same', useBias: false, name: `${name}_conv` }).apply(y) as SymbolicTensor;
  y = L.batchNormalization({ epsilon: 1e-3, name: `${name}_bn` }).apply(y) as SymbolicTensor;
  return L.relu({ name: `${name}_relu` }).apply(y) as SymbolicTensor;
}

function inception(x: SymbolicTensor, name: string, c1: number, c3r: number, c3: number, c5r: number, c5: number, pp: number): SymbolicTensor {
  const b1 = basicConv(x, c1, 1, `${name}_b1`);
  const b2 = basicConv(basicConv(x, c3r, 1, `${name}_b2a`), c3, 3, `${name}_b2b`);
  const b3 = basicConv(basicConv(x, c5r, 1, `${name}_b3a`), c5, 3, `${name}_b3b`);
  const p = L.maxPooling2d({ poolSize: 3, strides: 1, padding: 'same', name: `${name}_b4pool` }).apply(x) as SymbolicTensor;
  const b4 = basicConv(p, pp, 1, `${name}_b4`);
  return L.concatenate({ axis: -1, name: `${name}_concat` }).apply([b1, b2, b3, b4]) as SymbolicTensor;
}

export function googlenet(opts: ZooOptions = {}): Model {
  const o = checkZooOptions('googlenet', opts, [224, 224, 3], 1000);
  const inp = input({ shape: o.inputShape, name: 'input' });
  let x = basicConv(inp, 64, 7, 'conv1', 2);
  x = L.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same', name: 'maxpool1' }).apply(x) as SymbolicTensor;
  x = basicConv(x, 64, 1, 'conv2');
  x = basicConv(x, 192, 3, 'conv3');
  x = L.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same', name: 'maxpool2' }).apply(x) as SymbolicTensor;
  x = inception(x, 'inception3a', 64, 96, 128, 16, 32, 32);
  x = inception(x, 'inception3b', 128, 128, 192, 32, 96, 64);
  x = L.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same', name: 'maxpool3' }).apply(x) as SymbolicTensor;
  x = inception(x, 'inception4a', 192, 96, 208, 16, 48, 64);
  x = inception(x, 'inception4b', 160, 112, 224, 24, 64, 64);
  x = inception(x, 'inception4c', 128, 128, 256, 24, 64, 64);
  x = inception(x, 'inception4d', 112, 144, 288, 32, 64, 64);
  x = inception(x, 'inception4e', 256, 160, 320, 32, 128, 128);
  x = L.maxPooling2d({ poolSize: 2, strides: 2, padding: 'same', name: 'maxpool4' }).apply(x) as SymbolicTensor;
  x = inception(x, 'inception5a', 256, 160, 320, 32, 128, 128);
  x = inception(x, 'inception5b', 384, 192, 384, 48, 128, 128);
  x = L.globalAveragePooling2d({ name: 'avgpool' }).apply(x) as SymbolicTensor;
  x = L.dropout({ rate: 0.2, name: 'dropout' }).apply(x) as SymbolicTensor;
  const out = L.dense({ units: o.classes, activation: o.classifierActivation, name: 'fc' }).apply(x) as SymbolicTensor;
  return new Model({ inputs: inp, outputs: out, name: opts.name ?? 'googlenet' });
}
