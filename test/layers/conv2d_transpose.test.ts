// Conv2DTranspose with Keras's outputPadding: output lengths from Keras's deconv_output_length
// worked by hand, forward outputs against a plain double scatter reference written here (every
// ISA, bias, dilation, non-square strides, channelsFirst) and against @tensorflow/tfjs's
// conv2dTranspose given the same output shape (a real peer; it has no dilation), gradients by
// finite differences, config round trips (camelCase and Keras snake_case) and the errors.
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import * as ck from '../../lib/index.js';
import * as L from '../../lib/layers/index.js';
import { kerasToConvkitConfig } from '../../lib/io/keras_format/case.js';
import { randomTensor } from '../helpers/gradcheck.js';
import { runLayerTest } from '../helpers/layer_harness.js';

const isas = ck.backendInfo().availableIsas;
afterAll(() => ck.setIsa(null));

interface Geo { n: number; h: number; w: number; c: number; f: number; k: [number, number]; s: [number, number]; d: [number, number]; padding: 'same' | 'valid'; op: [number, number] | null }

/**
 * y[n, i·s − before + p·d, j·s − before + q·d, f] += x[n, i, j, c]·w[p, q, f, c] (+ bias), the
 * scatter form of a transposed convolution, with TF's pads for the output length: 'same' pads
 * total max((⌈out/s⌉ − 1)·s + k' − out, 0), the smaller half before.
 */
function reference(g: Geo, X: Float32Array, W: Float32Array, B: Float32Array | null, out: [number, number]): Float64Array {
  const before = [0, 1].map((a) => {
    if (g.padding === 'valid') return 0;
    const eff = (g.k[a]! - 1) * g.d[a]! + 1;
    return Math.floor(Math.max((Math.ceil(out[a]! / g.s[a]!) - 1) * g.s[a]! + eff - out[a]!, 0) / 2);
  });
  const [H, Wd] = out;
  const y = new Float64Array(g.n * H * Wd * g.f);
  for (let n = 0; n < g.n; n++)
    for (let i = 0; i < g.h; i++) for (let j = 0; j < g.w; j++) for (let c = 0; c < g.c; c++)
      for (let p = 0; p < g.k[0]; p++) for (let q = 0; q < g.k[1]; q++) {
        const oi = i * g.s[0] - before[0]! + p * g.d[0];
        const oj = j * g.s[1] - before[1]! + q * g.d[1];
        if (oi < 0 || oi >= H || oj < 0 || oj >= Wd) continue;
        for (let f = 0; f < g.f; f++)
          y[((n * H + oi) * Wd + oj) * g.f + f] += X[((n * g.h + i) * g.w + j) * g.c + c]! * W[((p * g.k[1] + q) * g.f + f) * g.c + c]!;
      }
  if (B) for (let t = 0; t < y.length; t++) y[t] += B[t % g.f]!;
  return y;
}

/** Keras deconv_output_length, restated. */
function kerasLength(n: number, k: number, s: number, d: number, padding: string, op: number | null): number {
  const eff = k + (k - 1) * (d - 1);
  if (op === null) return padding === 'valid' ? n * s + Math.max(eff - s, 0) : n * s;
  const pad = padding === 'same' ? Math.floor(eff / 2) : 0;
  return (n - 1) * s + eff - 2 * pad + op;
}

const geos: Geo[] = [
  { n: 2, h: 3, w: 3, c: 2, f: 3, k: [3, 3], s: [2, 2], d: [1, 1], padding: 'same', op: [1, 1] },
  { n: 1, h: 3, w: 4, c: 3, f: 2, k: [3, 3], s: [2, 2], d: [1, 1], padding: 'same', op: [0, 0] },
  { n: 1, h: 3, w: 3, c: 2, f: 2, k: [3, 3], s: [2, 2], d: [1, 1], padding: 'valid', op: [1, 0] },
  { n: 2, h: 4, w: 3, c: 2, f: 3, k: [2, 2], s: [2, 2], d: [1, 1], padding: 'same', op: [1, 1] },
  { n: 1, h: 3, w: 4, c: 2, f: 2, k: [3, 2], s: [2, 3], d: [1, 1], padding: 'valid', op: [1, 2] },
  { n: 1, h: 3, w: 5, c: 3, f: 4, k: [5, 3], s: [3, 2], d: [1, 1], padding: 'same', op: [2, 1] },
  { n: 1, h: 5, w: 4, c: 2, f: 2, k: [3, 3], s: [1, 1], d: [2, 2], padding: 'same', op: [0, 0] },
  { n: 1, h: 4, w: 4, c: 2, f: 3, k: [3, 2], s: [2, 2], d: [2, 1], padding: 'valid', op: [1, 1] },
  { n: 2, h: 3, w: 3, c: 2, f: 2, k: [4, 4], s: [2, 2], d: [1, 1], padding: 'same', op: null },
];

describe('Conv2DTranspose outputPadding', () => {
  it('output shapes follow Keras deconv_output_length', () => {
    for (const g of geos) {
      const l = L.conv2dTranspose({ filters: g.f, kernelSize: g.k, strides: g.s, dilationRate: g.d, padding: g.padding, outputPadding: g.op });
      const want = [null, kerasLength(g.h, g.k[0], g.s[0], g.d[0], g.padding, g.op?.[0] ?? null), kerasLength(g.w, g.k[1], g.s[1], g.d[1], g.padding, g.op?.[1] ?? null), g.f];
      expect(l.computeOutputShape([null, g.h, g.w, g.c])).toEqual(want);
    }
    // Worked by hand: (3 − 1)·2 + 3 − 2 + 1 = 6; (3 − 1)·2 + 3 + 1 = 8; (4 − 1)·2 + 2 − 2 + 1 = 7.
    expect(L.conv2dTranspose({ filters: 1, kernelSize: 3, strides: 2, padding: 'same', outputPadding: 1 }).computeOutputShape([null, 3, 3, 1])).toEqual([null, 6, 6, 1]);
    expect(L.conv2dTranspose({ filters: 1, kernelSize: 3, strides: 2, outputPadding: 1 }).computeOutputShape([null, 3, 3, 1])).toEqual([null, 8, 8, 1]);
    expect(L.conv2dTranspose({ filters: 1, kernelSize: 2, strides: 2, padding: 'same', outputPadding: 1 }).computeOutputShape([null, 4, 4, 1])).toEqual([null, 7, 7, 1]);
  });

  describe.each(isas)('forward against the plain scatter reference on %s', (isa) => {
    for (const [gi, g] of geos.entries()) {
      for (const fmt of ['channelsLast', 'channelsFirst'] as const) {
        it(`case ${gi} ${fmt}: k ${g.k} s ${g.s} d ${g.d} ${g.padding} outputPadding ${JSON.stringify(g.op)}`, () => {
          ck.setIsa(isa);
          const l = L.conv2dTranspose({ filters: g.f, kernelSize: g.k, strides: g.s, dilationRate: g.d, padding: g.padding, outputPadding: g.op, dataFormat: fmt, biasInitializer: 'randomNormal' });
          const x = randomTensor([g.n, g.h, g.w, g.c], 3 + gi);
          const xin = fmt === 'channelsLast' ? x : ck.transpose(x, [0, 3, 1, 2]);
          let y = l.apply(xin) as ck.Tensor;
          if (fmt === 'channelsFirst') y = ck.transpose(y, [0, 2, 3, 1]);
          const [W, B] = l.getWeights().map((t) => t.dataSync() as Float32Array);
          const ref = reference(g, x.dataSync() as Float32Array, W!, B!, [y.shape[1]!, y.shape[2]!]);
          const got = y.dataSync();
          expect(got.length).toBe(ref.length);
          let worst = 0;
          for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(got[i]! - ref[i]!));
          expect(worst).toBeLessThan(1e-5);
        });
      }
    }
  });

  it('matches @tensorflow/tfjs conv2dTranspose for the same output shape (no dilation)', () => {
    for (const g of geos.filter((q) => q.d[0] === 1 && q.d[1] === 1)) {
      const l = L.conv2dTranspose({ filters: g.f, kernelSize: g.k, strides: g.s, padding: g.padding, outputPadding: g.op, useBias: false });
      const x = randomTensor([g.n, g.h, g.w, g.c], 40);
      const y = l.apply(x) as ck.Tensor;
      const W = l.getWeights()[0]!;
      const peer = tf.tidy(() => tf.conv2dTranspose(tf.tensor4d(x.dataSync() as Float32Array, [g.n, g.h, g.w, g.c]),
        tf.tensor4d(W.dataSync() as Float32Array, W.shape as [number, number, number, number]),
        y.shape as [number, number, number, number], g.s, g.padding).dataSync());
      const got = y.dataSync();
      expect(peer.length).toBe(got.length);
      for (let i = 0; i < got.length; i++) expect(Math.abs(got[i]! - peer[i]!)).toBeLessThan(1e-5);
    }
  });

  it('gradients by finite differences (input, kernel, bias) and config round trip', () => {
    for (const [gi, g] of geos.slice(0, 8).entries()) {
      runLayerTest({
        make: () => L.conv2dTranspose({ filters: g.f, kernelSize: g.k, strides: g.s, dilationRate: g.d, padding: g.padding, outputPadding: g.op }),
        inputShape: [1, g.h, g.w, g.c],
        expectedOutputShape: [1, kerasLength(g.h, g.k[0], g.s[0], g.d[0], g.padding, g.op?.[0] ?? null), kerasLength(g.w, g.k[1], g.s[1], g.d[1], g.padding, g.op?.[1] ?? null), g.f],
        seed: 60 + gi,
      });
    }
  });

  it('reads Keras snake_case output_padding and writes outputPadding', () => {
    const cfg = kerasToConvkitConfig('Conv2DTranspose', {
      name: 'up', filters: 4, kernel_size: [3, 3], strides: [2, 2], padding: 'same', data_format: 'channels_last',
      dilation_rate: [1, 1], activation: 'linear', use_bias: true, output_padding: [1, 0],
    });
    const l = L.getLayerClass('Conv2DTranspose').fromConfig(cfg) as L.Conv2DTranspose;
    expect(l.outputPadding).toEqual([1, 0]);
    expect(l.computeOutputShape([null, 3, 3, 2])).toEqual([null, 6, 5, 4]);
    expect(l.getConfig()['outputPadding']).toEqual([1, 0]);
    const none = L.getLayerClass('Conv2DTranspose').fromConfig(kerasToConvkitConfig('Conv2DTranspose', { filters: 2, kernel_size: [2, 2], strides: [2, 2], padding: 'same', output_padding: null })) as L.Conv2DTranspose;
    expect(none.outputPadding).toBeNull();
    expect(none.computeOutputShape([null, 14, 14, 1])).toEqual([null, 28, 28, 2]);
  });

  it('errors name the argument', () => {
    expect(() => L.conv2dTranspose({ filters: 2, kernelSize: 3, strides: 2, outputPadding: 2, name: 'tc' }))
      .toThrow(/Conv2DTranspose 'tc': outputPadding must be less than strides.*\[2,2\].*\[2,2\]/);
    expect(() => L.conv2dTranspose({ filters: 2, kernelSize: 3, outputPadding: -1 })).toThrow(/outputPadding must hold non-negative integers/);
    expect(() => L.conv2dTranspose({ filters: 2, kernelSize: 3, groups: 2 } as L.Conv2DTransposeArgs & { groups: number }))
      .toThrow(/groups is not supported \(Keras Conv2DTranspose has no groups\); got groups=2/);
    expect(() => L.conv2dTranspose({ filters: 2, kernelSize: 3, groups: 1 } as L.Conv2DTransposeArgs & { groups: number })).not.toThrow();
    // Even kernel, 'same', outputPadding 0: (4 − 1)·2 + 2 − 2 = 6, whose 'same' conv has length 3, not 4 (TF rejects it too).
    const bad = L.conv2dTranspose({ filters: 2, kernelSize: 2, strides: 2, padding: 'same', outputPadding: 0, name: 'tc_bad' });
    expect(() => bad.apply(randomTensor([1, 4, 4, 1], 1))).toThrow(/Layer 'tc_bad' \(Conv2DTranspose\) called on input shape \(1, 4, 4, 1\): outputPadding \[0,0\] gives output length 6/);
  });
});
