// Raw-binding twin of lib/ops/reference.ts for helpers that run on dist/ (which does not export
// the reference ops): a long-running async native call.
import { createRequire } from 'node:module';
import { join } from 'node:path';
const require = createRequire(import.meta.url);
const root = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..', '..');
const b = require('node-gyp-build')(root);

export async function referenceMatMulAsync(a, c) {
  const [M, K] = a.shape;
  const N = c.shape[1];
  const out = new Float32Array(M * N);
  await b.referenceMatmulAsync(false, false, M, N, K, a.dataSync(), c.dataSync(), out, undefined);
  return out;
}
