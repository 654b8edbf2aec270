/**
 * Gradient check by central finite differences: for L(x) = Σ f(x) ⊙ R (R fixed random, so every
 * output element matters), compare the tape's dL/dx with (L(x + h·eᵢ) − L(x − h·eᵢ)) / 2h.
 * L is accumulated in double from float32 outputs; with h = 1e-2 the float32 rounding of f adds
 * ~1e-5·|f|/h to the numeric estimate, hence the default tolerance |a − n| ≤ 5e-3 + 2e-2·|n|.
 */
import { expect } from 'vitest';
import { type Tensor, tensor } from '../../lib/tensor/index.js';
import { f32 } from '../../lib/tensor/internal.js';
import { valueAndGradsOf, tidy } from '../../lib/autodiff/index.js';
import * as K from '../../lib/layers/backend.js';

/** Deterministic pseudo-random values in [-1, 1) (independent of the library's generator). */
export function randomValues(n: number, seed = 1): Float32Array {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 4294967296) * 2 - 1;
  }
  return out;
}

/**
 * Random values in [-scale, scale). With `minAbs`, values are pushed away from 0 (so kinks of
 * relu/abs/max at 0 or at ties stay farther than the finite-difference step).
 */
export function randomTensor(shape: number[], seed = 1, scale = 1, minAbs = 0): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = randomValues(n, seed);
  for (let i = 0; i < n; i++) {
    const u = v[i]!;
    v[i] = (Math.sign(u) || 1) * (minAbs + (1 - minAbs) * Math.abs(u)) * scale;
  }
  return tensor(v, shape);
}

export interface GradcheckOptions {
  h?: number;
  atol?: number;
  rtol?: number;
  /** Check at most this many coordinates per input (spread evenly), to keep big cases fast. */
  maxCoords?: number;
}

function weightedSum(y: Tensor, r: Float32Array): number {
  const v = f32(y);
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * r[i]!;
  return s;
}

/** Checks d/dxs of f at xs; returns the max abs error seen. */
export function gradcheck(f: (...xs: Tensor[]) => Tensor, xs: Tensor[], opts: GradcheckOptions = {}): number {
  const h = opts.h ?? 1e-2;
  const atol = opts.atol ?? 5e-3;
  const rtol = opts.rtol ?? 2e-2;
  const probe = tidy(() => f(...xs));
  const r = randomValues(probe.size, 12345);
  const rt = tensor(r, [...probe.shape]);
  if (!xs.includes(probe)) probe.dispose();
  const { value, grads } = valueAndGradsOf(() => K.sum(K.mul(f(...xs), rt)), xs);
  value.dispose();
  let worst = 0;
  xs.forEach((x, k) => {
    const xv = f32(x);
    const gv = f32(grads[k]!);
    const step = Math.max(1, Math.floor(xv.length / (opts.maxCoords ?? 64)));
    for (let i = 0; i < xv.length; i += step) {
      const orig = xv[i]!;
      xv[i] = orig + h;
      const lp = tidy(() => weightedSum(f(...xs), r));
      xv[i] = orig - h;
      const lm = tidy(() => weightedSum(f(...xs), r));
      xv[i] = orig;
      const numeric = (lp - lm) / (2 * h);
      const analytic = gv[i]!;
      const err = Math.abs(analytic - numeric);
      worst = Math.max(worst, err);
      if (err > atol + rtol * Math.abs(numeric)) {
        expect.fail(`gradient mismatch for input ${k} at flat index ${i}: analytic ${analytic}, numeric ${numeric}`);
      }
    }
    grads[k]!.dispose();
  });
  rt.dispose();
  return worst;
}
