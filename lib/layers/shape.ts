/**
 * Shapes as layers see them: the batch dimension (and any unknown dimension) is `null`,
 * as in Keras/TF.js. Helpers for conv/pool output sizes live here too, so that layers,
 * the summary and the receptive-field calculator share one definition.
 */
export type Shape = (number | null)[];
export type PaddingMode = 'valid' | 'same' | 'causal';
export type DataFormat = 'channelsLast' | 'channelsFirst';

export function shapeToString(shape: Shape | Shape[]): string {
  if (shape.length > 0 && Array.isArray(shape[0])) {
    return '[' + (shape as Shape[]).map((s) => shapeToString(s)).join(', ') + ']';
  }
  return '(' + (shape as Shape).map((d) => (d === null ? 'None' : String(d))).join(', ') + ')';
}

export function isShapeList(s: Shape | Shape[]): s is Shape[] {
  return s.length > 0 && Array.isArray(s[0]);
}

/** Product of known dims; throws when a dim is unknown. */
export function sizeOf(shape: readonly (number | null)[]): number {
  let n = 1;
  for (const d of shape) {
    if (d === null) throw new Error(`shape ${shapeToString(shape as Shape)} has an unknown dimension`);
    n *= d;
  }
  return n;
}

/**
 * Output length of a sliding window (TensorFlow semantics).
 *   valid:  floor((in - ((k-1)·d + 1)) / s) + 1
 *   same:   ceil(in / s)
 *   causal: in (stride 1 is assumed by Keras; with s > 1 it is ceil(in / s) like same)
 */
export function convOutputLength(
  inputLength: number | null,
  kernel: number,
  padding: PaddingMode,
  stride: number,
  dilation = 1,
): number | null {
  if (inputLength === null) return null;
  const eff = (kernel - 1) * dilation + 1;
  if (padding === 'valid') return Math.max(0, Math.floor((inputLength - eff) / stride) + 1);
  return Math.ceil(inputLength / stride);
}

/** Padding before/after along one axis for `same` (TF puts the odd pixel after). */
export function samePadding(inputLength: number, kernel: number, stride: number, dilation = 1): [number, number] {
  const eff = (kernel - 1) * dilation + 1;
  const out = Math.ceil(inputLength / stride);
  const total = Math.max((out - 1) * stride + eff - inputLength, 0);
  const before = Math.floor(total / 2);
  return [before, total - before];
}

/** Output length of a transposed convolution (Keras deconv_output_length, no output_padding). */
export function deconvOutputLength(
  inputLength: number | null,
  kernel: number,
  padding: PaddingMode,
  stride: number,
  dilation = 1,
): number | null {
  if (inputLength === null) return null;
  const eff = (kernel - 1) * dilation + 1;
  if (padding === 'valid') return inputLength * stride + Math.max(eff - stride, 0);
  return inputLength * stride;
}

/** Accepts n or [n, ...] and returns a tuple of `rank` positive integers, naming the argument on error. */
export function normalizeTuple(value: number | readonly number[], rank: number, argName: string, allowZero = false): number[] {
  const arr = typeof value === 'number' ? new Array<number>(rank).fill(value) : [...value];
  if (arr.length !== rank) {
    throw new RangeError(`${argName} must be a number or an array of ${rank} numbers, got ${JSON.stringify(value)}`);
  }
  for (const v of arr) {
    if (!Number.isInteger(v) || v < (allowZero ? 0 : 1)) {
      throw new RangeError(`${argName} must hold ${allowZero ? 'non-negative' : 'positive'} integers, got ${JSON.stringify(value)}`);
    }
  }
  return arr;
}

export function checkPadding(p: unknown, argName?: string): 'valid' | 'same';
export function checkPadding(p: unknown, argName: string, allowCausal: boolean): PaddingMode;
export function checkPadding(p: unknown, argName = 'padding', allowCausal = false): PaddingMode {
  if (p === 'valid' || p === 'same' || (allowCausal && p === 'causal')) return p;
  throw new RangeError(`${argName} must be 'valid' or 'same'${allowCausal ? " or 'causal'" : ''}, got ${JSON.stringify(p)}`);
}

export function checkDataFormat(f: unknown): DataFormat {
  if (f === undefined) return 'channelsLast';
  if (f === 'channelsLast' || f === 'channelsFirst') return f;
  throw new RangeError(`dataFormat must be 'channelsLast' or 'channelsFirst', got ${JSON.stringify(f)}`);
}

export function checkPositiveInt(v: unknown, argName: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    throw new RangeError(`${argName} must be a positive integer, got ${JSON.stringify(v)}`);
  }
  return v;
}

export function checkRate(v: unknown, argName: string): number {
  if (typeof v !== 'number' || !(v >= 0 && v < 1)) {
    throw new RangeError(`${argName} must be a number in [0, 1), got ${JSON.stringify(v)}`);
  }
  return v;
}
