/** Load a TF.js model.json + shards written on disk into @tensorflow/tfjs (pure JS, no tfjs-node). */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';

/** Load a model.json + shards from disk into tfjs (no tfjs-node: an in-memory IOHandler). */
export async function tfjsLoad(modelJsonPath: string): Promise<tf.LayersModel> {
  const j = JSON.parse(readFileSync(modelJsonPath, 'utf8')) as {
    modelTopology: object;
    weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  };
  const specs = j.weightsManifest.flatMap((g) => g.weights);
  const parts = j.weightsManifest.flatMap((g) => g.paths.map((p) => readFileSync(path.join(path.dirname(modelJsonPath), p))));
  const all = Buffer.concat(parts);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
  return tf.loadLayersModel(tf.io.fromMemory({ modelTopology: j.modelTopology, weightSpecs: specs, weightData }));
}

