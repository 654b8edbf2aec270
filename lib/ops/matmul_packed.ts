// Pre-packed weights for matmul: op(B) packed once into the native SGEMM's panel layout
// (native/gemm/gemm_packed.cc), then reused by every matmul(a, packed) with no packing of B.
//
// What it saves: the large-problem path of the SGEMM packs each K block of op(B) into NR-wide
// panels on every call; an inference loop multiplying by the same weights pays that once here.
// The panels belong to the instruction set active when they were packed; after setIsa() the
// native call repacks for the new one (correct, one repack per call).
//
// Memory: the panels live in native memory owned by a type-tagged External; dispose() frees them
// at once, otherwise the garbage collector does (their size is reported to V8 as external
// memory). A dispose() while async work reads the panels only drops this object's reference:
// the native job holds its own until it finishes.
import { registerNoGradient } from '../autodiff/registry.js';
import { runOp, runOpAsync } from '../engine/index.js';
import type { CancelCell } from '../native/binding.js';
import { native } from '../native/index.js';
import { allocTensor, f32 } from '../tensor/internal.js';
import { Tensor } from '../tensor/tensor.js';
import { nativeAsync, type AsyncOptions } from './async.js';

/** The opaque native handle (a type-tagged External). */
type PackedHandle = { readonly __convkitPackedB: unique symbol };

declare module '../native/binding.js' {
  interface NativeBinding {
    gemmPack(transB: boolean, K: number, N: number, b: Float32Array, ldb: number): PackedHandle;
    gemmPackDispose(packed: PackedHandle): void;
    gemmPackBytes(packed: PackedHandle): number;
    sgemmPacked(
      transA: boolean, M: number, alpha: number, a: Float32Array, lda: number, packed: PackedHandle,
      beta: number, c: Float32Array, ldc: number, bias: Float32Array | null, activation: string, leakyAlpha: number,
    ): void;
    sgemmPackedAsync(
      transA: boolean, M: number, alpha: number, a: Float32Array, lda: number, packed: PackedHandle,
      beta: number, c: Float32Array, ldc: number, bias: Float32Array | null, activation: string, leakyAlpha: number,
      cancel: CancelCell,
    ): Promise<void>;
  }
}

registerNoGradient(
  'matMulPacked',
  'the right operand is a PackedMatrix (pre-packed inference weights, not a Tensor); use matmul(a, b) with a Tensor b to train',
);

export interface PackOptions {
  /** b is [N, K] and the product uses bᵀ (e.g. weights stored output-major). */
  transposeB?: boolean;
}

/** The right operand of a matmul, packed once for the native SGEMM (see packMatmulWeights). */
export class PackedMatrix {
  /** Rows of op(B): the K the left operand must match. */
  readonly k: number;
  /** Columns of op(B): the N of the product. */
  readonly n: number;
  /** Bytes of native memory the packed panels hold (0 after dispose). */
  get byteLength(): number {
    return this.#handle === null ? 0 : this.#bytes;
  }
  #handle: PackedHandle | null;
  readonly #bytes: number;

  /** @internal Use packMatmulWeights(). */
  constructor(handle: PackedHandle, k: number, n: number, bytes: number) {
    this.#handle = handle;
    this.k = k;
    this.n = n;
    this.#bytes = bytes;
  }

  get isDisposed(): boolean {
    return this.#handle === null;
  }

  /** Frees the packed panels now (idempotent). */
  dispose(): void {
    if (this.#handle === null) return;
    native().gemmPackDispose(this.#handle);
    this.#handle = null;
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  /** @internal The live handle; Error naming `what` once disposed. */
  handle(what: string): PackedHandle {
    if (this.#handle === null)
      throw new Error(`${what}: the PackedMatrix [${this.k}, ${this.n}] was disposed and cannot be used after dispose()`);
    return this.#handle;
  }
}

function boolOpt(opts: object | undefined, key: string, fn: string): boolean {
  const v = (opts as Record<string, unknown> | undefined)?.[key] ?? false;
  if (typeof v !== 'boolean') throw new TypeError(`${fn}: options.${key} must be a boolean, got ${typeof v}`);
  return v;
}

function checkOpts(opts: unknown, fn: string): void {
  if (opts !== undefined && (typeof opts !== 'object' || opts === null))
    throw new TypeError(`${fn}: options must be an object, got ${opts === null ? 'null' : typeof opts}`);
}

/**
 * Packs the right operand of a matmul once, for reuse by many `matmul(a, packed)` calls
 * (a layer's weights at inference). `b` is a float32 [K, N] tensor ([N, K] with transposeB).
 * @example
 *   using w = packMatmulWeights(kernel);        // [K, N]
 *   const y = matmul(x, w);                      // x [M, K] -> [M, N]
 */
export function packMatmulWeights(b: Tensor, opts?: PackOptions): PackedMatrix {
  const fn = 'packMatmulWeights()';
  if (!(b instanceof Tensor)) throw new TypeError(`${fn}: b must be a Tensor, got ${b === null ? 'null' : typeof b}`);
  checkOpts(opts, fn);
  const tb = boolOpt(opts, 'transposeB', fn);
  b.assertAlive(`${fn}: b`);
  if (b.dtype !== 'float32') throw new TypeError(`${fn}: b must have dtype float32, got ${b.dtype}`);
  if (b.rank !== 2) throw new RangeError(`${fn}: b must be 2-D ([K, N], or [N, K] with transposeB), got shape [${b.shape.join(', ')}]`);
  const [r, c] = b.shape as [number, number];
  if (r === 0 || c === 0) throw new RangeError(`${fn}: b must not be empty, got shape [${r}, ${c}]`);
  const K = tb ? c : r, N = tb ? r : c;
  // f32() waits for queued (deferred) kernels that may still write b.
  const handle = native().gemmPack(tb, K, N, f32(b, `${fn}: b`), c);
  return new PackedMatrix(handle, K, N, native().gemmPackBytes(handle));
}

interface PackedPlan {
  ta: boolean;
  M: number;
  K: number;
  N: number;
  outShape: number[];
}

function plan(a: Tensor, p: PackedMatrix, opts: { transposeA?: boolean; transposeB?: boolean } | undefined, fn: string): PackedPlan {
  checkOpts(opts, fn);
  const ta = boolOpt(opts, 'transposeA', fn);
  if (boolOpt(opts, 'transposeB', fn))
    throw new TypeError(`${fn}: transposeB is fixed when the weights are packed; pass it to packMatmulWeights() instead`);
  if (a.dtype !== 'float32') throw new TypeError(`${fn}: a must have dtype float32, got ${a.dtype}`);
  const s = a.shape;
  if (s.length === 3 && ta)
    throw new RangeError(`${fn}: a batched a [B, K, M] with transposeA is not supported with a PackedMatrix; transpose it first`);
  if (s.length !== 2 && s.length !== 3)
    throw new RangeError(`${fn}: a must be 2-D or 3-D (batched), got shape [${s.join(', ')}]`);
  // A 3-D a [B, M, K] is one (B*M) x K product: every batch item meets the same weights.
  const rows = s.length === 3 ? s[0]! * s[1]! : ta ? s[1]! : s[0]!;
  const K = ta ? s[0]! : s[s.length - 1]!;
  if (K !== p.k)
    throw new RangeError(
      `${fn}: inner dimensions differ: a [${s.join(', ')}]${ta ? 'ᵀ' : ''} has K = ${K}, the PackedMatrix [${p.k}, ${p.n}] has K = ${p.k}`,
    );
  const outShape = s.length === 3 ? [s[0]!, s[1]!, p.n] : [rows, p.n];
  return { ta, M: rows, K, N: p.n, outShape };
}

/** @internal matmul(a, packed): called by matmul() when its right operand is a PackedMatrix. */
export function matmulPacked(a: Tensor, p: PackedMatrix, opts?: { transposeA?: boolean; transposeB?: boolean }): Tensor {
  const fn = 'matmul()';
  const pl = plan(a, p, opts, fn);
  return runOp('matMulPacked', [a], { transposeA: pl.ta }, () => {
    const handle = p.handle(`${fn}: b`);
    const out = allocTensor(pl.outShape);
    try {
      if (pl.M > 0)
        native().sgemmPacked(pl.ta, pl.M, 1, f32(a, 'a'), pl.ta ? pl.M : pl.K, handle, 0, f32(out), pl.N, null, 'none', 0);
    } catch (e) {
      out.dispose();
      throw e;
    }
    return out;
  });
}

/** @internal matmulAsync(a, packed). */
export function matmulPackedAsync(
  a: Tensor,
  p: PackedMatrix,
  opts?: { transposeA?: boolean; transposeB?: boolean } & AsyncOptions,
): Promise<Tensor> {
  const fn = 'matmulAsync()';
  let pl: PackedPlan;
  let handle: PackedHandle;
  try {
    pl = plan(a, p, opts, fn);
    handle = p.handle(`${fn}: b`);
  } catch (e) {
    return Promise.reject(e);
  }
  return runOpAsync('matMulPacked', [a], { transposeA: pl.ta }, () => {
    const out = allocTensor(pl.outShape);
    if (pl.M === 0) return Promise.resolve(out);
    return nativeAsync([a], out, (cell) =>
      native().sgemmPackedAsync(pl.ta, pl.M, 1, f32(a, 'a'), pl.ta ? pl.M : pl.K, handle, 0, f32(out), pl.N, null, 'none', 0, cell),
      opts);
  });
}
