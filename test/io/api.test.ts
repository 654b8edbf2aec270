/**
 * The loading API: format by content (magic bytes), not by file name; plain Uint8Array input (also a
 * view into a larger buffer); legacy weights by topological order and by layer name; and one error that
 * lists every unsupported layer class AND option in a file at once.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ModelFormatError, loadModel, loadModelWithInfo } from '../../lib/io/index.js';
import { readModelFile } from '../../lib/io/readers/load_file.js';
import { input, layers, model as functional, setSeed, type SymbolicTensor } from '../../lib/index.js';
import { tensor, type Tensor } from '../../lib/tensor/index.js';
import type { Model } from '../../lib/models/model.js';
import { FIXTURES, fx } from './fixtures.js';

const dir = mkdtempSync(path.join(tmpdir(), 'convkit-io-api-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!FIXTURES)('format by content, not by name', () => {
  it('a .keras named .h5, an .h5 named .keras, a TF.js model.json named .bin, an architecture JSON named .txt', async () => {
    const cases: [string, string, string, string][] = [
      ['k3-mlp-mnist-3formats', 'model.keras', 'looks-like.h5', 'keras-v3'],
      ['k3-mlp-mnist-3formats', 'model.h5', 'looks-like.keras', 'h5-legacy'],
      ['tfjs-mnist-cnn', 'model.json', 'topology.bin', 'tfjs-layers'],
    ];
    for (const [name, file, renamed, format] of cases) {
      const p = path.join(dir, renamed);
      copyFileSync(fx(name, file), p);
      if (name === 'tfjs-mnist-cnn') copyFileSync(fx(name, 'group1-shard1of1.bin'), path.join(dir, 'group1-shard1of1.bin'));
      const info = await loadModelWithInfo(p, { compile: false });
      expect(info.format).toBe(format);
      info.model.dispose();
    }
    const arch = path.join(dir, 'arch.txt');
    copyFileSync(fx('k2-conv1d', 'KERAS_conv1d.json'), arch);
    const nm = await readModelFile(arch, { weights: fx('k2-conv1d', 'KERAS_conv1d_weights.h5') });
    expect(nm.format).toBe('json-config');
    expect(nm.weights.length).toBeGreaterThan(0);
  });

  it('plain Uint8Array input, including a view at an offset inside a larger buffer', async () => {
    const b = readFileSync(fx('k3-mlp-mnist-3formats', 'model.keras'));
    const big = new Uint8Array(b.length + 100);
    big.set(b, 37);
    const view = big.subarray(37, 37 + b.length);
    const fromView = await loadModel(view, { compile: false });
    const fromPath = await loadModel(fx('k3-mlp-mnist-3formats', 'model.keras'), { compile: false });
    const a = fromView.getWeights().map((t) => [...(t.dataSync() as Float32Array)]);
    expect(a).toEqual(fromPath.getWeights().map((t) => [...(t.dataSync() as Float32Array)]));
    // the caller's buffer is not consumed (transferred) by the HDF5 worker
    expect(view.length).toBe(b.length);
    expect(view[0]).toBe(0x50);
    const h5 = new Uint8Array(readFileSync(fx('k3-mlp-mnist-3formats', 'model.h5')));
    const m2 = await loadModel(h5, { compile: false });
    expect(h5.byteLength).toBeGreaterThan(0);
    fromView.dispose();
    fromPath.dispose();
    m2.dispose();
  });
});

/** Two parallel branches p and q of the same shapes; `swap` builds q first (so topological order differs). */
function twoBranch(swap: boolean): Model {
  setSeed(swap ? 2 : 1);
  const x = input({ shape: [4], name: 'x' });
  const mk = (n: string): SymbolicTensor => layers.dense({ units: 3, name: n }).apply(x) as SymbolicTensor;
  const [p, q] = swap ? ((): SymbolicTensor[] => { const qq = mk('q'); return [mk('p'), qq]; })() : [mk('p'), mk('q')];
  const y = layers.concatenate({ name: 'cat' }).apply(swap ? [q!, p!] : [p!, q!]) as SymbolicTensor;
  return functional({ inputs: x, outputs: y, name: 'two' });
}

function predict(m: Model): Float32Array {
  const x = tensor(Float32Array.from({ length: 8 }, (_, i) => i - 3.5), [2, 4]);
  const y = m.predictSync(x) as Tensor;
  const out = Float32Array.from(y.dataSync() as Float32Array);
  x.dispose();
  y.dispose();
  return out;
}

describe('legacy weights by order and by name', () => {
  it('by name pairs groups with layers of the same name; by order pairs them by position (Keras semantics)', async () => {
    const src = twoBranch(false);
    const w = path.join(dir, 'two.h5');
    await src.saveWeights(w);
    const dst = twoBranch(true);
    expect(dst.layers.map((l) => l.name)).toEqual(['x', 'q', 'p', 'cat']);
    // q and p have the same shapes, so by order loads "successfully" but crosses them over
    await dst.loadWeights(w);
    const byOrder = predict(dst);
    await dst.loadWeights(w, { by: 'name' });
    const byName = predict(dst);
    // the swapped model concatenates [q, p]; by name it computes exactly src's [p, q] columns swapped back
    const want = predict(src);
    const swapBack = (a: Float32Array): number[] => [0, 1].flatMap((r) => [...a.subarray(r * 6 + 3, r * 6 + 6), ...a.subarray(r * 6, r * 6 + 3)]);
    expect(swapBack(byName)).toEqual([...want]);
    expect(swapBack(byOrder)).not.toEqual([...want]);
    src.dispose();
    dst.dispose();
  });

  it('by name: a missing layer is one clear error naming it and the file groups; the model is unchanged', async () => {
    const src = twoBranch(false);
    const w = path.join(dir, 'two-b.h5');
    await src.saveWeights(w);
    setSeed(3);
    const x = input({ shape: [4], name: 'x' });
    const other = functional({ inputs: x, outputs: layers.dense({ units: 3, name: 'r' }).apply(x) as SymbolicTensor });
    const before = predict(other);
    const e = await other.loadWeights(w, { by: 'name' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ModelFormatError);
    expect((e as ModelFormatError).code).toBe('MISMATCH');
    expect((e as Error).message).toMatch(/no weight group for layers r \(file groups: p, q\)/);
    expect(predict(other)).toEqual(before);
    const e2 = await other.loadWeights(w).catch((x: unknown) => x);
    expect((e2 as Error).message).toMatch(/the model has 1 layers with weights \(r\) but the file has 2 weight groups \(p, q\)/);
    src.dispose();
    other.dispose();
  });
});

describe('one error for everything unsupported', () => {
  it('lists unknown classes and unsupported options of several layers at once, with what is supported', async () => {
    const json = {
      class_name: 'Sequential',
      config: {
        name: 's',
        layers: [
          { class_name: 'InputLayer', config: { name: 'in', batch_input_shape: [null, 8, 2] } },
          { class_name: 'Conv1D', config: { name: 'c', filters: 2, kernel_size: 3, padding: 'causal_typo' } },
          { class_name: 'GRU', config: { name: 'g', units: 4 } },
          { class_name: 'Dense', config: { name: 'd', units: 2, some_future_option: 7 } },
        ],
      },
    };
    const e = await loadModel(new TextEncoder().encode(JSON.stringify(json))).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ModelFormatError);
    const msg = (e as Error).message;
    expect(msg).toMatch(/unsupported layer classes: GRU \(g\)/);
    expect(msg).toMatch(/c \(Conv1D\): .*causal_typo/);
    expect(msg).toMatch(/d \(Dense\): some_future_option=7/);
    expect(msg).toMatch(/Supported layer classes: .*Conv2D.*Dense/);
  });
});
