/**
 * The `.keras` config.json convkit writes is the one Keras 3 writes. Reference: the config.json that
 * Keras 3.11.3 itself wrote into k3-resnet-mnist/resnet_mnist.keras (a functional ResNet with Add
 * merges): after convkit loads that model and saves it again, every layer's `inbound_nodes` (Keras 3
 * `{"args": [__keras_tensor__ …], "kwargs": …}` form with shapes, dtypes and keras_history),
 * `build_config`, and the un-nested single `input_layers`/`output_layers` are identical to Keras's.
 * The legacy `.h5` model_config keeps the Keras 2 list form, as Keras 2 wrote it; both read back.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { unzipSync, strFromU8 } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import { loadModel } from '../../lib/io/index.js';
import { readModelFile } from '../../lib/io/readers/load_file.js';
import { input, model as functional, layers, type SymbolicTensor } from '../../lib/index.js';
import { tensor, type Tensor } from '../../lib/tensor/index.js';
import { FIXTURES, fx } from './fixtures.js';

const dir = mkdtempSync(path.join(tmpdir(), 'convkit-io-k3cfg-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type J = Record<string, unknown> & { config: { layers: J[]; input_layers: unknown; output_layers: unknown }; inbound_nodes: unknown; name: string };

function configOf(file: string): J {
  return JSON.parse(strFromU8(unzipSync(new Uint8Array(readFileSync(file)))['config.json']!)) as J;
}

describe.skipIf(!FIXTURES)('.keras config.json as Keras 3 writes it', () => {
  it('resnet_mnist.keras (Keras 3.11.3) → convkit → .keras: same call nodes, build configs and io refs', async () => {
    const src = fx('k3-resnet-mnist', 'resnet_mnist.keras');
    const m = await loadModel(src);
    const out = path.join(dir, 'resnet.keras');
    await m.save(out);
    m.dispose();
    const want = configOf(src);
    const got = configOf(out);
    expect(got.class_name).toBe('Functional');
    expect(got.config.input_layers).toEqual(want.config.input_layers);
    expect(got.config.output_layers).toEqual(want.config.output_layers);
    expect(got.config.layers.map((l) => l.name)).toEqual(want.config.layers.map((l) => l.name));
    got.config.layers.forEach((l, i) => {
      const w = want.config.layers[i]!;
      expect(l.inbound_nodes, l.name).toEqual(w.inbound_nodes);
      expect(l.build_config ?? null, l.name).toEqual(w.build_config ?? null);
      expect(l.module).toBe(w.module);
      expect(l.class_name).toBe(w.class_name);
    });
  });

  it('model.save of a convkit-built functional model writes Keras 3 nodes in .keras and Keras 2 nodes in .h5; both load back', async () => {
    const x = input({ shape: [6] });
    const a = layers.dense({ units: 4, activation: 'relu', name: 'fc_a' }).apply(x);
    const b = layers.dense({ units: 4, name: 'fc_b' }).apply(x);
    const y = layers.add({ name: 'sum' }).apply([a, b]);
    const z = layers.dense({ units: 2, name: 'head' }).apply(y);
    const m = functional({ inputs: x, outputs: z, name: 'two_branch' });
    const xin = tensor(Float32Array.from({ length: 12 }, (_, i) => Math.sin(i)), [2, 6]);
    const want = Float32Array.from((m.predictSync(xin) as Tensor).dataSync() as Float32Array);

    const k = path.join(dir, 'two.keras');
    await m.save(k);
    const cfg = configOf(k);
    const sum = cfg.config.layers.find((l) => l.name === 'sum')!;
    expect(sum.inbound_nodes).toEqual([
      {
        args: [[
          { class_name: '__keras_tensor__', config: { shape: [null, 4], dtype: 'float32', keras_history: ['fc_a', 0, 0] } },
          { class_name: '__keras_tensor__', config: { shape: [null, 4], dtype: 'float32', keras_history: ['fc_b', 0, 0] } },
        ]],
        kwargs: {},
      },
    ]);
    const head = cfg.config.layers.find((l) => l.name === 'head')!;
    expect(head.inbound_nodes).toEqual([{ args: [{ class_name: '__keras_tensor__', config: { shape: [null, 4], dtype: 'float32', keras_history: ['sum', 0, 0] } }], kwargs: {} }]);
    expect(head.build_config).toEqual({ input_shape: [null, 4] });
    expect(cfg.config.input_layers).toEqual([cfg.config.layers[0]!.name, 0, 0]);
    expect(cfg.config.output_layers).toEqual(['head', 0, 0]);

    const h = path.join(dir, 'two.h5');
    await m.save(h);
    const legacy = await readModelFile(h);
    expect(legacy.format).toBe('h5-legacy');
    for (const f of [k, h]) {
      const back = await loadModel(f);
      const got = (back.predictSync(xin) as Tensor).dataSync() as Float32Array;
      expect(Buffer.from(got.buffer, got.byteOffset, got.byteLength).equals(Buffer.from(want.buffer))).toBe(true);
      back.dispose();
    }
    // the legacy model_config holds Keras 2 list-form nodes
    const { openH5Session } = await import('../../lib/io/hdf5/h5worker.js');
    const s = await openH5Session(new Uint8Array(readFileSync(h)), { timeoutMs: 10_000, maxNodes: 1000, maxAttrBytes: 1 << 20, maxDepth: 16 }, 'h5');
    const mc = JSON.parse(String(s.tree.attrs['model_config'])) as J;
    await s.close();
    const lsum = mc.config.layers.find((l) => l.name === 'sum')!;
    expect(lsum.inbound_nodes).toEqual([[['fc_a', 0, 0, {}], ['fc_b', 0, 0, {}]]]);
    xin.dispose();
    m.dispose();
  });

  it('a functional model nested in a functional model (also as a direct output) round-trips through .keras and .h5', async () => {
    const xi = input({ shape: [5], name: 'inner_in' });
    const inner = functional({ inputs: xi, outputs: layers.dense({ units: 3, name: 'inner_fc' }).apply(xi), name: 'inner' });
    const x = input({ shape: [5], name: 'outer_in' });
    const h = inner.apply(x) as SymbolicTensor;
    const y = layers.dense({ units: 2, name: 'outer_fc' }).apply(h);
    const m = functional({ inputs: x, outputs: [h, y], name: 'outer' });
    const xin = tensor(Float32Array.from({ length: 10 }, (_, i) => Math.cos(i)), [2, 5]);
    const want = (m.predictSync(xin) as Tensor[]).map((t) => Float32Array.from(t.dataSync() as Float32Array));
    for (const f of ['nested.keras', 'nested.h5']) {
      const p = path.join(dir, f);
      await m.save(p);
      const back = await loadModel(p);
      const got = (back.predictSync(xin) as Tensor[]).map((t) => Float32Array.from(t.dataSync() as Float32Array));
      expect(got.length).toBe(2);
      got.forEach((g, i) => expect([...g]).toEqual([...want[i]!]));
      back.dispose();
    }
    const cfg = configOf(path.join(dir, 'nested.keras'));
    const fc = cfg.config.layers.find((l) => l.name === 'outer_fc')!;
    // Keras 3 call nodes count the nested model's calls from 0; output_layers from 1 (functional_from_config get_tensor)
    expect((fc.inbound_nodes as { args: { config: { keras_history: unknown } }[] }[])[0]!.args[0]!.config.keras_history).toEqual(['inner', 0, 0]);
    expect(cfg.config.output_layers).toEqual([['inner', 1, 0], ['outer_fc', 0, 0]]);
    xin.dispose();
    m.dispose();
  });
});
