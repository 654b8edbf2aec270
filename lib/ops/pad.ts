// Zero padding of the spatial dimensions (Keras ZeroPadding1D/2D/3D) and its gradient (the crop).
import { runNativeOp } from '../engine/index.js';
import { native } from '../native/index.js';
import { allocTensor, f32, type Tensor } from '../tensor/internal.js';
import { transposeChannels, type DataFormat } from './conv.js';

declare module '../native/binding.js' {
  interface NativeBinding {
    zeroPad(dims: number[], pads: number[], x: Float32Array, y: Float32Array): void;
    zeroPadBackward(dims: number[], pads: number[], dy: Float32Array, dx: Float32Array): void;
  }
}

/** A number (both sides of every spatial dimension) or one [before, after] pair per spatial dimension. */
export type ZeroPadding = number | ReadonlyArray<readonly [number, number]>;

function resolve(x: Tensor, padding: ZeroPadding, fmt: DataFormat): { dims: number[]; pads: number[]; rank: number } {
  const rank = x.rank - 2;
  if (rank < 1 || rank > 3) throw new RangeError(`zeroPad: expected a rank 3, 4 or 5 input, got [${x.shape.join(', ')}]`);
  if (fmt !== 'channelsLast' && fmt !== 'channelsFirst') throw new RangeError(`dataFormat: expected 'channelsLast' or 'channelsFirst', got ${String(fmt)}`);
  const pairs: Array<[number, number]> = typeof padding === 'number'
    ? new Array(rank).fill(null).map(() => [padding, padding] as [number, number])
    : padding.map((p) => [p[0], p[1]] as [number, number]);
  if (pairs.length !== rank) throw new RangeError(`padding: expected ${rank} [before, after] pairs, got ${pairs.length}`);
  for (const [a, b] of pairs)
    if (!Number.isSafeInteger(a) || !Number.isSafeInteger(b) || a < 0 || b < 0) throw new RangeError(`padding: expected non-negative integers, got [${a}, ${b}]`);
  const s = x.shape;
  const spatial = fmt === 'channelsLast' ? s.slice(1, -1) : s.slice(2);
  const C = fmt === 'channelsLast' ? s[s.length - 1]! : s[1]!;
  const full = [...new Array<number>(3 - rank).fill(1), ...spatial];
  const p3 = [...new Array(3 - rank).fill(null).map(() => [0, 0]), ...pairs].flat();
  return { dims: [s[0]!, ...full, C], pads: p3, rank };
}

/** Pads the spatial dimensions of x with zeros. Op name 'ZeroPad' (attrs: padding, dataFormat). */
export function zeroPad(x: Tensor, padding: ZeroPadding, dataFormat: DataFormat = 'channelsLast'): Tensor {
  const { dims, pads, rank } = resolve(x, padding, dataFormat);
  const outSpatial = [0, 1, 2].map((i) => dims[1 + i]! + pads[2 * i]! + pads[2 * i + 1]!).slice(3 - rank);
  return runNativeOp('ZeroPad', [x], { padding, dataFormat }, () => {
    const xc = dataFormat === 'channelsLast' ? x : transposeChannels(x, false);
    const y = allocTensor([dims[0]!, ...outSpatial, dims[4]!]);
    try {
      native().zeroPad(dims, pads, f32(xc, 'input'), f32(y));
    } finally {
      if (xc !== x) xc.dispose();
    }
    if (dataFormat === 'channelsLast') return y;
    const r = transposeChannels(y, true);
    y.dispose();
    return r;
  });
}

/**
 * Gradient of zeroPad: crops dy (the padded shape) back to the input's shape. `inputShape` is the
 * shape of zeroPad's input. Op name 'ZeroPadGrad'.
 */
export function zeroPadBackward(dy: Tensor, inputShape: readonly number[], padding: ZeroPadding, dataFormat: DataFormat = 'channelsLast'): Tensor {
  const probe = { rank: inputShape.length, shape: inputShape } as unknown as Tensor;
  const { dims, pads } = resolve(probe, padding, dataFormat);
  return runNativeOp('ZeroPadGrad', [dy], { padding, dataFormat, inputShape: [...inputShape] }, () => {
    const dyc = dataFormat === 'channelsLast' ? dy : transposeChannels(dy, false);
    const clShape = dataFormat === 'channelsLast' ? [...inputShape] : [inputShape[0]!, ...inputShape.slice(2), inputShape[1]!];
    const dx = allocTensor(clShape);
    const want = dims.reduce((a, b) => a * b, 1) === 0 ? 0 : (dims[0]! * dims[4]! * [0, 1, 2].reduce((a, i) => a * (dims[1 + i]! + pads[2 * i]! + pads[2 * i + 1]!), 1));
    if (dy.size !== want) {
      dx.dispose();
      if (dyc !== dy) dyc.dispose();
      throw new RangeError(`dy: expected ${want} elements (the padded shape), got shape [${dy.shape.join(', ')}]`);
    }
    try {
      native().zeroPadBackward(dims, pads, f32(dyc, 'dy'), f32(dx));
    } finally {
      if (dyc !== dy) dyc.dispose();
    }
    if (dataFormat === 'channelsLast') return dx;
    const r = transposeChannels(dx, true);
    dx.dispose();
    return r;
  });
}
