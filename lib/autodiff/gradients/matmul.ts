/**
 * C = op(A)·op(B):  dA = dC·op(B)ᵀ (transposed back if A was), dB = op(A)ᵀ·dC (likewise).
 *   no transposes:  dA = dC·Bᵀ,        dB = Aᵀ·dC
 *   A transposed:   dA = B·dCᵀ,        dB = A·dC
 *   B transposed:   dA = dC·B,         dB = dCᵀ·A
 *   both:           dA = Bᵀ·dCᵀ,       dB = dCᵀ·Aᵀ
 */
import * as K from '../../layers/backend.js';
import { registerGradient } from '../registry.js';

registerGradient('matMul', ([dy], { inputs: [a, b], attrs, needsGrad }) => {
  const tA = attrs['transposeA'] as boolean;
  const tB = attrs['transposeB'] as boolean;
  const g = dy!;
  let da = null;
  let db = null;
  if (needsGrad[0]) da = !tA ? K.matMul(g, b!, false, !tB) : K.matMul(b!, g, tB, true);
  if (needsGrad[1]) db = !tB ? K.matMul(a!, g, !tA, false) : K.matMul(g, a!, true, tA);
  return [da, db];
});
