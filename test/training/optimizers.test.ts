// Each optimizer against its closed-form Keras 3 update rule over a few steps, on every ISA,
// through the public classes (so the binding, the state handling and the step counter are covered).
import { afterAll, describe, expect, it } from 'vitest';
import { native } from '../../lib/native/index.js';
import * as T from '../../lib/training/index.js';

const ISAS = native().backendInfo().availableIsas;
afterAll(() => native().setIsa(null));

type Ref = (w: number, g: number, t: number, s: number[]) => number; // returns new w; t = 1-based step

function seq(n: number, seed: number, scale = 1): Float32Array {
  const a = new Float32Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    a[i] = ((x / 2147483648) * 2 - 1) * scale;
  }
  return a;
}

function check(make: () => T.Optimizer, ref: Ref, nstate: number, init = 0, steps = 4, tol = 2e-5): void {
  for (const isa of ISAS) {
    native().setIsa(isa);
    const opt = make();
    const sizes = [1, 5, 33, 300];
    const params = sizes.map((n, k) => seq(n, 7 + k));
    const keys = sizes.map((_, k) => ({ k }));
    const refW = params.map((p) => Array.from(p));
    const refS = params.map((p) => Array.from(p, () => new Array<number>(nstate).fill(init)));
    for (let t = 1; t <= steps; t++) {
      const grads = sizes.map((n, k) => seq(n, 100 * t + k, 2));
      opt.applyArrays(keys, params, grads);
      refW.forEach((w, k) => w.forEach((wi, i) => (w[i] = ref(wi, grads[k]![i]!, t, refS[k]![i]!))));
    }
    expect(opt.iterations).toBe(steps);
    params.forEach((p, k) => p.forEach((v, i) => expect(Math.abs(v - refW[k]![i]!)).toBeLessThanOrEqual(tol * (1 + Math.abs(refW[k]![i]!)))));
  }
}

describe('optimizers (Keras 3 update rules)', () => {
  it('SGD plain, momentum, nesterov, weight decay', () => {
    check(() => new T.SGD({ learningRate: 0.1 }), (w, g) => w - 0.1 * g, 0);
    check(
      () => new T.SGD({ learningRate: 0.1, momentum: 0.9 }),
      (w, g, _t, s) => {
        s[0] = 0.9 * s[0]! - 0.1 * g;
        return w + s[0]!;
      },
      1,
    );
    check(
      () => new T.SGD({ learningRate: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01 }),
      (w, g, _t, s) => {
        w -= w * 0.01 * 0.1;
        s[0] = 0.9 * s[0]! - 0.1 * g;
        return w + 0.9 * s[0]! - 0.1 * g;
      },
      1,
    );
  });
  const adamRef =
    (lr: number, wd: number, amsgrad: boolean): Ref =>
    (w, g, t, s) => {
      w -= w * wd * lr;
      s[0] = s[0]! + (g - s[0]!) * 0.1;
      s[1] = s[1]! + (g * g - s[1]!) * 0.001;
      let v = s[1]!;
      if (amsgrad) v = s[2] = Math.max(s[2]!, v);
      const alpha = (lr * Math.sqrt(1 - 0.999 ** t)) / (1 - 0.9 ** t);
      return w - (s[0]! * alpha) / (Math.sqrt(v) + 1e-7);
    };
  it('Adam, amsgrad, AdamW', () => {
    check(() => new T.Adam({ learningRate: 0.01 }), adamRef(0.01, 0, false), 2);
    check(() => new T.Adam({ learningRate: 0.01, amsgrad: true }), adamRef(0.01, 0, true), 3);
    check(() => new T.AdamW({ learningRate: 0.01 }), adamRef(0.01, 0.004, false), 2);
  });
  it('RMSprop plain, momentum + centered', () => {
    check(
      () => new T.RMSprop({ learningRate: 0.01 }),
      (w, g, _t, s) => {
        s[0] = 0.9 * s[0]! + 0.1 * g * g;
        return w - (0.01 * g) / Math.sqrt(s[0]! + 1e-7);
      },
      1,
    );
    check(
      () => new T.RMSprop({ learningRate: 0.01, momentum: 0.5, centered: true }),
      (w, g, _t, s) => {
        s[0] = 0.9 * s[0]! + 0.1 * g * g;
        s[2] = 0.9 * s[2]! + 0.1 * g;
        const inc = (0.01 * g) / Math.sqrt(s[0]! - s[2]! * s[2]! + 1e-7);
        s[1] = 0.5 * s[1]! + inc;
        return w - s[1]!;
      },
      3,
    );
  });
  it('Adagrad (accumulator starts at 0.1), Adadelta, Nadam', () => {
    check(
      () => new T.Adagrad({ learningRate: 0.1 }),
      (w, g, _t, s) => {
        s[0] = s[0]! + g * g;
        return w - (0.1 * g) / Math.sqrt(s[0]! + 1e-7);
      },
      1,
      0.1,
    );
    check(
      () => new T.Adadelta({ learningRate: 1 }),
      (w, g, _t, s) => {
        s[0] = 0.95 * s[0]! + 0.05 * g * g;
        const dv = (-Math.sqrt(s[1]! + 1e-7) * g) / Math.sqrt(s[0]! + 1e-7);
        s[1] = 0.95 * s[1]! + 0.05 * dv * dv;
        return w + dv;
      },
      2,
    );
    // Nadam keeps a running product of u_t across steps; the reference recomputes it.
    const u = (t: number) => 0.9 * (1 - 0.5 * 0.96 ** t);
    const uprod = (t: number) => {
      let p = 1;
      for (let k = 1; k <= t; k++) p *= u(k);
      return p;
    };
    check(
      () => new T.Nadam({ learningRate: 0.01 }),
      (w, g, t, s) => {
        s[0] = s[0]! + (g - s[0]!) * 0.1;
        s[1] = s[1]! + (g * g - s[1]!) * 0.001;
        const mHat = (u(t + 1) * s[0]!) / (1 - uprod(t) * u(t + 1)) + ((1 - u(t)) * g) / (1 - uprod(t));
        const vHat = s[1]! / (1 - 0.999 ** t);
        return w - (mHat * 0.01) / (Math.sqrt(vHat) + 1e-7);
      },
      2,
    );
  });
  it('clipNorm (per tensor), globalClipNorm, clipValue', () => {
    for (const mode of ['clipNorm', 'globalClipNorm', 'clipValue'] as const) {
      const opt = new T.SGD({ learningRate: 1, [mode]: 0.5 });
      const p = [new Float32Array([0, 0]), new Float32Array([0])];
      const g = [new Float32Array([3, 4]), new Float32Array([12])];
      opt.applyArrays(['a', 'b'], p, g);
      if (mode === 'clipNorm') {
        expect(Array.from(p[0]!)).toEqual([expect.closeTo(-0.3, 6), expect.closeTo(-0.4, 6)]);
        expect(p[1]![0]).toBeCloseTo(-0.5, 6);
      } else if (mode === 'globalClipNorm') {
        const s = 0.5 / 13;
        expect(p[0]![0]).toBeCloseTo(-3 * s, 6);
        expect(p[1]![0]).toBeCloseTo(-12 * s, 6);
      } else {
        expect(Array.from(p[0]!)).toEqual([-0.5, -0.5]);
      }
      expect(Array.from(g[0]!)).toEqual([3, 4]); // gradients are not modified
    }
    expect(() => new T.SGD({ clipNorm: 1, clipValue: 1 })).toThrow(RangeError);
  });
  it('learning-rate schedules drive the step', () => {
    const sched = new T.ExponentialDecay({ initialLearningRate: 1, decaySteps: 1, decayRate: 0.5 });
    const opt = new T.SGD({ learningRate: sched });
    const p = [new Float32Array([0])];
    for (let i = 0; i < 3; i++) opt.applyArrays(['w'], p, [new Float32Array([1])]);
    expect(p[0]![0]).toBeCloseTo(-(1 + 0.5 + 0.25), 6);
  });
  it('names, configs, errors', () => {
    expect(T.getOptimizer('adam')).toBeInstanceOf(T.Adam);
    expect(T.getOptimizer('RMSprop')).toBeInstanceOf(T.RMSprop);
    expect(() => T.getOptimizer('lion')).toThrow(/unknown optimizer 'lion'/);
    expect(new T.Adam().getConfig()).toMatchObject({ learning_rate: 0.001, beta_1: 0.9, beta_2: 0.999, epsilon: 1e-7 });
    expect(new T.AdamW().weightDecay).toBe(0.004);
    const opt = new T.Adam();
    expect(() => opt.applyArrays(['a'], [new Float32Array(2)], [new Float32Array(3)])).toThrow(RangeError);
  });
  it('async step matches the sync step', async () => {
    const a = new T.Adam(), b = new T.Adam();
    const pa = [seq(1000, 3)], pb = [seq(1000, 3)];
    for (let i = 0; i < 3; i++) {
      const g = [seq(1000, 50 + i)];
      a.applyArrays(['w'], pa, g);
      await b.applyArraysAsync(['w'], pb, g);
    }
    expect(Array.from(pb[0]!)).toEqual(Array.from(pa[0]!));
  });
});
