/** The model zoo: classic architectures by name, for code and the CLI (`buildZooModel('resnet18', {...})`). */
import type { Model } from '../models/model.js';
import { alexnet } from './alexnet.js';
import { cifarBaseline } from './cifar_baseline.js';
import type { ZooOptions } from './common.js';
import { googlenet } from './googlenet.js';
import { lenet5 } from './lenet5.js';
import { resnet18, resnet34, resnet50 } from './resnet.js';
import { smallVgg } from './small_vgg.js';
import { vgg16 } from './vgg16.js';

export { alexnet, cifarBaseline, googlenet, lenet5, resnet18, resnet34, resnet50, smallVgg, vgg16, type ZooOptions };

export const zooModels: Readonly<Record<string, (opts?: ZooOptions) => Model>> = {
  lenet5,
  cifarBaseline,
  smallVgg,
  alexnet,
  vgg16,
  googlenet,
  resnet18,
  resnet34,
  resnet50,
};

/** Accepts camelCase or snake/kebab names ('cifar_baseline', 'small-vgg'). */
export function buildZooModel(name: string, opts: ZooOptions = {}): Model {
  const key = Object.keys(zooModels).find((k) => k.toLowerCase() === name.replace(/[-_]/g, '').toLowerCase());
  if (!key) throw new RangeError(`unknown zoo model '${name}'; available: ${Object.keys(zooModels).join(', ')}`);
  return zooModels[key]!(opts);
}
