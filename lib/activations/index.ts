/**
 * Activation functions by Keras name. Each is built from differentiable primitive ops, so the
 * tape differentiates them without per-activation gradient code (except where a fused op exists).
 * Names accept TF.js camelCase and Keras snake_case ('hardSigmoid' / 'hard_sigmoid').
 */
import type { Tensor } from '../tensor/index.js';
import * as K from '../layers/backend.js';

export type ActivationIdentifier =
  | 'linear' | 'relu' | 'relu6' | 'sigmoid' | 'hardSigmoid' | 'tanh' | 'softmax' | 'logSoftmax' | 'elu' | 'selu'
  | 'gelu' | 'swish' | 'silu' | 'softplus' | 'softsign' | 'exponential' | 'mish';

export interface Activation {
  readonly name: ActivationIdentifier;
  apply(x: Tensor): Tensor;
}

/** SELU constants (Klambauer et al. 2017). */
export const SELU_ALPHA = 1.6732632423543772;
export const SELU_SCALE = 1.0507009873554805;

/** elu(x) = x for x > 0, alpha·(exp(x) − 1) otherwise (native op). */
export function elu(x: Tensor, alpha = 1): Tensor {
  return K.elu(x, alpha);
}

/** softplus(x) = log(1 + e^x) (native op, computed stably). */
export function softplus(x: Tensor): Tensor {
  return K.softplus(x);
}

/**
 * erf by Abramowitz & Stegun 7.1.26 (|error| ≤ 1.5e-7, below float32 resolution of gelu's output):
 * erf(x) = sign(x)·(1 − (a1 t + a2 t² + … + a5 t⁵)·e^{−x²}), t = 1/(1 + p|x|).
 */
export function erf(x: Tensor): Tensor {
  const p = 0.3275911;
  const a = [0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429];
  const ax = K.abs(x);
  const t = K.reciprocal(K.addScalar(K.mulScalar(ax, p), 1));
  let poly = K.mulScalar(t, a[4]!);
  for (let i = 3; i >= 0; i--) poly = K.mul(K.addScalar(poly, a[i]!), t);
  const y = K.addScalar(K.neg(K.mul(poly, K.exp(K.neg(K.square(ax))))), 1);
  return K.mul(K.sign(x), y);
}

const fns: Record<ActivationIdentifier, (x: Tensor) => Tensor> = {
  linear: (x) => x,
  relu: (x) => K.relu(x),
  relu6: (x) => K.relu6(x),
  sigmoid: (x) => K.sigmoid(x),
  // Keras 3: hard_sigmoid(x) = relu6(x + 3) / 6 = clip(x/6 + 1/2, 0, 1).
  hardSigmoid: (x) => K.clip(K.addScalar(K.mulScalar(x, 1 / 6), 0.5), 0, 1),
  tanh: (x) => K.tanh(x),
  softmax: (x) => K.softmax(x, -1),
  logSoftmax: (x) => K.logSoftmax(x, -1),
  elu: (x) => elu(x, 1),
  selu: (x) => K.mulScalar(elu(x, SELU_ALPHA), SELU_SCALE),
  // gelu(x) = x·Φ(x) = x·(1 + erf(x/√2))/2 (Keras default approximate=False).
  gelu: (x) => K.mul(x, K.mulScalar(K.addScalar(erf(K.mulScalar(x, Math.SQRT1_2)), 1), 0.5)),
  swish: (x) => K.swish(x),
  silu: (x) => K.swish(x),
  softplus: (x) => softplus(x),
  softsign: (x) => K.div(x, K.addScalar(K.abs(x), 1)),
  exponential: (x) => K.exp(x),
  mish: (x) => K.mul(x, K.tanh(softplus(x))),
};

const aliases: Record<string, ActivationIdentifier> = {};
for (const k of Object.keys(fns) as ActivationIdentifier[]) {
  aliases[k.toLowerCase()] = k;
}

/** Looks up an activation by TF.js or Keras name; `null`/`undefined` means linear. */
export function getActivation(id: ActivationIdentifier | string | Activation | null | undefined, argName = 'activation'): Activation {
  if (id === null || id === undefined) return { name: 'linear', apply: fns.linear };
  if (typeof id === 'object') return id;
  const key = aliases[id.replace(/_/g, '').toLowerCase()];
  if (!key) {
    throw new RangeError(`${argName}: unknown activation ${JSON.stringify(id)}; known: ${Object.keys(fns).join(', ')}`);
  }
  return { name: key, apply: fns[key] };
}

export function activationNames(): ActivationIdentifier[] {
  return Object.keys(fns) as ActivationIdentifier[];
}

/** Functional forms: `activations.relu(x)`. */
export const relu = fns.relu;
export const relu6 = fns.relu6;
export const sigmoid = fns.sigmoid;
export const hardSigmoid = fns.hardSigmoid;
export const tanh = fns.tanh;
export const selu = fns.selu;
export const gelu = fns.gelu;
export const swish = fns.swish;
export const silu = fns.silu;
export const softsign = fns.softsign;
export const mish = fns.mish;
export function softmax(x: Tensor, axis = -1): Tensor {
  return K.softmax(x, axis);
}
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  return K.logSoftmax(x, axis);
}
