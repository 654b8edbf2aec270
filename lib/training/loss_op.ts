/**
 * A loss as one op on the autodiff tape. Its forward computes the loss value and, in the same
 * pass, d loss / d yPred (lib/training/losses.ts: fused native cross-entropy, JS loops for the
 * rest); the registered gradient 'trainingLoss' just scales that array by the incoming dy. So a
 * loss costs one pass and adds no elementwise ops to the tape.
 */
import { runOp, withoutRecording } from '../engine/index.js';
import type { Tensor } from '../tensor/index.js';
import { f32, viewOf } from '../tensor/internal.js';
import { registerGradient } from '../autodiff/registry.js';
import { isTaping } from '../autodiff/scope.js';
import * as K from '../layers/backend.js';
import { type Loss } from './losses.js';

export interface LossOpCapture {
  /** Copy of the prediction values (for metrics), filled by lossOp. */
  pred?: Float32Array;
  predShape?: readonly number[];
  /** Loss per row, before weighting. */
  perRow?: Float32Array;
}

/** loss(yTrue, yPred) as a scalar Tensor differentiable with respect to yPred. */
export function lossOp(loss: Loss, yTrue: Tensor, yPred: Tensor, sampleWeight: Float32Array | null = null, capture?: LossOpCapture): Tensor {
  const pred = f32(yPred, `${loss.className}: yPred`);
  const yt = viewOf(yTrue, `${loss.className}: yTrue`);
  const withGrad = isTaping();
  const out = loss.compute(yt, yTrue.shape, pred, yPred.shape, { sampleWeight, withGrad });
  if (capture) {
    capture.pred = pred.slice();
    capture.predShape = [...yPred.shape];
    capture.perRow = out.perRow;
  }
  const grad = out.grad ? withoutRecording(() => K.fromValues(out.grad!, [...yPred.shape])) : null;
  return runOp('trainingLoss', [yPred], { grad, loss: loss.name }, () => K.scalar(out.value));
}

registerGradient('trainingLoss', (dys, ctx) => {
  const g = ctx.attrs['grad'] as Tensor | null;
  const dy = dys[0];
  if (!g || !dy) return [null];
  const s = f32(dy)[0]!;
  if (s !== 1) {
    const v = f32(g);
    for (let i = 0; i < v.length; i++) v[i] = v[i]! * s;
  }
  // The precomputed gradient belongs to this op: hand it to the tape through runOp, so the tape
  // sees it as created by this gradient function and takes ownership (no copy, nothing leaked).
  return [runOp('trainingLossGrad', [], {}, () => g)];
});
