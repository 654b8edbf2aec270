/**
 * The autodiff's native backward kernels (native/ops/grad_activation.cc via
 * native/binding/grad_binding.cc): activation derivatives and fused batch-norm training
 * forward/backward. Each goes through runOp so tapes and scopes see its outputs.
 */
import { runNativeOp } from '../engine/index.js';
import type { CancelCell } from '../native/binding.js';
import { native } from '../native/index.js';
import type { Tensor } from '../tensor/index.js';
import { allocTensor, f32 } from '../tensor/internal.js';

export type ActivationGradKind = 'relu' | 'relu6' | 'leakyRelu' | 'elu' | 'sigmoid' | 'tanh' | 'softplus' | 'swish' | 'clip';

declare module '../native/binding.js' {
  interface NativeBinding {
    activationGrad(kind: ActivationGradKind, input: Float32Array, dy: Float32Array, dx: Float32Array, alpha: number, beta: number): void;
    activationGradAsync(kind: ActivationGradKind, input: Float32Array, dy: Float32Array, dx: Float32Array, alpha: number, beta: number, cancel: CancelCell): Promise<void>;
    batchNormTrainForward(x: Float32Array, rows: number, c: number, gamma: Float32Array | null, beta: Float32Array | null, eps: number,
      y: Float32Array, mean: Float32Array, variance: Float32Array, invstd: Float32Array): void;
    batchNormTrainBackward(x: Float32Array, dy: Float32Array, rows: number, c: number, mean: Float32Array, invstd: Float32Array,
      gamma: Float32Array | null, dx: Float32Array | null, dgamma: Float32Array | null, dbeta: Float32Array | null): void;
  }
}

/**
 * dx = dy ⊙ f'(input) for an activation f; `input` is the op's input x, except for sigmoid and
 * tanh where it is the output y. clip passes where alpha ≤ x ≤ beta; leakyRelu/elu use alpha.
 */
export function activationGrad(kind: ActivationGradKind, input: Tensor, dy: Tensor, alpha = 0, beta = 0): Tensor {
  if (input.size !== dy.size) throw new RangeError(`activationGrad(${kind}): input has ${input.size} elements, dy has ${dy.size}`);
  return runNativeOp('ActivationGrad', [input, dy], { kind, alpha, beta }, () => {
    const dx = allocTensor(dy.shape);
    native().activationGrad(kind, f32(input), f32(dy), f32(dx), alpha, beta);
    return dx;
  });
}

/**
 * Training-mode batch norm over the last axis: returns [y, mean, variance, invstd] (statistics of
 * shape [C], variance biased). Recorded as one op 'BatchNormTrain' whose gradient is the fused
 * native backward.
 */
export function batchNormTrain(x: Tensor, gamma: Tensor | null, beta: Tensor | null, epsilon: number): [Tensor, Tensor, Tensor, Tensor] {
  const c = x.shape[x.shape.length - 1]!;
  const rows = x.size / c;
  const inputs = [x, ...(gamma ? [gamma] : []), ...(beta ? [beta] : [])];
  return runNativeOp('BatchNormTrain', inputs, { epsilon, hasGamma: gamma !== null, hasBeta: beta !== null }, () => {
    const y = allocTensor(x.shape);
    const mean = allocTensor([c]);
    const variance = allocTensor([c]);
    const invstd = allocTensor([c]);
    native().batchNormTrainForward(f32(x), rows, c, gamma ? f32(gamma) : null, beta ? f32(beta) : null, epsilon, f32(y), f32(mean), f32(variance), f32(invstd));
    return [y, mean, variance, invstd] as [Tensor, Tensor, Tensor, Tensor];
  });
}

/** [dx, dgamma, dbeta] of batchNormTrain (null where not requested). */
export function batchNormTrainGrad(x: Tensor, dy: Tensor, mean: Tensor, invstd: Tensor, gamma: Tensor | null,
  want: { dx: boolean; dgamma: boolean; dbeta: boolean }): [Tensor | null, Tensor | null, Tensor | null] {
  const c = x.shape[x.shape.length - 1]!;
  const rows = x.size / c;
  const outs = runNativeOp('BatchNormTrainGrad', [x, dy, mean, invstd, ...(gamma ? [gamma] : [])], {}, () => {
    const dx = want.dx ? allocTensor(x.shape) : null;
    const dg = want.dgamma ? allocTensor([c]) : null;
    const db = want.dbeta ? allocTensor([c]) : null;
    native().batchNormTrainBackward(f32(x), f32(dy), rows, c, f32(mean), f32(invstd), gamma ? f32(gamma) : null,
      dx ? f32(dx) : null, dg ? f32(dg) : null, db ? f32(db) : null);
    return [dx, dg, db].filter((t): t is Tensor => t !== null);
  });
  let k = 0;
  return [want.dx ? outs[k++]! : null, want.dgamma ? outs[k++]! : null, want.dbeta ? outs[k++]! : null];
}
