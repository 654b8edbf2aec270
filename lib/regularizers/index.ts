/**
 * Weight regularizers (Keras semantics): penalty = l1·Σ|w| + l2·Σw². The penalty is an ordinary
 * differentiable expression, so it joins the loss on the tape (Model.regularizationLoss()).
 */
import type { Tensor } from '../tensor/index.js';
import * as K from '../layers/backend.js';

export class Regularizer {
  readonly className = 'L1L2';
  constructor(readonly l1 = 0, readonly l2 = 0) {
    if (!(l1 >= 0) || !(l2 >= 0)) throw new RangeError(`regularizer: l1 and l2 must be >= 0, got l1=${l1}, l2=${l2}`);
  }
  apply(w: Tensor): Tensor {
    let total: Tensor | null = null;
    if (this.l1 > 0) total = K.mulScalar(K.sumAll(K.abs(w)), this.l1);
    if (this.l2 > 0) {
      const p = K.mulScalar(K.sumAll(K.square(w)), this.l2);
      total = total ? K.add(total, p) : p;
    }
    return total ?? K.scalar(0);
  }
  getConfig(): Record<string, number> {
    return { l1: this.l1, l2: this.l2 };
  }
}

export const l1 = (args: { l1?: number } = {}): Regularizer => new Regularizer(args.l1 ?? 0.01, 0);
export const l2 = (args: { l2?: number } = {}): Regularizer => new Regularizer(0, args.l2 ?? 0.01);
export const l1l2 = (args: { l1?: number; l2?: number } = {}): Regularizer => new Regularizer(args.l1 ?? 0.01, args.l2 ?? 0.01);

export interface SerializedRegularizer {
  className: string;
  config: Record<string, unknown>;
}

/** Accepts a Regularizer, 'l1' | 'l2' | 'l1l2' (Keras defaults 0.01), or {className: 'L1'|'L2'|'L1L2', config}. */
export function getRegularizer(id: Regularizer | string | SerializedRegularizer | null | undefined, argName = 'regularizer'): Regularizer | null {
  if (id === undefined || id === null) return null;
  if (id instanceof Regularizer) return id;
  const name = (typeof id === 'string' ? id : id.className).replace(/_/g, '').toLowerCase();
  const cfg = (typeof id === 'string' ? {} : id.config) as { l1?: number; l2?: number };
  if (name === 'l1') return l1(cfg);
  if (name === 'l2') return l2(cfg);
  if (name === 'l1l2') return new Regularizer(cfg.l1 ?? 0, cfg.l2 ?? 0);
  throw new RangeError(`${argName}: unknown regularizer ${JSON.stringify(typeof id === 'string' ? id : id.className)}`);
}

export function serializeRegularizer(r: Regularizer | null): SerializedRegularizer | null {
  return r ? { className: r.className, config: r.getConfig() } : null;
}
