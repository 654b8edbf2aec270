/**
 * The MODEL argument of the commands: a zoo name (built fresh, sized to the data) or a model file
 * (.keras, .h5, TF.js model.json, Keras config .json), loaded through lib/io.
 */
import { existsSync } from 'node:fs';
import { basename, extname } from 'node:path';
import type { Model } from '../models/index.js';
import { buildZooModel } from '../zoo/index.js';
import { UsageError } from './errors.js';

/** CLI names of the zoo models (kebab-case, as in the issue and the docs) → zoo builder names. */
export const ZOO_NAMES: Readonly<Record<string, string>> = {
  lenet5: 'lenet5',
  'cifar-baseline': 'cifarBaseline',
  'vgg-small': 'smallVgg',
  alexnet: 'alexnet',
  vgg16: 'vgg16',
  googlenet: 'googlenet',
  resnet18: 'resnet18',
  resnet34: 'resnet34',
  resnet50: 'resnet50',
};

/** Extra spellings people type. */
const ALIASES: Readonly<Record<string, string>> = { 'lenet-5': 'lenet5', lenet: 'lenet5', 'small-vgg': 'vgg-small', 'cifar10-baseline': 'cifar-baseline' };

export function zooKey(spec: string): string | undefined {
  const s = spec.toLowerCase().replace(/_/g, '-');
  const name = ALIASES[s] ?? s;
  if (ZOO_NAMES[name]) return name;
  // camelCase builder names (cifarBaseline, smallVgg) too
  return Object.keys(ZOO_NAMES).find((k) => ZOO_NAMES[k]!.toLowerCase() === spec.toLowerCase());
}

export function isModelFile(spec: string): boolean {
  return existsSync(spec) || ['.keras', '.h5', '.hdf5', '.json'].includes(extname(spec).toLowerCase());
}

export interface LoadedModel {
  readonly model: Model;
  readonly kind: 'zoo' | 'file';
  /** Display name: the zoo name or the file name without extension. */
  readonly name: string;
}

/** A zoo model sized for `inputShape` / `classes`, or a model file as saved. */
export async function resolveModel(spec: string, sizing: { inputShape?: readonly number[]; classes?: number } = {}): Promise<LoadedModel> {
  const key = zooKey(spec);
  if (key && !existsSync(spec)) {
    const model = buildZooModel(ZOO_NAMES[key]!, {
      ...(sizing.inputShape ? { inputShape: [...sizing.inputShape] } : {}),
      ...(sizing.classes ? { classes: sizing.classes } : {}),
    });
    return { model, kind: 'zoo', name: key };
  }
  if (!isModelFile(spec)) {
    throw new UsageError(`MODEL ${JSON.stringify(spec)} is neither a zoo model (${Object.keys(ZOO_NAMES).join(', ')}) nor a model file (.keras, .h5, model.json, config .json)`);
  }
  const { loadModelFile } = await import('./model_file.js');
  const model = await loadModelFile(spec);
  const base = basename(spec, extname(spec));
  return { model, kind: 'file', name: base === 'model' ? basename(spec.slice(0, -basename(spec).length - 1)) || base : base };
}

/** The sample shape a model takes ([h, w, c] for an image model), from its first input. */
export function modelSampleShape(model: Model): (number | null)[] | undefined {
  const ins = model.inputs;
  if (ins.length > 0) return [...ins[0]!.shape.slice(1)];
  return undefined;
}

/** Number of outputs of the last axis (classes of a classifier), when static. */
export function modelOutputUnits(model: Model): number | undefined {
  const outs = model.outputs;
  const last = outs.length > 0 ? outs[0]!.shape.at(-1) : undefined;
  return typeof last === 'number' ? last : undefined;
}
