/** Helpers shared by gradient functions. */
import type { Tensor } from '../../tensor/index.js';
import * as K from '../../layers/backend.js';

/**
 * Sums a broadcast gradient back to `shape`: over leading axes the operand lacked and over axes
 * where it had size 1 (the adjoint of numpy broadcasting).
 */
export function reduceToShape(g: Tensor, shape: readonly number[]): Tensor {
  if (g.shape.length === shape.length && g.shape.every((d, i) => d === shape[i])) return g;
  const lead = g.shape.length - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < g.shape.length; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  }
  const s = axes.length ? K.sum(g, axes, true) : g;
  return K.reshape(s, shape);
}

/** dy of a reduction, reshaped to keepDims form and broadcast to the input shape. */
export function expandReduced(dy: Tensor, inputShape: readonly number[], axes: readonly number[]): Tensor {
  const keepShape = inputShape.map((d, i) => (axes.includes(i) ? 1 : d));
  return K.broadcastTo(K.reshape(dy, keepShape), inputShape);
}
