/**
 * BatchNormalization (Ioffe & Szegedy 2015), Keras semantics:
 *   training:  y = γ·(x − μ_B)/√(σ²_B + ε) + β, μ_B, σ²_B the (biased) batch moments over every
 *              axis but `axis`; moving ← moving·momentum + batch·(1 − momentum).
 *   inference: the same with the moving mean/variance.
 * gamma/beta are trainable; moving mean/variance are non-trainable weights. A frozen layer
 * (trainable = false) always runs in inference mode, as in Keras ≥ 2.1.3.
 */
import type { Tensor } from '../tensor/index.js';
import type { Initializer, SerializedInitializer } from '../initializers/index.js';
import { getRegularizer, type Regularizer, serializeRegularizer, type SerializedRegularizer } from '../regularizers/index.js';
import { type CallArgs, Layer, type LayerArgs, type LayerConfig, type LayerInput, singleInput, singleShape } from './layer.js';
import { registerLayer } from './registry.js';
import type { Shape } from './shape.js';
import type { LayerVariable } from './variable.js';
import { initConfig } from './config_util.js';
import * as K from './backend.js';
import { batchNormTrain } from '../autodiff/native_grad.js';

export interface BatchNormalizationArgs extends LayerArgs {
  axis?: number;
  momentum?: number;
  epsilon?: number;
  center?: boolean;
  scale?: boolean;
  betaInitializer?: Initializer | string | SerializedInitializer;
  gammaInitializer?: Initializer | string | SerializedInitializer;
  movingMeanInitializer?: Initializer | string | SerializedInitializer;
  movingVarianceInitializer?: Initializer | string | SerializedInitializer;
  betaRegularizer?: Regularizer | string | SerializedRegularizer | null;
  gammaRegularizer?: Regularizer | string | SerializedRegularizer | null;
}

export class BatchNormalization extends Layer {
  static override readonly className: string = 'BatchNormalization';
  readonly axis: number;
  readonly momentum: number;
  readonly epsilon: number;
  readonly center: boolean;
  readonly scale: boolean;
  private readonly args: BatchNormalizationArgs;
  gamma: LayerVariable | null = null;
  beta: LayerVariable | null = null;
  movingMean: LayerVariable | null = null;
  movingVariance: LayerVariable | null = null;

  constructor(args: BatchNormalizationArgs = {}) {
    super(args);
    const who = `BatchNormalization '${this.name}'`;
    this.axis = args.axis ?? -1;
    if (!Number.isInteger(this.axis)) throw new RangeError(`${who}: axis must be an integer, got ${JSON.stringify(args.axis)}`);
    this.momentum = args.momentum ?? 0.99;
    if (!(this.momentum >= 0 && this.momentum <= 1)) throw new RangeError(`${who}: momentum must be in [0, 1], got ${args.momentum}`);
    this.epsilon = args.epsilon ?? 1e-3;
    if (!(this.epsilon > 0)) throw new RangeError(`${who}: epsilon must be > 0, got ${args.epsilon}`);
    this.center = args.center ?? true;
    this.scale = args.scale ?? true;
    this.args = args;
  }

  private resolveAxis(rank: number): number {
    const a = this.axis < 0 ? rank + this.axis : this.axis;
    if (a <= 0 || a >= rank) throw new RangeError(`axis ${this.axis} is out of range for an input of rank ${rank} (the batch axis cannot be normalised)`);
    return a;
  }

  override build(inputShape: Shape | Shape[]): void {
    const s = singleShape(this, inputShape);
    const a = this.resolveAxis(s.length);
    const c = s[a];
    if (c === null || c === undefined) throw new RangeError(`axis ${this.axis}: the normalised dimension must be known`);
    if (this.scale) {
      this.gamma = this.addWeight('gamma', [c], this.args.gammaInitializer, {
        defaultInitializer: 'ones', regularizer: getRegularizer(this.args.gammaRegularizer, 'gammaRegularizer'),
      });
    }
    if (this.center) {
      this.beta = this.addWeight('beta', [c], this.args.betaInitializer, {
        defaultInitializer: 'zeros', regularizer: getRegularizer(this.args.betaRegularizer, 'betaRegularizer'),
      });
    }
    this.movingMean = this.addWeight('moving_mean', [c], this.args.movingMeanInitializer, { defaultInitializer: 'zeros', trainable: false });
    this.movingVariance = this.addWeight('moving_variance', [c], this.args.movingVarianceInitializer, { defaultInitializer: 'ones', trainable: false });
    super.build(inputShape);
  }

  override call(inputs: LayerInput, kwargs: CallArgs): Tensor {
    const x = singleInput(inputs);
    const rank = x.shape.length;
    const a = this.resolveAxis(rank);
    const c = this.movingMean!.shape[0]!;
    if (x.shape[a] !== c) throw new RangeError(`expected dimension ${a} of the input to be ${c}, got ${x.shape[a]}`);
    const bshape = x.shape.map((d, i) => (i === a ? d : 1));
    const asB = (t: Tensor): Tensor => (a === rank - 1 ? t : K.reshape(t, bshape));
    const reduceAxes = x.shape.map((_, i) => i).filter((i) => i !== a);
    let y: Tensor;
    if (kwargs.training && this.trainable && a === rank - 1) {
      // Channels-last: one fused native op forward and backward.
      const [out, mean, variance] = batchNormTrain(x, this.gamma?.read() ?? null, this.beta?.read() ?? null, this.epsilon);
      K.withoutTape(() => {
        const m = this.momentum;
        this.movingMean!.assignOwned(K.add(K.mulScalar(this.movingMean!.read(), m), K.mulScalar(mean, 1 - m)));
        this.movingVariance!.assignOwned(K.add(K.mulScalar(this.movingVariance!.read(), m), K.mulScalar(variance, 1 - m)));
      });
      return out;
    }
    if (kwargs.training && this.trainable) {
      const mean = K.mean(x, reduceAxes, true);
      const xc = K.sub(x, mean);
      const variance = K.mean(K.square(xc), reduceAxes, true);
      y = K.mul(xc, K.rsqrt(K.addScalar(variance, this.epsilon)));
      K.withoutTape(() => {
        const m = this.momentum;
        const newMean = K.add(K.mulScalar(this.movingMean!.read(), m), K.mulScalar(K.reshape(mean, [c]), 1 - m));
        const newVar = K.add(K.mulScalar(this.movingVariance!.read(), m), K.mulScalar(K.reshape(variance, [c]), 1 - m));
        this.movingMean!.assignOwned(newMean);
        this.movingVariance!.assignOwned(newVar);
      });
    } else {
      // Inference: one per-channel affine map y = x·scale + shift, with scale = γ/√(σ² + ε) and
      // shift = β − μ·scale computed on the [C] vectors (two passes over x instead of four).
      let scale = K.rsqrt(K.addScalar(this.movingVariance!.read(), this.epsilon));
      if (this.gamma) scale = K.mul(scale, this.gamma.read());
      let shift = K.neg(K.mul(this.movingMean!.read(), scale));
      if (this.beta) shift = K.add(shift, this.beta.read());
      return K.add(K.mul(x, asB(scale)), asB(shift));
    }
    if (this.gamma) y = K.mul(y, asB(this.gamma.read()));
    if (this.beta) y = K.add(y, asB(this.beta.read()));
    return y;
  }

  override getConfig(): LayerConfig {
    return {
      ...super.getConfig(),
      axis: this.axis,
      momentum: this.momentum,
      epsilon: this.epsilon,
      center: this.center,
      scale: this.scale,
      ...initConfig(this.args, ['betaInitializer', 'zeros'], ['gammaInitializer', 'ones'], ['movingMeanInitializer', 'zeros'], ['movingVarianceInitializer', 'ones']),
      betaRegularizer: serializeRegularizer(getRegularizer(this.args.betaRegularizer)),
      gammaRegularizer: serializeRegularizer(getRegularizer(this.args.gammaRegularizer)),
    };
  }
}
registerLayer(BatchNormalization);
