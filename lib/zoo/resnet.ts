/**
 * ResNet-18/34/50 (He et al. 2015), torchvision layout ("v1.5": in bottleneck blocks the stride
 * sits on the 3×3 conv): convs without bias, each followed by BatchNorm (ε = 1e-5, torch momentum
 * 0.1 = Keras momentum 0.9); stem conv 7×7/2 pad 3 + BN + ReLU + max-pool 3/2 pad 1; stages of
 * basic (18, 34) or bottleneck (50) blocks with a 1×1 conv + BN projection shortcut where the
 * shape changes; global average pool; dense classes. Explicit zero padding reproduces torch's
 * symmetric padding on stride-2 layers. 224×224×3, 1000 classes: trainable parameters 11,689,512 /
 * 21,797,672 / 25,557,032 (torchvision's counts; BN moving statistics are the non-trainable rest).
 */
import * as L from '../layers/index.js';
import { input } from '../models/input_layer.js';
import { Model } from '../models/model.js';
import type { SymbolicTensor } from '../layers/symbolic.js';
import { checkZooOptions, type ZooOptions } from './common.js';

type S = SymbolicTensor;
const bn = (x: S, name: string): S => L.batchNormalization({ epsilon: 1e-5, momentum: 0.9, name }).apply(x) as S;
const relu = (x: S, name: string): S => L.relu({ name }).apply(x) as S;

function conv(x: S, filters: number, k: number, strides: number, name: string): S {
  let y = x;
  if (strides > 1 && k > 1) y = L.zeroPadding2d({ padding: Math.floor(k / 2), name: `${name}_pad` }).apply(y) as S;
  const padding = strides > 1 || k === 1 ? 'valid' : 'same';
  return L.conv2d({ filters, kernelSize: k, strides, padding, useBias: false, name }).apply(y) as S;
}

function basicBlock(x: S, filters: number, strides: number, name: string): S {
  const inC = x.shape[x.shape.length - 1];
  let y = relu(bn(conv(x, filters, 3, strides, `${name}_conv1`), `${name}_bn1`), `${name}_relu1`);
  y = bn(conv(y, filters, 3, 1, `${name}_conv2`), `${name}_bn2`);
  const shortcut = strides !== 1 || inC !== filters ? bn(conv(x, filters, 1, strides, `${name}_down_conv`), `${name}_down_bn`) : x;
  return relu(L.add({ name: `${name}_add` }).apply([y, shortcut]) as S, `${name}_out`);
}

function bottleneck(x: S, width: number, strides: number, name: string): S {
  const inC = x.shape[x.shape.length - 1];
  const out = width * 4;
  let y = relu(bn(conv(x, width, 1, 1, `${name}_conv1`), `${name}_bn1`), `${name}_relu1`);
  y = relu(bn(conv(y, width, 3, strides, `${name}_conv2`), `${name}_bn2`), `${name}_relu2`);
  y = bn(conv(y, out, 1, 1, `${name}_conv3`), `${name}_bn3`);
  const shortcut = strides !== 1 || inC !== out ? bn(conv(x, out, 1, strides, `${name}_down_conv`), `${name}_down_bn`) : x;
  return relu(L.add({ name: `${name}_add` }).apply([y, shortcut]) as S, `${name}_out`);
}

function resnet(kind: 'resnet18' | 'resnet34' | 'resnet50', blocks: number[], opts: ZooOptions): Model {
  const o = checkZooOptions(kind, opts, [224, 224, 3], 1000);
  const block = kind === 'resnet50' ? bottleneck : basicBlock;
  const inp = input({ shape: o.inputShape, name: 'input' });
  let x = relu(bn(conv(inp, 64, 7, 2, 'conv1'), 'bn1'), 'relu');
  x = L.zeroPadding2d({ padding: 1, name: 'maxpool_pad' }).apply(x) as S;
  x = L.maxPooling2d({ poolSize: 3, strides: 2, name: 'maxpool' }).apply(x) as S;
  [64, 128, 256, 512].forEach((filters, stage) => {
    for (let b = 0; b < blocks[stage]!; b++) {
      x = block(x, filters, b === 0 && stage > 0 ? 2 : 1, `layer${stage + 1}_${b}`);
    }
  });
  x = L.globalAveragePooling2d({ name: 'avgpool' }).apply(x) as S;
  const out = L.dense({ units: o.classes, activation: o.classifierActivation, name: 'fc' }).apply(x) as S;
  return new Model({ inputs: inp, outputs: out, name: opts.name ?? kind });
}

export const resnet18 = (opts: ZooOptions = {}): Model => resnet('resnet18', [2, 2, 2, 2], opts);
export const resnet34 = (opts: ZooOptions = {}): Model => resnet('resnet34', [3, 4, 6, 3], opts);
export const resnet50 = (opts: ZooOptions = {}): Model => resnet('resnet50', [3, 4, 6, 3], opts);
