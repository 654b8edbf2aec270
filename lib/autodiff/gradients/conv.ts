/**
 * Convolution and pooling gradients, through the native backward kernels of the convolution
 * engine (lib/ops/conv.ts, pool.ts, pad.ts):
 *   y = act(conv(x, w) + b):      g = dy ⊙ act'(y),  dx = convBackpropInput(g, w),
 *                                 dw, db = convBackpropFilter(x, g) (db = Σ g)
 *   x' = convBackpropInput(g, w)  (the transposed convolution): dg = conv(dx', w),
 *                                 dw = convBackpropFilter(dx', g)
 *   pooling / global pooling:     dx = poolBackward(x, dy) / globalPoolBackward(x, dy)
 *   max pooling of a conv's ReLU output y: dx = relu'(y) ⊙ poolBackward(y, dy) in one pass, and
 *                                 the conv's gradient then skips relu'(y) for that dx
 *   zero padding:                 dx = the crop of dy
 * Backward passes use algorithm 'auto' whatever the forward was forced to (Winograd/FFT cannot
 * compute filter gradients).
 */
import type { Tensor } from '../../tensor/index.js';
import { convBackpropFilter, convBackpropInput, convForward, type DataFormat } from '../../ops/conv.js';
import { globalPoolBackward, poolBackward, type PoolKind } from '../../ops/pool.js';
import { type ZeroPadding, zeroPadBackward } from '../../ops/pad.js';
import { type GradientFn, registerGradient } from '../registry.js';
import { activationGrad, type ActivationGradKind } from '../native_grad.js';
import { convOpts } from './conv_opts.js';

/**
 * Gradients that already carry relu'(y) of the ReLU output y they flow into: a max pool over a
 * ReLU's output fuses the ReLU's gradient into its own (poolBackward with relu), and the op that
 * produced y then skips its activation gradient for exactly that tensor. Multiplying by relu'(y)
 * again would change nothing but cost a pass over y (LeNet-5's conv1: 64x28x28x6 floats); when y
 * has several consumers the tape sums their gradients into a new tensor, which is not in this map
 * and gets the activation gradient as usual.
 */
const reluGradApplied = new WeakMap<Tensor, Tensor>();

registerGradient('Conv', ([dy], { inputs, outputs, attrs, needsGrad }) => {
  const [x, w] = inputs as [Tensor, Tensor];
  const hasBias = attrs['hasBias'] as boolean;
  const act = attrs['activation'] as string;
  if (act === 'leakyRelu') throw new Error('gradient of a conv with a fused leakyRelu is not available (its slope is not recorded)');
  // relu/relu6/sigmoid/tanh derivatives are functions of the output y.
  const fused = act === 'relu' && reluGradApplied.get(dy!) === outputs[0];
  const g = act === 'none' || fused ? dy! : activationGrad(act as ActivationGradKind, outputs[0]!, dy!);
  const o = convOpts(attrs);
  const dx = needsGrad[0] ? convBackpropInput(g, w, x.shape, o).output : null;
  let dw: Tensor | null = null;
  let db: Tensor | null = null;
  if (needsGrad[1] || (hasBias && needsGrad[2])) {
    const r = convBackpropFilter(x, g, w.shape, { ...o, computeBias: hasBias && needsGrad[2] === true });
    dw = r.dFilter;
    db = r.dBias ?? null;
  }
  return hasBias ? [dx, dw, db] : [dx, dw];
});

registerGradient('ConvBackpropInput', ([dx], { inputs, attrs, needsGrad }) => {
  const [g, w] = inputs as [Tensor, Tensor];
  const o = convOpts(attrs);
  return [
    needsGrad[0] ? convForward(dx!, w, o).output : null,
    needsGrad[1] ? convBackpropFilter(dx!, g, w.shape, o).dFilter : null,
  ];
});

const pool = (kind: PoolKind): GradientFn => ([dy], ctx) => {
  const x = ctx.inputs[0]!;
  // Max pooling of a conv's fused ReLU output: the ReLU's gradient goes into the pool's pass.
  const p = kind === 'max' ? ctx.producer?.(x) : undefined;
  const relu = p !== undefined && p.name === 'Conv' && p.attrs['activation'] === 'relu';
  const dx = poolBackward(x, dy!, kind, {
    poolSize: ctx.attrs['poolSize'] as number[],
    strides: ctx.attrs['strides'] as number[],
    padding: ctx.attrs['padding'] as 'valid' | 'same',
    dataFormat: ctx.attrs['dataFormat'] as DataFormat,
  }, relu);
  if (relu) reluGradApplied.set(dx, x);
  return [dx];
};
registerGradient('MaxPool', pool('max'));
registerGradient('AvgPool', pool('avg'));

registerGradient('GlobalMaxPool', ([dy], { inputs, attrs }) => [globalPoolBackward(inputs[0]!, dy!, 'max', attrs['dataFormat'] as DataFormat)]);
registerGradient('GlobalAvgPool', ([dy], { inputs, attrs }) => [globalPoolBackward(inputs[0]!, dy!, 'avg', attrs['dataFormat'] as DataFormat)]);

registerGradient('ZeroPad', ([dy], { inputs, attrs }) => [
  zeroPadBackward(dy!, inputs[0]!.shape, attrs['padding'] as ZeroPadding, attrs['dataFormat'] as DataFormat),
]);
