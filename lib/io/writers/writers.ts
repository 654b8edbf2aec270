/**
 * File writers from the neutral form: `.keras` (convkit's own format), legacy `.h5` (full or weights),
 * Keras 3 `.weights.h5`, TF.js layers (model.json + shards). Every write is atomic (see ../atomic.ts).
 */
import path from 'node:path';
import { atomicWriteFile, atomicWriteFiles, type AtomicOptions } from '../atomic.js';
import type { NeutralModel } from '../keras_format/neutral.js';
import { writeZipStored } from '../zip.js';
import { leafLayers, weightSpec } from '../keras_format/catalog.js';
import { modelJson } from './keras_json.js';
import { keras3CompileConfig, legacyTrainingConfig } from '../compile.js';
import { legacyH5Bytes, LEGACY_KERAS_VERSION, V3_KERAS_VERSION, v3WeightsBytes } from './h5_writers.js';

const enc = new TextEncoder();

export async function kerasZipBytes(nm: NeutralModel): Promise<Uint8Array> {
  const weights = await v3WeightsBytes(nm);
  const now = new Date();
  const p = (n: number): string => String(n).padStart(2, '0');
  const date = `${now.getUTCFullYear()}-${p(now.getUTCMonth() + 1)}-${p(now.getUTCDate())}@${p(now.getUTCHours())}:${p(now.getUTCMinutes())}:${p(now.getUTCSeconds())}`;
  return writeZipStored([
    ['metadata.json', enc.encode(JSON.stringify({ keras_version: V3_KERAS_VERSION, date_saved: date, saved_by: 'convkit' }))],
    ['config.json', enc.encode(JSON.stringify(nm.compile ? { ...modelJson(nm.model, 'keras3'), compile_config: keras3CompileConfig(nm.compile) } : modelJson(nm.model, 'keras3')))],
    ['model.weights.h5', weights],
  ]);
}

export interface TfjsFiles {
  modelJson: Uint8Array;
  shards: [string, Uint8Array][];
}

/** TF.js layers model: one weight group split into shards of at most `shardBytes` (TF.js default 4 MiB). */
export function tfjsBytes(nm: NeutralModel, shardBytes = 4 * 1024 * 1024): TfjsFiles {
  const layerAt = new Map(leafLayers(nm.model).map((l) => [l.path, l.layer]));
  const entries = nm.weights.flatMap((lw) => {
    const layer = layerAt.get(lw.path);
    const spec = layer ? (weightSpec(layer) ?? []) : [];
    // TF.js matches weights by `<layer>/<param>` (no ":0"), with the leaf layer's own name even inside a
    // nested model (layer names are unique across a whole Keras model).
    const leaf = lw.path.slice(lw.path.lastIndexOf('/') + 1);
    return lw.weights.map((w, i) => ({ name: `${leaf}/${spec[i]?.name ?? `weight_${i}`}`, w }));
  });
  const total = entries.reduce((a, e) => a + e.w.data.length * 4, 0);
  const all = new Uint8Array(total);
  const dv = new DataView(all.buffer);
  let off = 0;
  for (const e of entries) {
    for (let i = 0; i < e.w.data.length; i++) dv.setFloat32(off + 4 * i, e.w.data[i]!, true);
    off += e.w.data.length * 4;
  }
  const n = Math.max(1, Math.ceil(total / shardBytes));
  const shards: [string, Uint8Array][] = [];
  for (let i = 0; i < n; i++) shards.push([`group1-shard${i + 1}of${n}.bin`, all.subarray(i * shardBytes, Math.min(total, (i + 1) * shardBytes))]);
  const json = {
    format: 'layers-model',
    generatedBy: 'convkit',
    convertedBy: null,
    modelTopology: {
      keras_version: LEGACY_KERAS_VERSION,
      backend: 'tensorflow',
      model_config: modelJson(nm.model, 'keras2'),
      ...(nm.compile ? { training_config: legacyTrainingConfig(nm.compile) } : {}),
    },
    weightsManifest: [{ paths: shards.map((s) => s[0]), weights: entries.map((e) => ({ name: e.name, shape: e.w.shape, dtype: 'float32' })) }],
  };
  return { modelJson: enc.encode(JSON.stringify(json)), shards };
}

export type SaveFormat = 'keras' | 'h5' | 'weights.h5' | 'h5-weights' | 'tfjs';

/** Pick the format from the file name: *.keras, *.weights.h5, *.h5/*.hdf5, model.json / *.json. */
export function formatFromPath(p: string): SaveFormat {
  const b = path.basename(p).toLowerCase();
  if (b.endsWith('.keras')) return 'keras';
  if (b.endsWith('.weights.h5')) return 'weights.h5';
  if (b.endsWith('.h5') || b.endsWith('.hdf5') || b.endsWith('.hdf')) return 'h5';
  if (b.endsWith('.json')) return 'tfjs';
  throw new Error(`save: cannot tell the format from "${p}"; use a .keras, .h5, .weights.h5 or model.json file name, or pass {format}`);
}

export async function writeModelFile(nm: NeutralModel, target: string, format: SaveFormat = formatFromPath(target), opts: AtomicOptions = {}): Promise<void> {
  switch (format) {
    case 'keras':
      return atomicWriteFile(target, await kerasZipBytes(nm), opts);
    case 'h5':
      return atomicWriteFile(target, await legacyH5Bytes(nm, true), opts);
    case 'h5-weights':
      return atomicWriteFile(target, await legacyH5Bytes(nm, false), opts);
    case 'weights.h5':
      return atomicWriteFile(target, await v3WeightsBytes(nm), opts);
    case 'tfjs': {
      const t = tfjsBytes(nm);
      const dir = path.dirname(target);
      // Shards first, model.json last: a reader never sees a model.json whose shards are not in place.
      return atomicWriteFiles([...t.shards.map(([n, b]) => [path.join(dir, n), b] as [string, Uint8Array]), [target, t.modelJson]], opts);
    }
  }
}
