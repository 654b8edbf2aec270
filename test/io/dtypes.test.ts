/**
 * Weight dtypes other than little-endian float32 are converted to float32 on load. h5py (independent of
 * our reader) rewrites the Keras 3.14 MLP's weights as float16, float64, big-endian float32/float64 and
 * Keras 3's bfloat16 (2-byte opaque + attribute dtype="bfloat16", keras/src/saving/saving_lib.py
 * H5IOStore), in both the Keras 3 store and the legacy `.h5` layout, and writes the expected float32
 * values (numpy's own conversion) next to them; convkit must load exactly those values.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadModel } from '../../lib/io/index.js';
import '../../lib/index.js';
import { FIXTURES, fx } from './fixtures.js';

const PY = '/usr/bin/python3';
const hasH5py = spawnSync(PY, ['-c', 'import h5py'], { stdio: 'ignore' }).status === 0;
const dir = mkdtempSync(path.join(tmpdir(), 'convkit-io-dtypes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SCRIPT = `
import h5py, numpy as np, sys, os
src_store, src_legacy, out = sys.argv[1], sys.argv[2], sys.argv[3]

def bf16(a):
    bits = (np.ascontiguousarray(a, dtype="<f4").view("<u4") >> 16).astype("<u2")
    return bits, (bits.astype("<u4") << 16).view("<f4")

CONV = {
    "f16": lambda a: (a.astype("<f2"), a.astype("<f2").astype("<f4")),
    "f64": lambda a: (a.astype("<f8"), a.astype("<f8").astype("<f4")),
    "f32be": lambda a: (a.astype(">f4"), a.astype("<f4")),
    "f64be": lambda a: (a.astype(">f8"), a.astype(">f8").astype("<f4")),
    "bf16": None,
}

for kind in CONV:
    # Keras 3 store
    s = h5py.File(src_store, "r")
    d = h5py.File(os.path.join(out, kind + ".weights.h5"), "w")
    ref = []
    def copy(name, obj):
        if isinstance(obj, h5py.Group):
            g = d.require_group(name)
            for k, v in obj.attrs.items(): g.attrs[k] = v
            return
        if not name.startswith("layers/"):
            return
        a = obj[()]
        if kind == "bf16":
            bits, back = bf16(a)
            ds = d.create_dataset(name, data=bits.view("V2"))
            ds.attrs["dtype"] = "bfloat16"
        else:
            stored, back = CONV[kind](a)
            d.create_dataset(name, data=stored)
        ref.append((name, back))
    s.visititems(copy)
    d.close()
    order = sorted(ref, key=lambda t: t[0])  # layers/dense/vars/0 < .../1 < layers/dense_1/...
    np.concatenate([b.reshape(-1) for _, b in order]).astype("<f4").tofile(os.path.join(out, kind + ".ref.bin"))
    # legacy .h5: model_weights/<layer>/<layer>/<param>
    s = h5py.File(src_legacy, "r")
    d = h5py.File(os.path.join(out, kind + ".h5"), "w")
    for k, v in s.attrs.items(): d.attrs[k] = v
    def copy2(name, obj):
        if isinstance(obj, h5py.Group):
            g = d.require_group(name)
            for k, v in obj.attrs.items(): g.attrs[k] = v
            return
        if not name.startswith("model_weights/"):
            return
        a = obj[()]
        if kind == "bf16":
            bits, _ = bf16(a)
            ds = d.create_dataset(name, data=bits.view("V2"))
            ds.attrs["dtype"] = "bfloat16"
        else:
            d.create_dataset(name, data=CONV[kind](a)[0])
    s.visititems(copy2)
    d.close()
print("ok")
`;

describe.skipIf(!FIXTURES || !hasH5py)('weight dtypes are converted to float32 on load', () => {
  it.each(['f16', 'f64', 'f32be', 'f64be', 'bf16'])('%s (Keras 3 store and legacy .h5)', async (kind) => {
    if (kind === 'f16') execFileSync(PY, ['-c', SCRIPT, fx('k3-mlp-mnist-3formats', 'model.weights.h5'), fx('k3-mlp-mnist-3formats', 'model.h5'), dir]);
    const b = readFileSync(path.join(dir, `${kind}.ref.bin`));
    const ref = new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
    expect(ref.length).toBe(784 * 64 + 64 + 64 * 32 + 32 + 32 * 16 + 16 + 16 * 10 + 10);
    for (const file of [`${kind}.weights.h5`, `${kind}.h5`]) {
      const m = await loadModel(fx('k3-mlp-mnist-3formats', 'model.keras'), { weights: path.join(dir, file), compile: false });
      const got = Float32Array.from(m.getWeights().flatMap((t) => [...(t.dataSync() as Float32Array)]));
      expect(got.length).toBe(ref.length);
      expect(Buffer.from(got.buffer).equals(Buffer.from(ref.buffer)), file).toBe(true);
      m.dispose();
    }
  });
});
