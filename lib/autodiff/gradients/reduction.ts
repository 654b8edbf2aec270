/** Gradients of reductions: sum/mean broadcast dy back; max/min route it to the extremal entries (ties share). */
import * as K from '../../layers/backend.js';
import { registerGradient } from '../registry.js';
import { expandReduced, reduceToShape } from './util.js';

registerGradient('sum', ([dy], { inputs: [x], attrs }) => [expandReduced(dy!, x!.shape, attrs['axes'] as number[])]);

registerGradient('mean', ([dy], { inputs: [x], attrs }) => {
  const axes = attrs['axes'] as number[];
  const n = axes.reduce((p, a) => p * x!.shape[a]!, 1);
  return [K.mulScalar(expandReduced(dy!, x!.shape, axes), 1 / Math.max(n, 1))];
});

const extremal = ([dy]: readonly (import('../../tensor/index.js').Tensor | null)[], ctx: import('../registry.js').GradientContext) => {
  const x = ctx.inputs[0]!;
  const axes = ctx.attrs['axes'] as number[];
  const yb = expandReduced(ctx.outputs[0]!, x.shape, axes);
  const mask = K.equalMask(x, yb);
  const keepShape = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const count = K.broadcastTo(K.sum(mask, axes, true), x.shape);
  return [K.div(K.mul(mask, expandReduced(dy!, x.shape, axes)), count)].map((g) => (keepShape.length ? g : g));
};
registerGradient('max', extremal);
registerGradient('min', extremal);

// broadcastTo's adjoint sums the broadcast axes.
registerGradient('broadcastTo', ([dy], { inputs: [x] }) => [reduceToShape(dy!, x!.shape)]);
