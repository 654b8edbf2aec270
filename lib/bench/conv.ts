// conv2d, conv2d_dgrad and conv2d_wgrad cases (NHWC, pad = [top, bottom, left, right], groups),
// through the same native calls lib/ops/conv.ts makes, on preallocated arrays in the library's own
// tensor storage (TensorStorage in cases.ts: 64-byte aligned, as every Tensor is). One column
// per algorithm (convkit-direct, convkit-im2col, convkit-winograd, convkit-fft) plus `convkit` for
// 'auto'; an algorithm that cannot run a case prints nothing in its column.
import { native } from '../native/index.js';
import type { ConvAlgorithm, ConvPass } from '../ops/conv.js'; // brings in the conv binding's typings

import { intParam, randomFloat32, TensorStorage, type BenchCase } from './cases.js';
import { registerKind, type PreparedCase } from './registry.js';

const COLUMNS: ReadonlyArray<[ConvAlgorithm, string]> = [
  ['auto', 'convkit'],
  ['direct', 'convkit-direct'],
  ['im2col', 'convkit-im2col'],
  ['winograd', 'convkit-winograd'],
  ['fft', 'convkit-fft'],
];

function pair(c: BenchCase, name: string): [number, number] {
  const v = c.params[name];
  if (!Array.isArray(v) || v.length !== 2 || !v.every((x) => Number.isInteger(x) && x >= 0))
    throw new Error(`case ${c.id}: params.${name} must be two non-negative integers`);
  return [v[0] as number, v[1] as number];
}

function convParams(c: BenchCase): { p: number[]; inSize: number; outSize: number; wSize: number } {
  const N = intParam(c, 'batch'), H = intParam(c, 'in_h'), W = intParam(c, 'in_w');
  const C = intParam(c, 'in_c'), K = intParam(c, 'out_c'), groups = intParam(c, 'groups');
  const [kh, kw] = pair(c, 'kernel'), [sh, sw] = pair(c, 'stride'), [dh, dw] = pair(c, 'dilation');
  const pad = c.params.pad as number[];
  if (!Array.isArray(pad) || pad.length !== 4) throw new Error(`case ${c.id}: params.pad must be [top, bottom, left, right]`);
  const p = [N, 1, H, W, C, K, 1, kh, kw, 1, sh, sw, 1, dh, dw, 0, 0, pad[0]!, pad[1]!, pad[2]!, pad[3]!, groups];
  const g = native().convGeometry(p, 'explicit');
  return { p, inSize: N * H * W * C, outSize: N * g[1]! * g[2]! * K, wSize: kh * kw * (C / groups) * K };
}

function setup(pass: ConvPass) {
  return (c: BenchCase): PreparedCase[] => {
    const { p, inSize, outSize, wSize } = convParams(c);
    const n = native();
    const store = new TensorStorage();
    const x = store.copy(randomFloat32(inSize, 1)), w = store.copy(randomFloat32(wSize, 2)), dy = store.copy(randomFloat32(outSize, 3));
    const y = store.zeros(outSize), dx = store.zeros(inSize), dw = store.zeros(wSize);
    const out: PreparedCase[] = [];
    for (const [algorithm, peer] of COLUMNS) {
      if (n.convUnsupportedReason(p, pass, algorithm) !== '') continue;
      let ran = '';
      const run =
        pass === 'forward'
          ? () => (ran = n.convForward(p, x, w, null, y, algorithm, 'none', 0))
          : pass === 'backwardInput'
            ? () => (ran = n.convBackwardInput(p, dy, w, dx, algorithm))
            : () => (ran = n.convBackwardFilter(p, x, dy, dw, null, algorithm));
      const result = pass === 'forward' ? y : pass === 'backwardInput' ? dx : dw;
      const extra: Record<string, unknown> = {};
      out.push({
        peer,
        run,
        extra,
        check: () => {
          extra.algorithm = ran;
          for (let i = 0; i < result.length; i += Math.max(1, result.length >> 8))
            if (!Number.isFinite(result[i]!)) throw new Error(`${c.id} (${algorithm}): non-finite output at ${i}`);
        },
      });
    }
    // All columns share the buffers: freed once, after the last column ran (the runner disposes
    // every prepared case of a case together).
    const free = (): void => store.free();
    if (out.length > 0) out[out.length - 1]!.dispose = free;
    else free();
    return out;
  };
}

registerKind('conv2d', setup('forward'));
registerKind('conv2d_dgrad', setup('backwardInput'));
registerKind('conv2d_wgrad', setup('backwardFilter'));
