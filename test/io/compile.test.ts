/**
 * Training configuration restore (Keras's load_model(compile=True)) and save.
 * References are independent of our reader: the raw training config is read with h5py (legacy .h5),
 * by unzipping config.json (.keras), or from model.json (TF.js); evaluate()'s loss and accuracy on the
 * 200 MNIST digits are checked against the loss and accuracy recomputed from the fixture's REFERENCE
 * outputs (TF.js/PyTorch), with Keras's crossentropy clipping (epsilon 1e-7).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { strFromU8, unzipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import { loadModel, loadModelWithInfo } from '../../lib/io/index.js';
import { Adam, SGD, RMSprop, type Optimizer } from '../../lib/training/optimizers.js';
import { sequential, layers } from '../../lib/index.js';
import { tensor } from '../../lib/tensor/index.js';
import { FIXTURES, fx, readF32 } from './fixtures.js';

const dir = mkdtempSync(path.join(tmpdir(), 'convkit-io-compile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const PY = '/usr/bin/python3';
const hasH5py = spawnSync(PY, ['-c', 'import h5py'], { stdio: 'ignore' }).status === 0;

type Raw = Record<string, unknown>;
function rawTrainingConfig(file: string): Raw {
  if (file.endsWith('.keras')) return (JSON.parse(strFromU8(unzipSync(new Uint8Array(readFileSync(file)))['config.json']!)) as Raw).compile_config as Raw;
  if (file.endsWith('.json')) return (JSON.parse(readFileSync(file, 'utf8')) as { modelTopology: Raw }).modelTopology.training_config as Raw;
  const out = execFileSync(PY, ['-c', 'import h5py,sys; a=h5py.File(sys.argv[1],"r").attrs["training_config"]; print(a.decode() if isinstance(a, bytes) else a)', file], { encoding: 'utf8' });
  return JSON.parse(out) as Raw;
}

function rawOptimizer(t: Raw): { cls: string; cfg: Record<string, unknown> } {
  const o = (t.optimizer_config ?? t.optimizer) as string | { class_name: string; config: Record<string, unknown> };
  return typeof o === 'string' ? { cls: o, cfg: {} } : { cls: o.class_name, cfg: o.config };
}

function rawLossName(t: Raw): string {
  const l = t.loss as string | { config: string };
  return typeof l === 'string' ? l : l.config;
}

const CASES: [string, string][] = [
  ['k2-mini-xception-fer', 'fer2013_mini_XCEPTION.102-0.66.hdf5'],
  ['k2-unet-mnist', 'unet.h5'],
  ['k2-vww-mobilenet', 'vww_96.h5'],
  ['k3-mlp-mnist-3formats', 'model.h5'],
  ['k3-mlp-mnist-3formats', 'model.keras'],
  ['k3h5-ecg-conv1d', 'ecg_model.h5'],
  ['k3-resnet-mnist', 'resnet_mnist.keras'],
  ['kv3-k215-mnist-cnn', 'mnist.keras'],
  ['tfjs-mnist-cnn', 'model.json'],
];

describe.skipIf(!FIXTURES)('fixtures with a training configuration come back compiled', () => {
  for (const [name, file] of CASES) {
    it.skipIf(!hasH5py && /\.(h5|hdf5)$/.test(file))(`${name}/${file}`, async () => {
      const f = fx(name, file);
      const raw = rawTrainingConfig(f);
      const warnings: string[] = [];
      const info = await loadModelWithInfo(f, { onWarning: (w) => warnings.push(w) });
      expect(info.compiled, info.compileNotes.join('; ')).toBe(true);
      expect(warnings).toEqual([]);
      const opt = info.model.optimizer as Optimizer;
      const { cls, cfg } = rawOptimizer(raw);
      expect(opt.className.toLowerCase()).toBe(cls.replace(/^Custom>/, '').toLowerCase());
      const a = opt as Adam;
      // hyper-parameters exactly as stored (Keras 2.0 calls the learning rate `lr`); defaults when absent
      expect(a.learningRate).toBe((cfg.learning_rate ?? cfg.lr ?? 0.001) as number);
      expect(a.beta1).toBe((cfg.beta_1 ?? 0.9) as number);
      expect(a.beta2).toBe((cfg.beta_2 ?? 0.999) as number);
      expect(a.epsilon).toBe((cfg.epsilon ?? 1e-7) as number);
      expect(info.model.compiledLoss!.name).toBe(rawLossName(raw));
      expect(info.model.compiledMetrics!.length).toBe(1);
      info.model.dispose();
    });
  }

  it('{compile: false} skips it', async () => {
    const info = await loadModelWithInfo(fx('kv3-k215-mnist-cnn', 'mnist.keras'), { compile: false });
    expect(info.compiled).toBe(false);
    expect(info.model.optimizer).toBe(null);
    info.model.dispose();
  });
});

/** Keras crossentropy on probabilities: clip to [1e-7, 1 - 1e-7], mean of -log p[label]. */
function refLossAcc(probs: Float32Array, labels: number[], classes: number): { loss: number; acc: number } {
  let loss = 0;
  let right = 0;
  labels.forEach((y, i) => {
    const row = probs.subarray(i * classes, (i + 1) * classes);
    const p = Math.min(Math.max(row[y]!, 1e-7), 1 - 1e-7);
    loss += -Math.log(p);
    let best = 0;
    for (let k = 1; k < classes; k++) if (row[k]! > row[best]!) best = k;
    if (best === y) right++;
  });
  return { loss: loss / labels.length, acc: right / labels.length };
}

describe.skipIf(!FIXTURES)('a restored compile evaluates like the reference model', () => {
  const labels = FIXTURES ? (JSON.parse(readFileSync(fx('_mnist200', 'labels.json'), 'utf8')) as number[]) : [];
  const images = FIXTURES ? readF32(fx('_mnist200', 'images.bin')) : new Float32Array(0);
  for (const [name, file, shape, oneHot] of [
    ['kv3-k215-mnist-cnn', 'mnist.keras', [200, 28, 28, 1], true],
    ['k3-mlp-mnist-3formats', 'model.keras', [200, 28, 28], false],
  ] as [string, string, number[], boolean][]) {
    it(`${name}/${file}: evaluate() on 200 MNIST digits`, async () => {
      const m = await loadModel(fx(name, file));
      const ref = refLossAcc(readF32(fx(name, 'ref', 'mnist200_output_0.bin')), labels, 10);
      const x = tensor(images, shape);
      const y = oneHot ? tensor(Float32Array.from({ length: 2000 }, (_, i) => (labels[Math.floor(i / 10)] === i % 10 ? 1 : 0)), [200, 10]) : tensor(Float32Array.from(labels), [200]);
      const r = (await m.evaluate(x, y, { batchSize: 50, verbose: 0 })) as number[];
      expect(r.length).toBe(2);
      expect(Math.abs(r[0]! - ref.loss)).toBeLessThan(1e-4 * Math.max(1, ref.loss));
      expect(r[1]).toBeCloseTo(ref.acc, 6);
      x.dispose();
      y.dispose();
      m.dispose();
    });
  }
});

describe('non-standard training configurations load uncompiled, with the reason', () => {
  const base = {
    format: 'layers-model',
    modelTopology: {
      model_config: { class_name: 'Sequential', config: { name: 's', layers: [{ class_name: 'Dense', config: { name: 'd', units: 2, batch_input_shape: [null, 3] } }] } },
    },
    weightsManifest: [{ paths: ['w.bin'], weights: [{ name: 'd/kernel', shape: [3, 2], dtype: 'float32' }, { name: 'd/bias', shape: [2], dtype: 'float32' }] }],
  };
  const files = { 'w.bin': new Uint8Array(32) };
  const withTc = (tc: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify({ ...base, modelTopology: { ...base.modelTopology, training_config: tc } }));
  const cases: [string, unknown, RegExp][] = [
    ['unknown optimizer', { optimizer_config: { class_name: 'Adamax', config: { learning_rate: 0.002 } }, loss: 'mse', metrics: [] }, /Adamax is not supported/],
    ['unknown optimizer option', { optimizer_config: { class_name: 'Adam', config: { learning_rate: 0.002, use_ema: true, ema_momentum: 0.9 } }, loss: 'mse' }, /use_ema/],
    ['unknown loss', { optimizer_config: { class_name: 'SGD', config: {} }, loss: 'cosine_similarity' }, /unknown loss 'cosine_similarity'/],
    ['unknown metric', { optimizer_config: { class_name: 'SGD', config: {} }, loss: 'mse', metrics: ['f1_score'] }, /metric "f1_score" is not supported/],
    ['loss weights', { optimizer_config: { class_name: 'SGD', config: {} }, loss: 'mse', loss_weights: [0.5] }, /loss_weights/],
  ];
  for (const [what, tc, re] of cases) {
    it(what, async () => {
      const warnings: string[] = [];
      const info = await loadModelWithInfo(withTc(tc), { files, onWarning: (w) => warnings.push(w) });
      expect(info.compiled).toBe(false);
      expect(info.model.optimizer).toBe(null);
      expect(warnings.length).toBe(1);
      expect(warnings[0]).toMatch(re);
      expect(warnings[0]).toMatch(/loaded uncompiled/);
      info.model.dispose();
    });
  }
  it('standard ones are restored: SGD with momentum/nesterov, Keras 2 legacy decay as InverseTimeDecay', async () => {
    const info = await loadModelWithInfo(withTc({ optimizer_config: { class_name: 'SGD', config: { lr: 0.05, momentum: 0.9, nesterov: true, decay: 0.01 } }, loss: 'mse', metrics: ['mae'] }), { files });
    expect(info.compiled).toBe(true);
    const o = info.model.optimizer as SGD;
    expect(o).toBeInstanceOf(SGD);
    expect(o.momentum).toBe(0.9);
    expect(o.nesterov).toBe(true);
    // Keras 2: lr_t = lr / (1 + decay * iterations)
    expect(o.currentLearningRate()).toBe(0.05);
    o.iterations = 10;
    expect(o.currentLearningRate()).toBeCloseTo(0.05 / (1 + 0.01 * 10), 12);
    info.model.dispose();
  });
});

describe('a compiled convkit model saves its training configuration', () => {
  it('.keras compile_config, .h5 training_config and TF.js training_config restore the same compile', async () => {
    const m = sequential({ layers: [layers.dense({ units: 3, inputShape: [4], activation: 'softmax', name: 'out' })] });
    m.compile({ optimizer: new RMSprop({ learningRate: 0.003, rho: 0.8, momentum: 0.5, centered: true }), loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
    for (const f of ['c.keras', 'c.h5', 'model.json']) {
      const p = path.join(dir, f);
      await m.save(p);
      const info = await loadModelWithInfo(p);
      expect(info.compiled, info.compileNotes.join('; ')).toBe(true);
      const o = info.model.optimizer as RMSprop;
      expect(o).toBeInstanceOf(RMSprop);
      expect([o.learningRate, o.rho, o.momentum, o.centered]).toEqual([0.003, 0.8, 0.5, true]);
      expect(info.model.compiledLoss!.name).toBe('sparse_categorical_crossentropy');
      expect(info.model.compiledMetrics).toEqual(['accuracy']);
      info.model.dispose();
    }
    const cc = (JSON.parse(strFromU8(unzipSync(new Uint8Array(readFileSync(path.join(dir, 'c.keras'))))['config.json']!)) as Raw).compile_config as Raw;
    // Keras 3 compile_config layout (trainer.get_compile_config + serialize_keras_object)
    expect(Object.keys(cc).sort()).toEqual(['jit_compile', 'loss', 'loss_weights', 'metrics', 'optimizer', 'run_eagerly', 'steps_per_execution', 'weighted_metrics']);
    expect(cc.optimizer).toMatchObject({ module: 'keras.optimizers', class_name: 'RMSprop', registered_name: null, config: { learning_rate: 0.003, rho: 0.8, momentum: 0.5, centered: true, use_ema: false } });
    expect(cc.loss).toBe('sparse_categorical_crossentropy');
    m.dispose();
  });
  it('an uncompiled model writes no training configuration', async () => {
    const m = sequential({ layers: [layers.dense({ units: 2, inputShape: [3] })] });
    const p = path.join(dir, 'u.keras');
    await m.save(p);
    const cfg = JSON.parse(strFromU8(unzipSync(new Uint8Array(readFileSync(p)))['config.json']!)) as Raw;
    expect(cfg.compile_config).toBeUndefined();
    expect((await loadModelWithInfo(p)).compiled).toBe(false);
    m.dispose();
    void Adam;
  });
});
