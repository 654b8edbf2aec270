// Initializers against Keras's definitions restated here (fans of dense and conv kernels, bounds,
// means and variances on ~18k seeded draws: 5% on variances, several standard errors), the
// orthogonal initializer's QᵀQ = I, and the regularizers' penalties and gradients.
import { describe, expect, it } from 'vitest';
import * as init from '../../lib/initializers/index.js';
import * as R from '../../lib/regularizers/index.js';
import * as K from '../../lib/layers/backend.js';
import { gradcheck, randomTensor } from '../helpers/gradcheck.js';

const shape = [3, 3, 64, 32]; // conv kernel: fanIn = 9·64 = 576, fanOut = 9·32 = 288
const fanIn = 576;
const fanOut = 288;

function stats(v: Float32Array): { mean: number; variance: number; maxAbs: number } {
  let s = 0;
  for (const x of v) s += x;
  const mean = s / v.length;
  let q = 0;
  let m = 0;
  for (const x of v) {
    q += (x - mean) ** 2;
    m = Math.max(m, Math.abs(x));
  }
  return { mean, variance: q / v.length, maxAbs: m };
}

describe('initializers (Keras definitions)', () => {
  it('computeFans: dense [in, out], conv [...k, in, out] times the receptive field', () => {
    expect(init.computeFans([10, 20])).toEqual([10, 20]);
    expect(init.computeFans(shape)).toEqual([fanIn, fanOut]);
    expect(init.computeFans([5, 3, 4])).toEqual([15, 20]);
  });

  // name, variance, bound on |v| (null: none), factory
  const cases: [string, number, number | null, () => init.Initializer][] = [
    ['glorotUniform', 2 / (fanIn + fanOut), Math.sqrt(6 / (fanIn + fanOut)), () => init.glorotUniform({ seed: 1 })],
    ['glorotNormal', 2 / (fanIn + fanOut), 2 * Math.sqrt(2 / (fanIn + fanOut)) / 0.8796256610342398, () => init.glorotNormal({ seed: 2 })],
    ['heNormal', 2 / fanIn, 2 * Math.sqrt(2 / fanIn) / 0.8796256610342398, () => init.heNormal({ seed: 3 })],
    ['heUniform', 2 / fanIn, Math.sqrt(6 / fanIn), () => init.heUniform({ seed: 4 })],
    ['lecunNormal', 1 / fanIn, 2 * Math.sqrt(1 / fanIn) / 0.8796256610342398, () => init.lecunNormal({ seed: 5 })],
    ['lecunUniform', 1 / fanIn, Math.sqrt(3 / fanIn), () => init.lecunUniform({ seed: 6 })],
    ['varianceScaling fanOut normal', 3 / fanOut, null, () => init.varianceScaling({ scale: 3, mode: 'fanOut', distribution: 'untruncatedNormal', seed: 7 })],
    ['randomNormal', 0.05 ** 2, null, () => init.randomNormal({ seed: 8 })],
    ['randomUniform', 0.1 ** 2 / 12, 0.05, () => init.randomUniform({ seed: 9 })],
    // N(0, σ²) truncated at ±2σ has variance 0.77374·σ² (TF's truncated_normal).
    ['truncatedNormal', 0.7737413 * 0.05 ** 2, 0.1, () => init.truncatedNormal({ seed: 10 })],
  ];
  for (const [name, variance, bound, make] of cases) {
    it(`${name}: mean 0, variance ${variance.toExponential(3)}${bound ? `, |v| <= ${bound.toFixed(4)}` : ''}`, () => {
      const st = stats(make().generate(shape));
      expect(Math.abs(st.mean)).toBeLessThan(5 * Math.sqrt(variance / 18432));
      expect(st.variance / variance).toBeGreaterThan(0.95);
      expect(st.variance / variance).toBeLessThan(1.05);
      if (bound !== null) expect(st.maxAbs).toBeLessThanOrEqual(bound * (1 + 1e-6));
    });
  }

  it('zeros, ones, constant', () => {
    expect(Array.from(init.zeros().generate([2, 2]))).toEqual([0, 0, 0, 0]);
    expect(Array.from(init.ones().generate([3]))).toEqual([1, 1, 1]);
    expect(Array.from(init.constant({ value: 2.5 }).generate([2]))).toEqual([2.5, 2.5]);
    expect(() => init.constant({ value: Number.NaN })).toThrow(/constant: value must be finite/);
  });

  it('orthogonal: orthonormal columns (tall) or rows (wide), times gain', () => {
    for (const [sh, gain] of [[[3, 3, 4, 6], 1], [[4, 9], 2]] as [number[], number][]) {
      const v = init.orthogonal({ gain, seed: 3 }).generate(sh);
      const cols = sh[sh.length - 1]!;
      const rows = v.length / cols;
      const [m, n, at] = rows >= cols ? [rows, cols, (k: number, i: number) => v[i * cols + k]!] : [cols, rows, (k: number, i: number) => v[k * cols + i]!];
      for (let a = 0; a < n; a++)
        for (let b = 0; b < n; b++) {
          let dot = 0;
          for (let i = 0; i < m; i++) dot += at(a, i) * at(b, i);
          expect(dot).toBeCloseTo(a === b ? gain * gain : 0, 4);
        }
    }
  });

  it('lookup by Keras and TF.js names, unknown names are errors', () => {
    expect(init.getInitializer('he_normal', 'zeros').className).toBe('HeNormal');
    expect(init.getInitializer('glorotUniform', 'zeros').className).toBe('GlorotUniform');
    expect(init.getInitializer({ className: 'VarianceScaling', config: { scale: 2, mode: 'fan_out', distribution: 'uniform' } }, 'zeros').getConfig())
      .toEqual({ scale: 2, mode: 'fanOut', distribution: 'uniform', seed: null });
    expect(() => init.getInitializer('xavier', 'zeros', 'kernelInitializer')).toThrow(/kernelInitializer: unknown initializer "xavier"/);
  });
});

describe('regularizers (Keras: l1·Σ|w| + l2·Σw²)', () => {
  const w = randomTensor([3, 4], 5, 1, 0.05);
  const v = Array.from(w.dataSync());
  const l1 = v.reduce((a, x) => a + Math.abs(x), 0);
  const l2 = v.reduce((a, x) => a + x * x, 0);
  it('penalties, defaults 0.01, lookup and config', () => {
    expect(R.l1().apply(w).dataSync()[0]).toBeCloseTo(0.01 * l1, 5);
    expect(R.l2({ l2: 0.3 }).apply(w).dataSync()[0]).toBeCloseTo(0.3 * l2, 5);
    expect(R.l1l2({ l1: 0.2, l2: 0.1 }).apply(w).dataSync()[0]).toBeCloseTo(0.2 * l1 + 0.1 * l2, 5);
    expect(R.getRegularizer({ className: 'L1L2', config: { l2: 0.5 } })!.getConfig()).toEqual({ l1: 0, l2: 0.5 });
    expect(R.getRegularizer('l2')!.getConfig()).toEqual({ l1: 0, l2: 0.01 });
    expect(() => R.getRegularizer('l3', 'kernelRegularizer')).toThrow(/kernelRegularizer: unknown regularizer "l3"/);
    expect(() => R.l1({ l1: -1 })).toThrow(/l1 and l2 must be >= 0/);
  });
  it('gradients by finite differences', () => {
    gradcheck((x) => R.l1l2({ l1: 0.2, l2: 0.1 }).apply(x), [w], { h: 1e-3 });
    gradcheck((x) => K.reshape(R.l2({ l2: 0.7 }).apply(x), [1]), [randomTensor([5], 6)]);
  });
});
