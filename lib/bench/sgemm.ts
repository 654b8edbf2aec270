// sgemm cases: C[M,N] = A[M,K] · B[K,N], float32 row-major, alpha = 1, beta = 0 (cases.json's
// definition), through the same native call matmul() makes, on preallocated Float32Arrays.
import { native } from '../native/index.js';
import type { GemmActivation } from '../ops/matmul.js'; // brings in the sgemm binding's typings

import { intParam, randomFloat32, type BenchCase } from './cases.js';
import { registerKind, type PreparedCase } from './registry.js';

const NONE: GemmActivation = 'none';

export function setupSgemm(c: BenchCase): PreparedCase {
  const M = intParam(c, 'M'), N = intParam(c, 'N'), K = intParam(c, 'K');
  const a = randomFloat32(M * K, 1);
  const b = randomFloat32(K * N, 2);
  const out = new Float32Array(M * N);
  const n = native();
  return {
    run: () => n.sgemm(false, false, M, N, K, 1, a, K, b, N, 0, out, N, null, NONE, 0),
    check: () => {
      // One element against a double dot product: catches a wrong layout or an unrun kernel.
      const i = M - 1, j = N - 1;
      let s = 0;
      for (let k = 0; k < K; k++) s += a[i * K + k]! * b[k * N + j]!;
      if (!(Math.abs(out[i * N + j]! - s) <= 1e-4 * Math.max(1, Math.abs(s))))
        throw new Error(`sgemm check failed at C[${i},${j}]: ${out[i * N + j]} vs ${s}`);
    },
  };
}

registerKind('sgemm', setupSgemm);
