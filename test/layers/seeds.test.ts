// Layer and initializer seeds: a seeded layer draws reproducibly from its own generator,
// independent of (and not disturbing) global draws; masks/noise/slopes equal what a plain
// reference draws from Rng(seed) written here; successive calls advance; configs keep the seed.
import { describe, expect, it } from 'vitest';
import * as ck from '../../lib/index.js';
import * as L from '../../lib/layers/index.js';
import * as init from '../../lib/initializers/index.js';
import { Rng, setSeed, globalRng } from '../../lib/random/index.js';
import { kerasToConvkitConfig } from '../../lib/io/keras_format/case.js';

const ones = (shape: number[]): ck.Tensor => ck.tensor(new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(1), shape);
const values = (t: ck.Tensor | ck.Tensor[]): number[] => Array.from((t as ck.Tensor).dataSync());

/** Disturbs the global generator between calls (a seeded layer must not notice). */
function globalNoise(seed: number): void {
  setSeed(seed);
  for (let i = 0; i < 37; i++) globalRng().random();
}

describe('seeded layers', () => {
  it('Dropout: the mask is Rng(seed)\'s [u ≥ rate]/(1 − rate), advancing per call, whatever the global draws', () => {
    const rate = 0.3;
    const a = L.dropout({ rate, seed: 42 });
    const b = L.dropout({ rate, seed: 42 });
    const ref = new Rng(42);
    const refMask = (n: number): number[] => Array.from({ length: n }, () => (ref.random() >= rate ? Math.fround(1 / (1 - rate)) : 0));
    const first = refMask(24);
    const second = refMask(24);
    globalNoise(1);
    expect(values(a.apply(ones([4, 6]), { training: true }))).toEqual(first);
    globalNoise(2);
    expect(values(a.apply(ones([4, 6]), { training: true }))).toEqual(second);
    expect(second).not.toEqual(first);
    // An identical layer replays the same sequence, with other draws in between.
    globalNoise(3);
    expect(values(b.apply(ones([4, 6]), { training: true }))).toEqual(first);
    // A different seed gives a different mask; inference is the identity.
    expect(values(L.dropout({ rate, seed: 43 }).apply(ones([4, 6]), { training: true }))).not.toEqual(first);
    expect(values(a.apply(ones([4, 6])))).toEqual(new Array(24).fill(1));
  });

  it('a seeded layer does not disturb the global stream', () => {
    setSeed(9);
    const want = [globalRng().random(), globalRng().random()];
    setSeed(9);
    L.dropout({ rate: 0.5, seed: 1 }).apply(ones([8, 8]), { training: true });
    L.gaussianNoise({ stddev: 1, seed: 1 }).apply(ones([8, 8]), { training: true });
    expect([globalRng().random(), globalRng().random()]).toEqual(want);
  });

  it('SpatialDropout2D drops whole channels from Rng(seed), one draw per (sample, channel)', () => {
    const l = L.spatialDropout2d({ rate: 0.5, seed: 7 });
    const ref = new Rng(7);
    const keep = Array.from({ length: 2 * 3 }, () => (ref.random() >= 0.5 ? 2 : 0));
    globalNoise(5);
    const y = values(l.apply(ones([2, 2, 2, 3]), { training: true }));
    y.forEach((v, i) => {
      const n = Math.floor(i / 12);
      const c = i % 3;
      expect(v).toBe(keep[n * 3 + c]);
    });
  });

  it('GaussianNoise adds Rng(seed).normal() · stddev', () => {
    const l = L.gaussianNoise({ stddev: 0.5, seed: 11 });
    const ref = new Rng(11);
    const want = Array.from({ length: 10 }, () => Math.fround(1 + Math.fround(0.5 * ref.normal())));
    globalNoise(6);
    const got = values(l.apply(ones([2, 5]), { training: true }));
    got.forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 6));
  });

  it('RReLU draws its slopes from Rng(seed) in training', () => {
    const l = L.rrelu({ lower: 0.1, upper: 0.3, seed: 5 });
    const ref = new Rng(5);
    const x = ck.tensor([-1, -2, 3, -4], [1, 4]);
    const slopes = [0, 1, 2, 3].map(() => 0.1 + 0.2 * ref.random());
    globalNoise(8);
    const got = values(l.apply(x, { training: true }));
    [-1, -2, 3, -4].forEach((v, i) => expect(got[i]!).toBeCloseTo(v < 0 ? v * slopes[i]! : v, 6));
  });

  it('configs keep the seed; a layer rebuilt from its config replays the same draws', () => {
    const a = L.dropout({ rate: 0.5, seed: 3 });
    const cfg = a.getConfig();
    expect(cfg['seed']).toBe(3);
    const b = L.getLayerClass('Dropout').fromConfig({ ...cfg, name: 'dropout_clone_seed' });
    expect(values(b.apply(ones([3, 5]), { training: true }))).toEqual(values(a.apply(ones([3, 5]), { training: true })));
    expect(L.rrelu({ seed: 2 }).getConfig()['seed']).toBe(2);
    expect(L.gaussianNoise({ stddev: 1 }).getConfig()['seed']).toBeNull();
  });

  it('bad seeds are RangeErrors naming the layer', () => {
    expect(() => L.dropout({ rate: 0.5, seed: Number.NaN, name: 'dseed' })).toThrow(/Dropout 'dseed': seed must be a finite number or null, got NaN/);
    expect(() => L.gaussianNoise({ stddev: 1, seed: 'x' as unknown as number, name: 'gseed' })).toThrow(/GaussianNoise 'gseed': seed must be a finite number/);
  });
});

describe('seeded initializers', () => {
  const kinds: [string, (seed: number | null) => init.Initializer][] = [
    ['glorotUniform', (seed) => init.glorotUniform({ seed })],
    ['glorotNormal', (seed) => init.glorotNormal({ seed })],
    ['heNormal', (seed) => init.heNormal({ seed })],
    ['heUniform', (seed) => init.heUniform({ seed })],
    ['lecunNormal', (seed) => init.lecunNormal({ seed })],
    ['lecunUniform', (seed) => init.lecunUniform({ seed })],
    ['randomNormal', (seed) => init.randomNormal({ seed })],
    ['randomUniform', (seed) => init.randomUniform({ seed })],
    ['truncatedNormal', (seed) => init.truncatedNormal({ seed })],
    ['orthogonal', (seed) => init.orthogonal({ seed })],
    ['varianceScaling', (seed) => init.varianceScaling({ scale: 2, mode: 'fanOut', distribution: 'untruncatedNormal', seed })],
  ];
  for (const [name, make] of kinds) {
    it(`${name}: the same values on every call and for every instance, whatever the global draws`, () => {
      globalNoise(1);
      const a = make(17).generate([4, 5]);
      globalNoise(2);
      const b = make(17).generate([4, 5]);
      const i = make(17);
      expect(Array.from(i.generate([4, 5]))).toEqual(Array.from(a));
      expect(Array.from(i.generate([4, 5]))).toEqual(Array.from(a));
      expect(Array.from(b)).toEqual(Array.from(a));
      expect(Array.from(make(18).generate([4, 5]))).not.toEqual(Array.from(a));
      // Unseeded: from the global generator, reproducible through setSeed only.
      setSeed(4);
      const g1 = make(null).generate([4, 5]);
      setSeed(4);
      expect(Array.from(make(null).generate([4, 5]))).toEqual(Array.from(g1));
      expect(init.serializeInitializer(make(17)).config['seed']).toBe(17);
    });
  }

  it('randomUniform with a seed equals the plain reference drawn from Rng(seed)', () => {
    const ref = new Rng(99);
    const want = Array.from({ length: 6 }, () => Math.fround(-0.5 + 1 * ref.random()));
    expect(Array.from(init.randomUniform({ minval: -0.5, maxval: 0.5, seed: 99 }).generate([2, 3]))).toEqual(want);
  });

  it('a Keras config seed reaches the layer kernels: two layers, the same kernel', () => {
    const k = { className: 'GlorotUniform', config: { seed: 5 } };
    const a = L.dense({ units: 3, kernelInitializer: k });
    const b = L.dense({ units: 3, kernelInitializer: k });
    a.apply(ones([1, 4]));
    globalNoise(3);
    b.apply(ones([1, 4]));
    expect(values(a.getWeights()[0]!)).toEqual(values(b.getWeights()[0]!));
    // From a Keras (snake_case) layer config, as lib/io converts it.
    const cfg = kerasToConvkitConfig('Dense', { name: 'dk', units: 3, kernel_initializer: { class_name: 'VarianceScaling', config: { scale: 1, mode: 'fan_avg', distribution: 'uniform', seed: 5 } } });
    const c = L.getLayerClass('Dense').fromConfig(cfg);
    c.apply(ones([1, 4]));
    expect(values(c.getWeights()[0]!)).toEqual(values(a.getWeights()[0]!));
    expect(() => init.getInitializer({ className: 'HeNormal', config: { seed: 'x' } }, 'zeros')).toThrow(/seed must be a finite number/);
  });
});
