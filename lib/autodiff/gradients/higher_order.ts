/**
 * Gradients of the backward ops themselves (what a gradient function records when the tape runs
 * under another tape: double backward, gradient penalties, Hessian-vector products).
 *
 * Linear backward ops are differentiated through their adjoint, which is the forward op:
 *   ZeroPadGrad (a crop)           ↔ ZeroPad
 *   bilinearAdjoint                ↔ upsampleBilinear2d
 *   AvgPoolGrad(x, dy) (in dy)     ↔ AvgPool;   GlobalAvgPoolGrad ↔ GlobalAvgPool
 *   (their outputs do not depend on x's values, so the x-gradient is zero)
 * ConvBackpropFilter(x, dy) = dW is bilinear: ⟨ddW, dW(x, dy)⟩ = ⟨dy, conv(x, ddW)⟩
 *   = ⟨convBackpropInput(dy, ddW), x⟩, so d/dx = convBackpropInput(dy, ddW) and
 *   d/d(dy) = conv(x, ddW) (+ ddb broadcast for the bias sum Σ dy).
 * ActivationGrad(in, dy) = dy ⊙ f'(in): d/d(dy) = dd ⊙ f'(in) (the same kernel), and
 *   d/d(in) = dd ⊙ dy ⊙ ∂f'(in)/∂in, with f' written in terms of `in`:
 *     relu, relu6, leakyRelu, clip: f' is piecewise constant → 0 almost everywhere
 *     elu (in = x):      f'' = α·eˣ for x ≤ 0, 0 for x > 0
 *     sigmoid (in = y):  f' = y(1 − y)          → 1 − 2y
 *     tanh (in = y):     f' = 1 − y²            → −2y
 *     softplus (in = x): f' = σ(x)              → σ(1 − σ)
 *     swish (in = x):    f' = σ + xσ(1 − σ)     → σ(1 − σ)(2 + x(1 − 2σ))
 * MaxPoolGrad / GlobalMaxPoolGrad (in dy) ↔ maxPoolGather (g at each window's argmax).
 * The remaining backward ops have no gradient here and say so (registry: noGradient).
 */
import type { Tensor } from '../../tensor/index.js';
import * as K from '../../layers/backend.js';
import { convBackpropInput, convForward, type DataFormat } from '../../ops/conv.js';
import { globalPool, pool, poolBackward } from '../../ops/pool.js';
import { type ZeroPadding, zeroPad } from '../../ops/pad.js';
import { registerGradient, registerNoGradient } from '../registry.js';
import { activationGrad, type ActivationGradKind } from '../native_grad.js';
import { convOpts } from './conv_opts.js';

registerGradient('ZeroPadGrad', ([dd], { attrs }) => [zeroPad(dd!, attrs['padding'] as ZeroPadding, attrs['dataFormat'] as DataFormat)]);

registerGradient('bilinearAdjoint', ([dd], { attrs }) => [K.upsampleBilinear2d(dd!, attrs['size'] as number[])]);

registerGradient('AvgPoolGrad', ([dd], { attrs, needsGrad }) => [
  null,
  needsGrad[1]
    ? pool(dd!, 'avg', {
      poolSize: attrs['poolSize'] as number[],
      strides: attrs['strides'] as number[],
      padding: attrs['padding'] as 'valid' | 'same',
      dataFormat: attrs['dataFormat'] as DataFormat,
    })
    : null,
]);

registerGradient('GlobalAvgPoolGrad', ([dd], { attrs, needsGrad }) => [
  null,
  needsGrad[1] ? globalPool(dd!, 'avg', attrs['dataFormat'] as DataFormat) : null,
]);

registerGradient('ConvBackpropFilter', ([ddw, ddb], { inputs, attrs, needsGrad }) => {
  const [x, dy] = inputs as [Tensor, Tensor];
  const o = convOpts(attrs);
  let dx: Tensor | null = null;
  let ddy: Tensor | null = null;
  if (ddw && needsGrad[0]) dx = convBackpropInput(dy, ddw, x.shape, o).output;
  if (needsGrad[1]) {
    if (ddw) ddy = convForward(x, ddw, o).output;
    if (ddb) {
      // Σ over every axis but the channel one: its adjoint broadcasts ddb back along them.
      const cf = (attrs['dataFormat'] as DataFormat) === 'channelsFirst';
      const shape = dy.shape.map((d, i) => ((cf ? i === 1 : i === dy.shape.length - 1) ? d : 1));
      const b = K.broadcastTo(K.reshape(ddb, shape), dy.shape);
      ddy = ddy ? K.add(ddy, b) : b;
    }
  }
  return [dx, ddy];
});

/** ∂f'(in)/∂in for the smooth activations (see the table above); null where it is 0. */
function secondDerivative(kind: ActivationGradKind, input: Tensor, alpha: number): Tensor | null {
  switch (kind) {
    case 'relu':
    case 'relu6':
    case 'leakyRelu':
    case 'clip':
      return null;
    case 'elu': {
      const negMask = K.addScalar(K.neg(K.stepMask(input)), 1); // 1 where x ≤ 0
      return K.mul(negMask, K.mulScalar(K.exp(K.minScalar(input, 0)), alpha));
    }
    case 'sigmoid':
      return K.addScalar(K.mulScalar(input, -2), 1);
    case 'tanh':
      return K.mulScalar(input, -2);
    case 'softplus': {
      const s = K.sigmoid(input);
      return K.mul(s, K.addScalar(K.neg(s), 1));
    }
    case 'swish': {
      const s = K.sigmoid(input);
      const ds = K.mul(s, K.addScalar(K.neg(s), 1));
      return K.mul(ds, K.addScalar(K.mul(input, K.addScalar(K.mulScalar(s, -2), 1)), 2));
    }
  }
}

registerGradient('ActivationGrad', ([dd], { inputs, attrs, needsGrad }) => {
  const [input, dy] = inputs as [Tensor, Tensor];
  const kind = attrs['kind'] as ActivationGradKind;
  const alpha = attrs['alpha'] as number;
  let dIn: Tensor | null = null;
  if (needsGrad[0]) {
    const f2 = secondDerivative(kind, input, alpha);
    dIn = f2 ? K.mul(K.mul(dd!, dy), f2) : null;
  }
  const dDy = needsGrad[1] ? activationGrad(kind, input, dd!, alpha, attrs['beta'] as number) : null;
  return [dIn, dDy];
});

// MaxPoolGrad(x, dy) routes each dy to its window's (first) argmax: linear in dy, piecewise
// constant in x. Its adjoint in dy gathers the incoming gradient at those argmaxes (maxPoolGather),
// whose own adjoint is MaxPoolGrad again. Channels-first runs through channels-last transposes.
const toCL = (t: Tensor, cf: boolean): Tensor => (cf ? K.toChannelsLast(t) : t);
const toCF = (t: Tensor, cf: boolean): Tensor => (cf ? K.toChannelsFirst(t) : t);

// With the fused ReLU gradient (attr relu) the op is relu'(x) ⊙ MaxPoolGrad(x, dy): the adjoint
// applies relu'(x) to the incoming gradient first.
registerGradient('MaxPoolGrad', ([dd], { inputs, attrs, needsGrad }) => {
  if (!needsGrad[1]) return [null, null];
  const cf = attrs['dataFormat'] === 'channelsFirst';
  const ps = attrs['poolSize'] as number[];
  const st = attrs['strides'] as number[];
  const g = attrs['relu'] === true ? activationGrad('relu', inputs[0]!, dd!) : dd!;
  return [null, toCF(K.maxPoolGather(toCL(inputs[0]!, cf), toCL(g, cf), ps, st, attrs['padding'] as 'valid' | 'same'), cf)];
});

registerGradient('GlobalMaxPoolGrad', ([dd], { inputs, attrs, needsGrad }) => {
  if (!needsGrad[1]) return [null, null];
  const x = toCL(inputs[0]!, attrs['dataFormat'] === 'channelsFirst');
  const g = toCL(dd!, attrs['dataFormat'] === 'channelsFirst');
  const sp = x.shape.slice(1, -1);
  const y = K.maxPoolGather(x, g, sp, sp, 'valid'); // [N, 1, ..., 1, C]
  return [null, K.reshape(y, [x.shape[0]!, x.shape[x.shape.length - 1]!])];
});

registerGradient('maxPoolGather', ([dd], { inputs, attrs, needsGrad }) => {
  if (!needsGrad[1]) return [null, null];
  const ps = attrs['poolSize'] as number[];
  return [null, poolBackward(inputs[0]!, dd!, 'max', { poolSize: ps, strides: attrs['strides'] as number[], padding: attrs['padding'] as 'valid' | 'same' })];
});

registerNoGradient('BatchNormTrainGrad', 'the second derivative of training-mode batch normalization is not implemented');
registerNoGradient('trainingLossGrad', 'it is the loss gradient precomputed by the loss op (losses are differentiated once)');
