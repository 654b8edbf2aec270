/**
 * TF.js layers format: `model.json` (+ `group*-shard*of*.bin`). A group's binary data is the
 * concatenation of its shards in `paths` order; weights are raw little-endian values back to back in
 * manifest order (tfjs-core/src/io/io_utils.ts decodeWeights). float32 weights, raw or quantized by the
 * converter (`quantization: {dtype: 'uint8'|'uint16', scale, min}` → q·scale + min, or
 * `{dtype: 'float16'}` → IEEE half), decoded to float32 as tfjs does.
 */
import { describe, fail } from '../errors.js';
import type { NWeight } from '../keras_format/neutral.js';
import type { LoadLimits } from '../limits.js';
import { checkShape } from '../hdf5/read.js';

export interface TfjsParsed {
  modelConfig: unknown;
  trainingConfig: unknown;
  kerasVersion: string | null;
  backend: string | null;
  /** All weights in manifest order. */
  weights: NWeight[];
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

type Quant = { dtype: 'uint8' | 'uint16'; scale: number; min: number } | { dtype: 'float16'; scale: 0; min: 0 };
const QUANT_BYTES = { uint8: 1, uint16: 2, float16: 2 } as const;

function quantization(q: unknown, where: string): Quant | null {
  if (q === undefined || q === null) return null;
  if (!isObj(q)) fail('BAD_CONFIG', `${where}: quantization must be an object, got ${describe(q)}`);
  if (q.dtype === 'float16') return { dtype: 'float16', scale: 0, min: 0 };
  if (q.dtype === 'uint8' || q.dtype === 'uint16') {
    if (typeof q.scale !== 'number' || typeof q.min !== 'number' || !Number.isFinite(q.scale) || !Number.isFinite(q.min))
      fail('BAD_CONFIG', `${where}: ${q.dtype} quantization needs numeric scale and min`);
    return { dtype: q.dtype, scale: q.scale, min: q.min };
  }
  return fail('UNSUPPORTED', `${where}: quantization dtype ${describe(q.dtype)} is not supported (uint8, uint16, float16 are)`);
}

/** IEEE 754 half → number. */
function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

export function isTfjsModelJson(json: unknown): boolean {
  return isObj(json) && ('weightsManifest' in json || json.format === 'layers-model') && 'modelTopology' in json;
}

/** Parse model.json and its shards. `readShard(path)` returns a shard's bytes (relative path as written). */
export async function readTfjs(json: unknown, readShard: (p: string) => Promise<Uint8Array>, limits: LoadLimits, what: string): Promise<TfjsParsed> {
  if (!isObj(json)) fail('BAD_CONFIG', `${what}: expected an object, got ${describe(json)}`);
  if (json.format !== undefined && json.format !== 'layers-model') fail('UNSUPPORTED', `${what}: format "${String(json.format)}" is not a TF.js layers model (graph models are not supported)`);
  const topo = json.modelTopology;
  if (!isObj(topo)) fail('BAD_CONFIG', `${what}.modelTopology: expected an object, got ${describe(topo)}`);
  const modelConfig = 'model_config' in topo ? topo.model_config : topo;
  const manifest = json.weightsManifest ?? [];
  if (!Array.isArray(manifest)) fail('BAD_CONFIG', `${what}.weightsManifest: expected a list, got ${describe(manifest)}`);
  const weights: NWeight[] = [];
  let total = 0;
  for (const [gi, group] of manifest.entries()) {
    const gw = `${what}.weightsManifest[${gi}]`;
    if (!isObj(group) || !Array.isArray(group.paths) || !Array.isArray(group.weights)) fail('BAD_CONFIG', `${gw}: expected {paths: [...], weights: [...]}`);
    // Validate every entry (and the total size) before reading any shard.
    const entries = group.weights.map((w, wi) => {
      const ww = `${gw}.weights[${wi}]`;
      if (!isObj(w) || typeof w.name !== 'string') fail('BAD_CONFIG', `${ww}: expected {name, shape, dtype}`);
      if (w.dtype !== 'float32') fail('UNSUPPORTED', `${ww} (${w.name}): dtype ${describe(w.dtype)} is not supported (float32 weights only)`);
      const quant = quantization(w.quantization, `${ww} (${w.name})`);
      const shape = checkShape(w.shape, limits, `${ww} (${w.name})`);
      const n = shape.reduce((a, b) => a * b, 1);
      total += n * 4;
      if (total > limits.maxTotalWeightBytes) fail('LIMIT', `${gw}: weights exceed maxTotalWeightBytes (${limits.maxTotalWeightBytes})`);
      return { name: w.name, shape, n, quant, bytes: n * (quant ? QUANT_BYTES[quant.dtype] : 4) };
    });
    const shards: Uint8Array[] = [];
    for (const [pi, p] of group.paths.entries()) {
      if (typeof p !== 'string' || p.length === 0) fail('BAD_CONFIG', `${gw}.paths[${pi}]: expected a file name, got ${describe(p)}`);
      shards.push(await readShard(p));
    }
    const need = entries.reduce((a, e) => a + e.bytes, 0);
    const have = shards.reduce((a, s) => a + s.length, 0);
    if (have < need) fail('TRUNCATED', `${gw}: shards hold ${have} bytes, the manifest needs ${need}`);
    const buf = new Uint8Array(need);
    let off = 0;
    for (const s of shards) {
      if (off >= need) break;
      const take = Math.min(s.length, need - off);
      buf.set(s.subarray(0, take), off);
      off += take;
    }
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    let pos = 0;
    for (const e of entries) {
      const data = new Float32Array(e.n);
      const q = e.quant;
      if (!q) for (let i = 0; i < e.n; i++) data[i] = dv.getFloat32(pos + 4 * i, true);
      else if (q.dtype === 'uint8') for (let i = 0; i < e.n; i++) data[i] = dv.getUint8(pos + i) * q.scale + q.min;
      else if (q.dtype === 'uint16') for (let i = 0; i < e.n; i++) data[i] = dv.getUint16(pos + 2 * i, true) * q.scale + q.min;
      else for (let i = 0; i < e.n; i++) data[i] = halfToFloat(dv.getUint16(pos + 2 * i, true));
      pos += e.bytes;
      weights.push({ name: e.name, shape: e.shape, data });
    }
  }
  return {
    modelConfig,
    trainingConfig: 'training_config' in topo ? topo.training_config : null,
    kerasVersion: typeof topo.keras_version === 'string' ? topo.keras_version : null,
    backend: typeof topo.backend === 'string' ? topo.backend : null,
    weights,
  };
}
