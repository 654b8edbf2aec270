/**
 * TF.js models with converter-quantized weights (uint8, uint16: q·scale + min; float16) decode to the
 * same float32 values as @tensorflow/tfjs's own decoder: the tfjs-mnist-cnn fixture's weights are
 * quantized here (float16 bits by numpy), then both libraries load the same model.json + shard.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { loadModel } from '../../lib/io/index.js';
import '../../lib/index.js';
import { FIXTURES, fx } from './fixtures.js';

const PY = '/usr/bin/python3';
const hasNumpy = spawnSync(PY, ['-c', 'import numpy'], { stdio: 'ignore' }).status === 0;

interface Spec {
  name: string;
  shape: number[];
  dtype: 'float32';
  quantization?: { dtype: 'uint8' | 'uint16' | 'float16'; scale?: number; min?: number };
}

function quantize(kind: 'uint8' | 'uint16' | 'float16'): { json: Uint8Array; shard: Uint8Array; topology: object; specs: Spec[] } {
  const mj = JSON.parse(readFileSync(fx('tfjs-mnist-cnn', 'model.json'), 'utf8')) as { modelTopology: object; weightsManifest: { paths: string[]; weights: Spec[] }[] };
  const raw = readFileSync(fx('tfjs-mnist-cnn', 'group1-shard1of1.bin'));
  const all = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  const specs = mj.weightsManifest[0]!.weights;
  const parts: Uint8Array[] = [];
  let off = 0;
  const out: Spec[] = specs.map((s) => {
    const n = s.shape.reduce((a, b) => a * b, 1);
    const w = all.subarray(off, off + n);
    off += n;
    if (kind === 'float16') {
      const bits = execFileSync(PY, ['-c', 'import sys, numpy as np; sys.stdout.buffer.write(np.frombuffer(sys.stdin.buffer.read(), "<f4").astype("<f2").tobytes())'], { input: Buffer.from(w.buffer, w.byteOffset, w.byteLength) });
      parts.push(new Uint8Array(bits));
      return { ...s, quantization: { dtype: 'float16' } };
    }
    const levels = kind === 'uint8' ? 255 : 65535;
    let min = Infinity;
    let max = -Infinity;
    for (const v of w) (min = Math.min(min, v)), (max = Math.max(max, v));
    const scale = max > min ? (max - min) / levels : 1;
    const q = kind === 'uint8' ? new Uint8Array(n) : new Uint16Array(n);
    w.forEach((v, i) => (q[i] = Math.round((v - min) / scale)));
    parts.push(new Uint8Array(q.buffer));
    return { ...s, quantization: { dtype: kind, scale, min } };
  });
  const shard = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) (shard.set(p, o), (o += p.length));
  const json = new TextEncoder().encode(JSON.stringify({ ...mj, weightsManifest: [{ paths: ['q.bin'], weights: out }] }));
  return { json, shard, topology: mj.modelTopology, specs: out };
}

describe.skipIf(!FIXTURES || !hasNumpy)('quantized TF.js weights decode like @tensorflow/tfjs', () => {
  for (const kind of ['uint8', 'uint16', 'float16'] as const) {
    it(kind, async () => {
      const { json, shard, topology, specs } = quantize(kind);
      const ours = await loadModel(json, { files: { 'q.bin': shard }, compile: false });
      const theirs = await tf.loadLayersModel(
        tf.io.fromMemory({ modelTopology: topology, weightSpecs: specs as tf.io.WeightsManifestEntry[], weightData: shard.buffer.slice(shard.byteOffset, shard.byteOffset + shard.byteLength) as ArrayBuffer }),
      );
      const a = ours.getWeights().map((t) => Float32Array.from(t.dataSync() as Float32Array));
      const b = theirs.getWeights().map((t) => t.dataSync() as Float32Array);
      expect(a.length).toBe(b.length);
      a.forEach((w, i) => expect(Buffer.from(w.buffer).equals(Buffer.from(b[i]!.buffer, b[i]!.byteOffset, b[i]!.byteLength)), `weight ${i}`).toBe(true));
      ours.dispose();
      theirs.dispose();
    });
  }
});
