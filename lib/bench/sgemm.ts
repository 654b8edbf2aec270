// sgemm cases: C[M,N] = A[M,K] · B[K,N], float32 row-major, alpha = 1, beta = 0 (cases.json's
// definition), through the same native call matmul() makes, on preallocated arrays in the library's
// tensor storage (TensorStorage in cases.ts: 64-byte aligned, as every Tensor is).
// With CONVKIT_BENCH_PREPACKED=1, a second line per case, peer 'convkit-prepacked', times
// matmul(a, packMatmulWeights(b))'s native call: B packed once in set-up (as inference weights
// are), each run packs nothing of B. Opt-in, so the default output keeps one line per case.
import { native } from '../native/index.js';
import { sgemmLeanDesc, type GemmActivation } from '../ops/matmul.js'; // also the sgemm binding's typings
import '../ops/matmul_packed.js'; // the gemmPack / sgemmPacked typings

import { intParam, randomFloat32, TensorStorage, type BenchCase } from './cases.js';
import { registerKind, type PreparedCase } from './registry.js';

const NONE: GemmActivation = 'none';

export function setupSgemm(c: BenchCase): PreparedCase | PreparedCase[] {
  const M = intParam(c, 'M'), N = intParam(c, 'N'), K = intParam(c, 'K');
  const store = new TensorStorage();
  const a = store.copy(randomFloat32(M * K, 1));
  const b = store.copy(randomFloat32(K * N, 2));
  const out = store.zeros(M * N);
  const n = native();
  const check = (): void => {
      // One element against a double dot product: catches a wrong layout or an unrun kernel.
      const i = M - 1, j = N - 1;
      let s = 0;
      for (let k = 0; k < K; k++) s += a[i * K + k]! * b[k * N + j]!;
      if (!(Math.abs(out[i * N + j]! - s) <= 1e-4 * Math.max(1, Math.abs(s))))
        throw new Error(`sgemm check failed at C[${i},${j}]: ${out[i * N + j]} vs ${s}`);
  };
  const free = (): void => store.free();
  // matmul()'s 2-D call (sgemmLean; the descriptor is refilled per call, as matmul does).
  const plain: PreparedCase = { run: () => n.sgemmLean(a, b, out, sgemmLeanDesc(false, false, M, N, K, K, N, N)), check };
  if (process.env['CONVKIT_BENCH_PREPACKED'] !== '1') return { ...plain, dispose: free };
  const packed = n.gemmPack(false, K, N, b, N);
  const prepacked: PreparedCase = {
    peer: 'convkit-prepacked',
    run: () => n.sgemmPacked(false, M, 1, a, K, packed, 0, out, N, null, NONE, 0),
    check,
    dispose: () => {
      n.gemmPackDispose(packed);
      free();
    },
  };
  return [plain, prepacked];
}

registerKind('sgemm', setupSgemm);
