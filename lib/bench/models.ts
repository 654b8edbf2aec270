// Model cases of the shared benchmark (cases.json group "model"): `train_step` — one training
// step (forward, categorical cross-entropy, backward, Adam lr 1e-3) on one fixed batch, dropout and
// batch norm in training mode — and `inference` — the forward pass in inference mode with the
// softmax output. Models come from convkit's zoo (the same specs as the peers' torch_models.py);
// the parameter counts are checked against cases.json before timing.
import type { Model } from '../models/model.js';
import { cifarBaseline, lenet5, resnet18, smallVgg } from '../zoo/index.js';
import { allocTensor, f32 } from '../tensor/internal.js';
import { setSeed } from '../random/index.js';
import { Adam } from '../training/index.js';
import { intParam, randomFloat32, type BenchCase } from './cases.js';
import { registerKind, type PreparedCase } from './registry.js';

interface ModelSpec {
  input: number[];
  params?: { total: number; trainable: number; non_trainable: number };
}

const BUILDERS: Record<string, () => Model> = {
  lenet5: () => lenet5(),
  cifar_baseline: () => cifarBaseline(),
  small_vgg: () => smallVgg(),
  resnet18: () => resnet18({ inputShape: [224, 224, 3], classes: 1000 }),
};

let specs: Record<string, ModelSpec> = {};
/** The runner hands over the cases file's "models" section through this (see index.ts). */
export function setModelSpecs(models: Record<string, ModelSpec> | undefined): void {
  specs = models ?? {};
}

function build(c: BenchCase): { m: Model; spec: ModelSpec; name: string } | { skipped: string } | null {
  const name = String(c.params['model']);
  const make = BUILDERS[name];
  if (!make) return null;
  setSeed(1);
  const m = make();
  const spec = specs[name] ?? { input: m.inputs[0]!.shape.slice(1) as number[] };
  if (spec.params) {
    const total = m.countParams();
    const trainable = m.trainableWeights.reduce((n, w) => n + w.size, 0);
    if (total !== spec.params.total || trainable !== spec.params.trainable)
      throw new Error(`${name}: convkit's model has ${total} params (${trainable} trainable), cases.json says ${spec.params.total} (${spec.params.trainable})`);
  }
  return { m, spec, name };
}

function batchData(batch: number, input: number[], classes: number): { x: ReturnType<typeof allocTensor>; y: ReturnType<typeof allocTensor> } {
  const x = allocTensor([batch, ...input]);
  f32(x).set(randomFloat32(x.size, 3));
  const y = allocTensor([batch, classes], 'float32', true);
  const yv = f32(y);
  for (let i = 0; i < batch; i++) yv[i * classes + (i % classes)] = 1;
  return { x, y };
}

function setupTrainStep(c: BenchCase): PreparedCase | { skipped: string } | null {
  const b = build(c);
  if (b === null || 'skipped' in b) return b;
  const { m, spec } = b;
  const batch = intParam(c, 'batch');
  const classes = m.outputs[0]!.shape[m.outputs[0]!.shape.length - 1] as number;
  const { x, y } = batchData(batch, spec.input, classes);
  const lr = typeof c.params['lr'] === 'number' ? (c.params['lr'] as number) : 0.001;
  const optName = String(c.params['optimizer'] ?? 'adam');
  m.compile({ optimizer: optName === 'adam' ? new Adam({ learningRate: lr }) : optName, loss: String(c.params['loss'] ?? 'categorical_crossentropy') });
  let last = NaN;
  return {
    run: () => {
      last = m.trainOnBatch(x, y) as number;
    },
    check: () => {
      if (!Number.isFinite(last)) throw new Error(`train step loss is ${last}`);
    },
    dispose: () => {
      x.dispose();
      y.dispose();
      m.dispose();
    },
    extra: { loss: 'categorical_crossentropy (fused, from probabilities)', optimizer: 'adam (fused native step)' },
  };
}

function setupInference(c: BenchCase): PreparedCase | { skipped: string } | null {
  const b = build(c);
  if (b === null || 'skipped' in b) return b;
  const { m, spec } = b;
  const batch = intParam(c, 'batch');
  const classes = m.outputs[0]!.shape[m.outputs[0]!.shape.length - 1] as number;
  const { x, y } = batchData(batch, spec.input, classes);
  y.dispose();
  let out: { shape: readonly number[]; dispose(): void } | null = null;
  return {
    run: () => {
      out?.dispose();
      out = m.predictSync(x) as unknown as { shape: readonly number[]; dispose(): void };
    },
    check: () => {
      if (!out || out.shape[0] !== batch || out.shape[1] !== classes) throw new Error(`inference output shape [${out?.shape.join(', ')}], expected [${batch}, ${classes}]`);
    },
    dispose: () => {
      out?.dispose();
      x.dispose();
      m.dispose();
    },
  };
}

registerKind('train_step', setupTrainStep);
registerKind('inference', setupInference);
