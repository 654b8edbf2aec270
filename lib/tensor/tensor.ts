// Tensor: an n-dimensional, contiguous, row-major array of float32 or int32 whose memory is a
// native 64-byte aligned block shared zero-copy with the C++ core.
import { Storage } from './storage.js';
import { beforeTensorRead, isRecording, noteFreshWrite } from '../engine/deferred.js';
import { native } from '../native/index.js';
import { type AnyTypedArray, type DType, checkShape, fmt, sizeOf } from './shape.js';

/** Nested number arrays as returned by arraySync() (a number for a scalar). */
export type NestedArray = number | NestedArray[];

let nextId = 1;

/** @internal */
export let internals: {
  view(t: Tensor, what?: string): AnyTypedArray;
  freshView(t: Tensor): AnyTypedArray;
  storage(t: Tensor, what?: string): Storage;
};

export class Tensor {
  /** Unique id (for debugging, tapes and maps). */
  readonly id: number;
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly size: number;
  #storage: Storage;
  #view: AnyTypedArray;
  #disposed = false;

  /** @internal Use tensor(), zeros(), ... to create tensors. */
  constructor(storage: Storage, shape: readonly number[], dtype: DType) {
    this.id = nextId++;
    this.shape = Object.freeze(shape.slice());
    this.dtype = dtype;
    this.size = sizeOf(shape);
    this.#storage = storage;
    this.#view = dtype === 'float32' ? new Float32Array(storage.buffer, 0, this.size) : new Int32Array(storage.buffer, 0, this.size);
  }

  get rank(): number {
    return this.shape.length;
  }

  get isDisposed(): boolean {
    return this.#disposed;
  }

  /** @internal Throws a clear error if the tensor was disposed. */
  assertAlive(what = 'tensor'): void {
    if (this.#disposed)
      throw new Error(`${what} was disposed: Tensor#${this.id} ${this.dtype} ${fmt(this.shape)} cannot be used after dispose()`);
  }

  static {
    // Friend access for lib/tensor/internal.ts (not part of the public API).
    internals = {
      view: (t, what) => {
        t.assertAlive(what);
        beforeTensorRead();
        return t.#view;
      },
      freshView: (t) => {
        t.assertAlive();
        noteFreshWrite(t.#view); // step capture: this memory is filled outside any recording
        return t.#view;
      },
      storage: (t, what) => {
        t.assertAlive(what);
        return t.#storage;
      },
    };
  }

  private get values(): AnyTypedArray {
    this.assertAlive();
    beforeTensorRead();
    return this.#view;
  }

  /** A copy of the data as a typed array. */
  dataSync(): AnyTypedArray {
    return this.values.slice();
  }

  /** A copy of the data, asynchronously (data is already in host memory; this is for API parity). */
  data(): Promise<AnyTypedArray> {
    try {
      return Promise.resolve(this.dataSync());
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** The data as nested arrays following the shape (a number for a scalar). */
  arraySync(): NestedArray {
    const v = this.values;
    const shape = this.shape;
    if (shape.length === 0) return v[0]!;
    const build = (dim: number, offset: number, stride: number): NestedArray[] => {
      const n = shape[dim]!;
      const inner = stride / Math.max(n, 1);
      const out: NestedArray[] = new Array<NestedArray>(n);
      if (dim === shape.length - 1) {
        for (let i = 0; i < n; i++) out[i] = v[offset + i]!;
      } else {
        for (let i = 0; i < n; i++) out[i] = build(dim + 1, offset + i * inner, inner);
      }
      return out;
    };
    return build(0, 0, this.size);
  }

  array(): Promise<NestedArray> {
    try {
      return Promise.resolve(this.arraySync());
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * The same data with another shape; shares memory (the storage is reference-counted, so the
   * view and the original are disposed independently). One dimension may be -1 (inferred).
   */
  reshape(shape: readonly number[]): Tensor {
    this.assertAlive();
    const dims = Array.from(shape);
    const unknown = dims.findIndex((d) => d === -1);
    if (unknown >= 0) {
      if (dims.indexOf(-1, unknown + 1) >= 0) throw new RangeError(`reshape: only one dimension may be -1, got ${fmt(shape)}`);
      const known = sizeOf(dims.filter((_, i) => i !== unknown));
      if (known === 0 || this.size % known !== 0)
        throw new RangeError(`reshape: cannot reshape ${fmt(this.shape)} (size ${this.size}) to ${fmt(shape)}`);
      dims[unknown] = this.size / known;
    }
    const s = checkShape(dims, 'shape');
    if (sizeOf(s) !== this.size)
      throw new RangeError(`reshape: shape ${fmt(shape)} has ${sizeOf(s)} elements, tensor ${fmt(this.shape)} has ${this.size}`);
    this.#storage.retain();
    return new Tensor(this.#storage, s, this.dtype);
  }

  /** A deep copy with its own storage. */
  clone(): Tensor {
    this.assertAlive();
    const storage = new Storage(this.size * 4, false);
    const t = new Tensor(storage, this.shape, this.dtype);
    // Under deferred execution the copy is queued like any kernel (this tensor may be the output
    // of a queued one); otherwise a plain copy.
    if (isRecording()) native().copyBuffer(this.#view, t.#view);
    else t.#view.set(this.values);
    return t;
  }

  /**
   * Frees the tensor's native memory now (when no other view shares it). Using the tensor
   * afterwards throws; typed arrays previously obtained from it become empty, never dangling.
   * Calling dispose() twice is harmless.
   */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#storage.release();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  toString(verbose = false): string {
    if (this.#disposed) return `Tensor(disposed) ${this.dtype} ${fmt(this.shape)}`;
    return `Tensor ${this.dtype} ${fmt(this.shape)}\n${formatValues(this.values, this.shape, verbose ? Infinity : 6)}`;
  }

  print(verbose = false): void {
    console.log(this.toString(verbose));
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}

function formatNumber(x: number, dtype: 'float' | 'int'): string {
  if (dtype === 'int') return String(x);
  if (Number.isInteger(x) && Math.abs(x) < 1e6) return x.toFixed(1);
  const a = Math.abs(x);
  return a !== 0 && (a < 1e-4 || a >= 1e6) ? x.toExponential(4) : String(Number(x.toPrecision(6)));
}

/** Nested, bracketed rendering; at most `edge` items at each end of every dimension. */
function formatValues(v: AnyTypedArray, shape: readonly number[], edge: number): string {
  const kind = v instanceof Int32Array ? 'int' : 'float';
  if (shape.length === 0) return formatNumber(v[0]!, kind);
  const rec = (dim: number, offset: number, indent: string): string => {
    const n = shape[dim]!;
    const stride = sizeOf(shape.slice(dim + 1));
    const idx: (number | null)[] = [];
    if (n > 2 * edge) {
      for (let i = 0; i < edge; i++) idx.push(i);
      idx.push(null);
      for (let i = n - edge; i < n; i++) idx.push(i);
    } else for (let i = 0; i < n; i++) idx.push(i);
    if (dim === shape.length - 1)
      return `[${idx.map((i) => (i === null ? '...' : formatNumber(v[offset + i]!, kind))).join(', ')}]`;
    const sep = ',\n' + '\n'.repeat(Math.max(0, shape.length - dim - 2)) + indent + ' ';
    return `[${idx.map((i) => (i === null ? '...' : rec(dim + 1, offset + i * stride, indent + ' '))).join(sep)}]`;
  };
  return rec(0, 0, '');
}
