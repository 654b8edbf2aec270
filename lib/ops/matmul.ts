// matmul: C = op(A) · op(B) over float32 tensors, on the native SGEMM (native/gemm).
//
//   2-D:  [M, K] x [K, N] -> [M, N]            (op = transpose when transposeA / transposeB)
//   3-D:  [B, M, K] x [B, K, N] -> [B, M, N]   one product per batch item; a batch of 1 (or a
//         2-D operand) is broadcast over the other's batch with stride 0, no copy.
import { runNativeOp, runOpAsync } from '../engine/index.js';
import type { CancelCell } from '../native/binding.js';
import { native } from '../native/index.js';
import { allocTensor, f32 } from '../tensor/internal.js';
import type { Tensor } from '../tensor/tensor.js';
import { nativeAsync, type AsyncOptions } from './async.js';
import { matmulPacked, matmulPackedAsync, PackedMatrix } from './matmul_packed.js';

/** The fused epilogue the native SGEMM applies to C while it is in registers. */
export type GemmActivation = 'none' | 'relu' | 'relu6' | 'sigmoid' | 'tanh' | 'leakyRelu';

declare module '../native/binding.js' {
  interface NativeBinding {
    sgemm(
      transA: boolean, transB: boolean, M: number, N: number, K: number, alpha: number,
      a: Float32Array, lda: number, b: Float32Array, ldb: number, beta: number, c: Float32Array, ldc: number,
      bias: Float32Array | null, activation: GemmActivation, leakyAlpha: number,
    ): void;
    sgemmAsync(
      transA: boolean, transB: boolean, M: number, N: number, K: number, alpha: number,
      a: Float32Array, lda: number, b: Float32Array, ldb: number, beta: number, c: Float32Array, ldc: number,
      bias: Float32Array | null, activation: GemmActivation, leakyAlpha: number, cancel: CancelCell,
    ): Promise<void>;
    /** C = op(A)·op(B), alpha 1, beta 0, no epilogue; desc = [flags (1 transA, 2 transB), M, N, K, lda, ldb, ldc]. */
    sgemmLean(a: Float32Array, b: Float32Array, c: Float32Array, desc: Int32Array): void;
    sgemmBatched(
      transA: boolean, transB: boolean, M: number, N: number, K: number, batch: number, alpha: number,
      a: Float32Array, lda: number, strideA: number, b: Float32Array, ldb: number, strideB: number,
      beta: number, c: Float32Array, ldc: number, strideC: number,
      bias: Float32Array | null, activation: GemmActivation, leakyAlpha: number,
    ): void;
    sgemmBatchedAsync(
      transA: boolean, transB: boolean, M: number, N: number, K: number, batch: number, alpha: number,
      a: Float32Array, lda: number, strideA: number, b: Float32Array, ldb: number, strideB: number,
      beta: number, c: Float32Array, ldc: number, strideC: number,
      bias: Float32Array | null, activation: GemmActivation, leakyAlpha: number, cancel: CancelCell,
    ): Promise<void>;
  }
}

export interface MatmulOptions {
  /** Use Aᵀ: a is [K, M] (or [B, K, M]). */
  transposeA?: boolean;
  /** Use Bᵀ: b is [N, K] (or [B, N, K]). */
  transposeB?: boolean;
}

interface Plan {
  batch: number;
  M: number;
  N: number;
  K: number;
  ta: boolean;
  tb: boolean;
  strideA: number;
  strideB: number;
  outShape: number[];
}

function fmt(s: readonly number[]): string {
  return `[${s.join(', ')}]`;
}

function plan(a: Tensor, b: Tensor, opts: MatmulOptions | undefined): Plan {
  if (opts !== undefined && (typeof opts !== 'object' || opts === null))
    throw new TypeError(`matmul(): options must be an object, got ${typeof opts}`);
  const ta = opts?.transposeA ?? false;
  const tb = opts?.transposeB ?? false;
  if (typeof ta !== 'boolean') throw new TypeError(`matmul(): options.transposeA must be a boolean, got ${typeof ta}`);
  if (typeof tb !== 'boolean') throw new TypeError(`matmul(): options.transposeB must be a boolean, got ${typeof tb}`);
  for (const [t, name] of [[a, 'a'], [b, 'b']] as const) {
    if (t.dtype !== 'float32') throw new TypeError(`matmul(): ${name} must have dtype float32, got ${t.dtype}`);
    if (t.rank !== 2 && t.rank !== 3)
      throw new RangeError(`matmul(): ${name} must be 2-D or 3-D (batched), got shape ${fmt(t.shape)}`);
  }
  const as = a.shape, bs = b.shape;
  const ar = as.length - 2, br = bs.length - 2;
  const M = ta ? as[ar + 1]! : as[ar]!;
  const Ka = ta ? as[ar]! : as[ar + 1]!;
  const Kb = tb ? bs[br + 1]! : bs[br]!;
  const N = tb ? bs[br]! : bs[br + 1]!;
  if (Ka !== Kb)
    throw new RangeError(
      `matmul(): inner dimensions differ: a ${fmt(as)}${ta ? 'ᵀ' : ''} has K = ${Ka}, b ${fmt(bs)}${tb ? 'ᵀ' : ''} has K = ${Kb}`,
    );
  const ba = ar === 1 ? as[0]! : 1;
  const bb = br === 1 ? bs[0]! : 1;
  if (ba !== bb && ba !== 1 && bb !== 1)
    throw new RangeError(`matmul(): batch dimensions ${ba} (a) and ${bb} (b) differ and neither is 1`);
  const batch = Math.max(ba, bb);
  const batched = ar === 1 || br === 1;
  return {
    batch,
    M,
    N,
    K: Ka,
    ta,
    tb,
    strideA: ba === 1 ? 0 : M * Ka,
    strideB: bb === 1 ? 0 : Ka * N,
    outShape: batched ? [batch, M, N] : [M, N],
  };
}

// Op names for the engine/autodiff: 2-D products record as 'matMul' (the name whose gradient
// lib/autodiff/gradients/matmul.ts registers, same attrs); batched ones as 'batchMatMul'.
function opName(p: Plan): string {
  return p.outShape.length === 2 ? 'matMul' : 'batchMatMul';
}

function attrs(p: Plan): { transposeA: boolean; transposeB: boolean } {
  return { transposeA: p.ta, transposeB: p.tb };
}

/**
 * Matrix product of float32 tensors: `op(a) · op(b)`, 2-D or batched 3-D (a batch of 1 broadcasts).
 * `b` may be a PackedMatrix (packMatmulWeights): then a is [M, K] ([K, M] with transposeA) or
 * [B, M, K], and the transpose of b was fixed when it was packed.
 * @example
 *   const c = matmul(tensor([[1, 2], [3, 4]]), tensor([[5], [6]])); // [[17], [39]]
 */
export function matmul(a: Tensor, b: Tensor | PackedMatrix, opts?: MatmulOptions): Tensor {
  if (b instanceof PackedMatrix) return matmulPacked(a, b, opts);
  const p = plan(a, b, opts);
  return runNativeOp(opName(p), [a, b], attrs(p), () => {
    const out = allocTensor(p.outShape);
    try {
      launchSync(p, f32(a, 'a'), f32(b, 'b'), f32(out));
    } catch (e) {
      out.dispose();
      throw e;
    }
    return out;
  });
}

/** matmul on the libuv thread pool; `opts.signal` aborts it between K blocks. */
export function matmulAsync(a: Tensor, b: Tensor | PackedMatrix, opts?: MatmulOptions & AsyncOptions): Promise<Tensor> {
  if (b instanceof PackedMatrix) return matmulPackedAsync(a, b, opts);
  let p: Plan;
  try {
    p = plan(a, b, opts);
  } catch (e) {
    return Promise.reject(e);
  }
  return runOpAsync(opName(p), [a, b], attrs(p), () => {
    const out = allocTensor(p.outShape);
    return nativeAsync([a, b], out, (cell) => launchAsync(p, f32(a, 'a'), f32(b, 'b'), f32(out), cell), opts);
  });
}

function lds(p: Plan): { lda: number; ldb: number } {
  return { lda: p.ta ? p.M : p.K, ldb: p.tb ? p.K : p.N };
}

// The sizes of a 2-D product for sgemmLean, filled per call (no allocation): a 64^3 product takes
// ~3 us, and sgemm's 16 arguments cost ~0.4 us of it (see native/binding/gemm_binding.cc).
const leanDesc = new Int32Array(7);

/** Writes a 2-D product's sizes into the shared descriptor and returns it (for sgemmLean). */
export function sgemmLeanDesc(ta: boolean, tb: boolean, M: number, N: number, K: number,
  lda: number, ldb: number, ldc: number): Int32Array {
  const d = leanDesc;
  d[0] = (ta ? 1 : 0) | (tb ? 2 : 0);
  d[1] = M;
  d[2] = N;
  d[3] = K;
  d[4] = lda;
  d[5] = ldb;
  d[6] = ldc;
  return d;
}

function launchSync(p: Plan, a: Float32Array, b: Float32Array, c: Float32Array): void {
  const { lda, ldb } = lds(p);
  if (p.batch === 1) {
    native().sgemmLean(a, b, c, sgemmLeanDesc(p.ta, p.tb, p.M, p.N, p.K, lda, ldb, p.N));
  } else {
    native().sgemmBatched(p.ta, p.tb, p.M, p.N, p.K, p.batch, 1, a, lda, p.strideA, b, ldb, p.strideB, 0, c, p.N,
      p.M * p.N, null, 'none', 0);
  }
}

function launchAsync(p: Plan, a: Float32Array, b: Float32Array, c: Float32Array, cell: CancelCell): Promise<void> {
  const { lda, ldb } = lds(p);
  if (p.batch === 1) return native().sgemmAsync(p.ta, p.tb, p.M, p.N, p.K, 1, a, lda, b, ldb, 0, c, p.N, null, 'none', 0, cell);
  return native().sgemmBatchedAsync(p.ta, p.tb, p.M, p.N, p.K, p.batch, 1, a, lda, p.strideA, b, ldb, p.strideB, 0, c,
    p.N, p.M * p.N, null, 'none', 0, cell);
}
