/**
 * Optimizer state in `.keras` / `.weights.h5` (`optimizer/vars/<i>`, Keras 3 layout):
 * - Keras-written files: the step count and the Adam moments convkit restores are the values h5py reads
 *   from the file (Keras 2.15 layout without a learning-rate variable, Keras 3.14 layout with one);
 * - convkit-written files have the layout h5py sees in Keras's own files (int64 iteration, float32
 *   learning rate, then the slots interleaved per trainable weight in Keras order);
 * - save → load → continue training gives bit-for-bit the weights of an uninterrupted run, for every
 *   optimizer whose state maps onto Keras's (SGD momentum/nesterov, Adam, AdamW+amsgrad, RMSprop
 *   centered+momentum, Adagrad, Adadelta, Nadam).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadModel, loadModelWithInfo } from '../../lib/io/index.js';
import { sequential, layers, setSeed } from '../../lib/index.js';
import { Adadelta, Adagrad, Adam, AdamW, Nadam, RMSprop, SGD, type Optimizer } from '../../lib/training/optimizers.js';
import { tensor } from '../../lib/tensor/index.js';
import type { Model } from '../../lib/models/model.js';
import { FIXTURES, fx } from './fixtures.js';

const dir = mkdtempSync(path.join(tmpdir(), 'convkit-io-optstate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const PY = '/usr/bin/python3';
const hasH5py = spawnSync(PY, ['-c', 'import h5py'], { stdio: 'ignore' }).status === 0;

interface PyVar {
  dtype: string;
  shape: number[];
  values: number[];
}
/** optimizer/vars of a .keras (zip) or .weights.h5, read by h5py: dtype, shape and (first 64) values. */
function pyOptimizerVars(file: string): PyVar[] {
  const code = `
import h5py, io, json, sys, zipfile
p = sys.argv[1]
f = h5py.File(io.BytesIO(zipfile.ZipFile(p).read("model.weights.h5")) if p.endswith(".keras") else p, "r")
g = f["optimizer/vars"]
out = []
for i in range(len(g.keys())):
    d = g[str(i)]
    out.append({"dtype": str(d.dtype), "shape": list(d.shape), "values": [float(x) for x in d[()].reshape(-1)[:64]]})
print(json.dumps(out))`;
  return JSON.parse(execFileSync(PY, ['-c', code, file], { encoding: 'utf8', maxBuffer: 32 << 20 })) as PyVar[];
}

describe.skipIf(!FIXTURES || !hasH5py)('optimizer state of Keras-written files', () => {
  for (const [name, file, lrVar] of [
    ['kv3-k215-mnist-cnn', 'mnist.keras', false],
    ['k3-mlp-mnist-3formats', 'model.keras', true],
  ] as [string, string, boolean][]) {
    it(`${name}/${file}`, async () => {
      const f = fx(name, file);
      const py = pyOptimizerVars(f);
      const info = await loadModelWithInfo(f);
      expect(info.compiled).toBe(true);
      expect(info.optimizerStateRestored, info.compileNotes.join('; ')).toBe(true);
      const opt = info.model.optimizer!;
      expect(py[0]!.dtype).toBe('int64');
      expect(opt.iterations).toBe(py[0]!.values[0]);
      const start = lrVar ? 2 : 1;
      if (lrVar) expect(opt.learningRate).toBe(Math.fround(py[1]!.values[0]!));
      // first trainable weight (the first layer's kernel): its momentum and velocity are vars start, start+1
      const st = opt.getState();
      const w0 = info.model.trainableWeights[0]!;
      const slots = st.slots.get(w0)!;
      expect(py[start]!.shape).toEqual([...w0.shape]);
      expect([...slots[0]!.subarray(0, 64)]).toEqual(py[start]!.values.map(Math.fround));
      expect([...slots[1]!.subarray(0, 64)]).toEqual(py[start + 1]!.values.map(Math.fround));
      // and the last weight's velocity is the file's last variable
      const wl = info.model.trainableWeights.at(-1)!;
      expect([...st.slots.get(wl)![1]!.subarray(0, 64)]).toEqual(py.at(-1)!.values.map(Math.fround));
      info.model.dispose();
    });
  }

  it('loadWeights(model.weights.h5) restores the optimizer of a compiled model too', async () => {
    const m = await loadModel(fx('k3-mlp-mnist-3formats', 'model.keras'), { compile: false });
    m.compile({ optimizer: new Adam({ learningRate: 1e-4 }), loss: 'sparse_categorical_crossentropy' });
    await m.loadWeights(fx('k3-mlp-mnist-3formats', 'model.weights.h5'));
    expect(m.optimizer!.iterations).toBe(pyOptimizerVars(fx('k3-mlp-mnist-3formats', 'model.weights.h5'))[0]!.values[0]);
    m.dispose();
  });

  it('an optimizer saved unbuilt (2 variables, iteration 4690) is skipped with a note, as Keras skips it', async () => {
    const notes: string[] = [];
    const info = await loadModelWithInfo(fx('k3-resnet-mnist', 'resnet_mnist.keras'), { onWarning: (n) => notes.push(n) });
    expect(info.compiled).toBe(true);
    expect(info.optimizerStateRestored).toBe(false);
    expect(info.model.optimizer!.iterations).toBe(0);
    expect(notes.join('\n')).toMatch(/optimizer state not restored: the file has 2 optimizer variables/);
    info.model.dispose();
  });
});

function smallModel(): Model {
  setSeed(7);
  return sequential({
    layers: [
      layers.conv2d({ filters: 3, kernelSize: 3, inputShape: [6, 6, 2], activation: 'relu' }),
      layers.batchNormalization({}),
      layers.flatten({}),
      layers.dense({ units: 4, activation: 'softmax' }),
    ],
  });
}

const X = Float32Array.from({ length: 12 * 72 }, (_, i) => Math.sin(i * 0.7));
const Y = Float32Array.from({ length: 12 }, (_, i) => i % 4);

async function train(m: Model, epochs: number): Promise<void> {
  const x = tensor(X, [12, 6, 6, 2]);
  const y = tensor(Y, [12]);
  await m.fit(x, y, { epochs, batchSize: 4, shuffle: false, verbose: 0 });
  x.dispose();
  y.dispose();
}

function weightsOf(m: Model): Float32Array[] {
  return m.getWeights().map((t) => Float32Array.from(t.dataSync() as Float32Array));
}

const OPTIMIZERS: [string, () => Optimizer][] = [
  ['SGD momentum nesterov', () => new SGD({ learningRate: 0.05, momentum: 0.9, nesterov: true })],
  ['Adam', () => new Adam({ learningRate: 0.01 })],
  ['AdamW amsgrad', () => new AdamW({ learningRate: 0.01, amsgrad: true })],
  ['RMSprop centered momentum', () => new RMSprop({ learningRate: 0.01, momentum: 0.5, centered: true })],
  ['Adagrad', () => new Adagrad({ learningRate: 0.05 })],
  ['Adadelta', () => new Adadelta({ learningRate: 1 })],
  ['Nadam', () => new Nadam({ learningRate: 0.01 })],
];

describe('save → load → continue training is exact', () => {
  for (const [what, make] of OPTIMIZERS) {
    it(what, async () => {
      const a = smallModel();
      a.compile({ optimizer: make(), loss: 'sparse_categorical_crossentropy' });
      await train(a, 2);
      const want = weightsOf(a);

      const b = smallModel();
      b.compile({ optimizer: make(), loss: 'sparse_categorical_crossentropy' });
      await train(b, 1);
      const p = path.join(dir, `${what.replace(/\W+/g, '_')}.keras`);
      await b.save(p);
      const c = await loadModel(p);
      expect(c.optimizer!.className).toBe(b.optimizer!.className);
      expect(c.optimizer!.iterations).toBe(3);
      await train(c, 1);
      const got = weightsOf(c);
      expect(got.length).toBe(want.length);
      got.forEach((w, i) => expect(Buffer.from(w.buffer).equals(Buffer.from(want[i]!.buffer)), `weight ${i}`).toBe(true));
      // without the optimizer state the continuation differs (the test can fail)
      const d = await loadModel(p, { compile: false });
      d.compile({ optimizer: make(), loss: 'sparse_categorical_crossentropy' });
      await train(d, 1);
      expect(weightsOf(d).some((w, i) => !Buffer.from(w.buffer).equals(Buffer.from(want[i]!.buffer)))).toBe(true);
      for (const m of [a, b, c, d]) m.dispose();
    });
  }

  it.skipIf(!hasH5py)('the written optimizer/vars have the Keras layout (h5py)', async () => {
    const m = smallModel();
    m.compile({ optimizer: new Adam({ learningRate: 0.01, amsgrad: true }), loss: 'sparse_categorical_crossentropy' });
    await train(m, 1);
    const p = path.join(dir, 'layout.keras');
    await m.save(p);
    const py = pyOptimizerVars(p);
    const tw = m.trainableWeights; // conv kernel, conv bias, bn gamma, bn beta, dense kernel, dense bias (Keras order)
    expect(tw.map((w) => w.name.split('/').pop())).toEqual(['kernel', 'bias', 'gamma', 'beta', 'kernel', 'bias']);
    expect(py[0]).toMatchObject({ dtype: 'int64', shape: [], values: [3] });
    expect(py[1]).toMatchObject({ dtype: 'float32', shape: [] });
    expect(py[1]!.values[0]).toBe(Math.fround(0.01));
    // momentum/velocity interleaved per weight, then all velocity_hats (keras adam.py build)
    const want = [...tw.flatMap((w) => [[...w.shape], [...w.shape]]), ...tw.map((w) => [...w.shape])];
    expect(py.slice(2).map((v) => v.shape)).toEqual(want);
    expect(py.slice(2).every((v) => v.dtype === 'float32')).toBe(true);
    const st = m.optimizer!.getState();
    expect(py[2]!.values).toEqual([...st.slots.get(tw[0]!)![0]!.subarray(0, 64)]);
    expect(py.at(-1)!.values).toEqual([...st.slots.get(tw.at(-1)!)![2]!.subarray(0, 64)]);
    m.dispose();
  });
});

describe('CLI training driver: --resume keeps the restored optimizer state', () => {
  it('fitModel({resume: true}) continues the step count and moments of the checkpoint', async () => {
    const { fitModel } = await import('../../lib/cli/fit.js');
    const train = { x: X, sampleShape: [6, 6, 2], y: Int32Array.from(Y), numClasses: 4 };
    const a = smallModel();
    const r = await fitModel(a, { train, epochs: 1, batchSize: 4, optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: [], seed: 1 });
    const p = path.join(dir, 'cli-resume.keras');
    await r.save(p);
    const m0 = a.optimizer!.getState();
    const b = await loadModel(p);
    expect(b.optimizer!.iterations).toBe(3);
    await fitModel(b, { train, epochs: 1, batchSize: 4, optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: [], seed: 1, resume: true });
    expect(b.optimizer!.iterations).toBe(6);
    // without --resume a fresh optimizer starts over
    const c = await loadModel(p);
    await fitModel(c, { train, epochs: 1, batchSize: 4, optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: [], seed: 1 });
    expect(c.optimizer!.iterations).toBe(3);
    expect(m0.iterations).toBe(3);
    for (const m of [a, b, c]) m.dispose();
  });
});

