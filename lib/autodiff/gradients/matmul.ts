/**
 * C = op(A)·op(B):  dA = dC·op(B)ᵀ (transposed back if A was), dB = op(A)ᵀ·dC (likewise).
 *   no transposes:  dA = dC·Bᵀ,        dB = Aᵀ·dC
 *   A transposed:   dA = B·dCᵀ,        dB = A·dC
 *   B transposed:   dA = dC·B,         dB = dCᵀ·A
 *   both:           dA = Bᵀ·dCᵀ,       dB = dCᵀ·Aᵀ
 */
import * as K from '../../layers/backend.js';
import { registerGradient } from '../registry.js';

const matmulGrad: Parameters<typeof registerGradient>[1] = ([dy], { inputs: [a, b], attrs, needsGrad }) => {
  const tA = attrs['transposeA'] as boolean;
  const tB = attrs['transposeB'] as boolean;
  const g = dy!;
  let da = null;
  let db = null;
  if (needsGrad[0]) da = !tA ? K.matMul(g, b!, false, !tB) : K.matMul(b!, g, tB, true);
  if (needsGrad[1]) db = !tB ? K.matMul(a!, g, !tA, false) : K.matMul(g, a!, true, tA);
  // Batched with a broadcast batch of 1: sum the per-batch gradients back.
  if (da && da.shape.length === 3 && a!.shape.length === 3 && a!.shape[0] === 1 && da.shape[0] !== 1) da = K.sum(da, [0], true);
  if (db && db.shape.length === 3 && b!.shape.length === 3 && b!.shape[0] === 1 && db.shape[0] !== 1) db = K.sum(db, [0], true);
  return [da, db];
};
registerGradient('matMul', matmulGrad);
registerGradient('batchMatMul', matmulGrad);
