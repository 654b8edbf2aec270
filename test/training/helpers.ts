// Small data sets and models for the training tests (fast on the reference kernels).
import * as L from '../../lib/layers/index.js';
import { sequential, type Sequential } from '../../lib/models/index.js';
import type { Tensor } from '../../lib/tensor/index.js';
import { allocTensor, f32, i32 } from '../../lib/tensor/internal.js';
import { Rng } from '../../lib/random/index.js';

/** A linearly separable 3-class problem in 8 dimensions (seeded). */
export function blobs(n: number, seed = 3): { x: Tensor; y: Tensor; yOneHot: Tensor } {
  const rng = new Rng(seed);
  const x = allocTensor([n, 8]);
  const y = allocTensor([n], 'int32');
  const oh = allocTensor([n, 3], 'float32', true);
  const xv = f32(x), yv = i32(y), ov = f32(oh);
  for (let i = 0; i < n; i++) {
    const c = i % 3;
    yv[i] = c;
    ov[i * 3 + c] = 1;
    for (let j = 0; j < 8; j++) xv[i * 8 + j] = rng.normal(0, 0.5) + (j % 3 === c ? 1.5 : 0);
  }
  return { x, y, yOneHot: oh };
}

export function mlp(opts: { dropout?: number; bn?: boolean; activation?: 'softmax' | 'linear' } = {}): Sequential {
  const layers: L.Layer[] = [L.dense({ units: 16, activation: 'relu', inputShape: [8] })];
  if (opts.bn) layers.push(L.batchNormalization({}));
  if (opts.dropout) layers.push(L.dropout({ rate: opts.dropout }));
  layers.push(L.dense({ units: 3, activation: opts.activation ?? 'softmax' }));
  return sequential({ layers });
}

export function weightsOf(m: Sequential): number[][] {
  return m.getWeights().map((t) => {
    const a = Array.from(t.dataSync() as Float32Array);
    t.dispose();
    return a;
  });
}

/** A sink that records what progress output writes. */
export function sink(tty = false): { write(s: string): boolean; isTTY: boolean; text: string } {
  return {
    isTTY: tty,
    text: '',
    write(s: string) {
      this.text += s;
      return true;
    },
  };
}
