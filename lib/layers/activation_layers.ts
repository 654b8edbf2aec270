/**
 * Activation layers: Activation(name), ReLU(maxValue, negativeSlope, threshold), LeakyReLU(alpha),
 * PReLU (learned slopes), ELU(alpha), Softmax(axis), and RReLU (randomised leaky ReLU, Xu et al.
 * 2015: slope ~ U(lower, upper) per element in training, (lower + upper)/2 at inference).
 */
import type { Tensor } from '../tensor/index.js';
import { type Activation as ActivationFn, type ActivationIdentifier, elu, getActivation } from '../activations/index.js';
import { checkSeed, type Initializer, type SerializedInitializer } from '../initializers/index.js';
import { globalRng, Rng } from '../random/index.js';
import { type CallArgs, Layer, type LayerArgs, type LayerConfig, type LayerInput, singleInput, singleShape } from './layer.js';
import { registerLayer } from './registry.js';
import type { Shape } from './shape.js';
import type { LayerVariable } from './variable.js';
import { initConfig } from './config_util.js';
import * as K from './backend.js';

export class Activation extends Layer {
  static override readonly className: string = 'Activation';
  readonly activation: ActivationFn;
  constructor(args: LayerArgs & { activation: ActivationIdentifier }) {
    super(args);
    this.activation = getActivation(args?.activation ?? null, `Activation '${this.name}': activation`);
    if (args?.activation === undefined) throw new RangeError(`Activation '${this.name}': activation is required`);
  }
  override call(inputs: LayerInput, _kwargs: CallArgs): Tensor {
    return this.activation.apply(singleInput(inputs));
  }
  override getConfig(): LayerConfig {
    return { ...super.getConfig(), activation: this.activation.name };
  }
}

export interface ReLUArgs extends LayerArgs {
  maxValue?: number | null;
  negativeSlope?: number;
  threshold?: number;
}

/** ReLU(x) = min(x, maxValue) for x ≥ threshold, negativeSlope·(x − threshold) otherwise. */
export class ReLU extends Layer {
  static override readonly className: string = 'ReLU';
  readonly maxValue: number | null;
  readonly negativeSlope: number;
  readonly threshold: number;
  constructor(args: ReLUArgs = {}) {
    super(args);
    const who = `ReLU '${this.name}'`;
    this.maxValue = args.maxValue ?? null;
    if (this.maxValue !== null && !(this.maxValue >= 0)) throw new RangeError(`${who}: maxValue must be >= 0, got ${args.maxValue}`);
    this.negativeSlope = args.negativeSlope ?? 0;
    if (!(this.negativeSlope >= 0)) throw new RangeError(`${who}: negativeSlope must be >= 0, got ${args.negativeSlope}`);
    this.threshold = args.threshold ?? 0;
    if (!Number.isFinite(this.threshold)) throw new RangeError(`${who}: threshold must be finite, got ${args.threshold}`);
  }
  override call(inputs: LayerInput, _kwargs: CallArgs): Tensor {
    const x = singleInput(inputs);
    let y: Tensor;
    if (this.threshold === 0 && this.negativeSlope === 0) y = K.relu(x);
    else {
      const shifted = this.threshold === 0 ? x : K.addScalar(x, -this.threshold);
      // Above the threshold the identity on x (not x − threshold), below it the slope on x − threshold.
      const pos = K.mul(x, K.stepMask(shifted));
      y = this.negativeSlope === 0 ? pos : K.add(pos, K.mulScalar(K.minScalar(shifted, 0), this.negativeSlope));
    }
    return this.maxValue === null ? y : K.minScalar(y, this.maxValue);
  }
  override getConfig(): LayerConfig {
    return { ...super.getConfig(), maxValue: this.maxValue, negativeSlope: this.negativeSlope, threshold: this.threshold };
  }
}

/** LeakyReLU(x) = x for x > 0, alpha·x otherwise = relu(x) + alpha·min(x, 0). TF.js default alpha 0.3. */
export class LeakyReLU extends Layer {
  static override readonly className: string = 'LeakyReLU';
  readonly alpha: number;
  constructor(args: LayerArgs & { alpha?: number; negativeSlope?: number } = {}) {
    super(args);
    this.alpha = args.alpha ?? args.negativeSlope ?? 0.3;
    if (!Number.isFinite(this.alpha)) throw new RangeError(`LeakyReLU '${this.name}': alpha must be finite, got ${this.alpha}`);
  }
  override call(inputs: LayerInput, _kwargs: CallArgs): Tensor {
    const x = singleInput(inputs);
    return K.leakyRelu(x, this.alpha);
  }
  override getConfig(): LayerConfig {
    return { ...super.getConfig(), alpha: this.alpha };
  }
}

export interface PReLUArgs extends LayerArgs {
  alphaInitializer?: Initializer | string | SerializedInitializer;
  /** Axes along which the slope is shared (Keras shared_axes, 1-based incl. batch). */
  sharedAxes?: number[] | null;
}

/** PReLU (He et al. 2015): y = relu(x) + α·min(x, 0) with α learned per element of the input shape. */
export class PReLU extends Layer {
  static override readonly className: string = 'PReLU';
  readonly sharedAxes: number[] | null;
  private readonly args: PReLUArgs;
  alpha: LayerVariable | null = null;
  constructor(args: PReLUArgs = {}) {
    super(args);
    this.sharedAxes = args.sharedAxes ? [...args.sharedAxes] : null;
    this.args = args;
  }
  override build(inputShape: Shape | Shape[]): void {
    const s = singleShape(this, inputShape);
    const pshape = s.slice(1).map((d, i) => {
      if (this.sharedAxes?.includes(i + 1)) return 1;
      if (d === null) throw new RangeError(`dimension ${i + 1} must be known (or listed in sharedAxes)`);
      return d;
    });
    this.alpha = this.addWeight('alpha', pshape, this.args.alphaInitializer, { defaultInitializer: 'zeros' });
    super.build(inputShape);
  }
  override call(inputs: LayerInput, _kwargs: CallArgs): Tensor {
    const x = singleInput(inputs);
    return K.add(K.relu(x), K.mul(K.minScalar(x, 0), this.alpha!.read()));
  }
  override getConfig(): LayerConfig {
    return { ...super.getConfig(), sharedAxes: this.sharedAxes, ...initConfig(this.args, ['alphaInitializer', 'zeros']) };
  }
}

export class ELU extends Layer {
  static override readonly className: string = 'ELU';
  readonly alpha: number;
  constructor(args: LayerArgs & { alpha?: number } = {}) {
    super(args);
    this.alpha = args.alpha ?? 1;
    if (!Number.isFinite(this.alpha)) throw new RangeError(`ELU '${this.name}': alpha must be finite, got ${this.alpha}`);
  }
  override call(inputs: LayerInput, _kwargs: CallArgs): Tensor {
    return elu(singleInput(inputs), this.alpha);
  }
  override getConfig(): LayerConfig {
    return { ...super.getConfig(), alpha: this.alpha };
  }
}

export class Softmax extends Layer {
  static override readonly className: string = 'Softmax';
  readonly axis: number;
  constructor(args: LayerArgs & { axis?: number } = {}) {
    super(args);
    this.axis = args.axis ?? -1;
  }
  override call(inputs: LayerInput, _kwargs: CallArgs): Tensor {
    return K.softmax(singleInput(inputs), this.axis);
  }
  override getConfig(): LayerConfig {
    return { ...super.getConfig(), axis: this.axis };
  }
}

export interface RReLUArgs extends LayerArgs {
  lower?: number;
  upper?: number;
  /** The layer then draws its slopes from its own generator (as Dropout's seed). */
  seed?: number | null;
}

/**
 * RReLU: y = x for x ≥ 0, a·x otherwise, a ~ U(lower, upper) drawn per element in training and
 * a = (lower + upper)/2 at inference (PyTorch defaults lower 1/8, upper 1/3).
 */
export class RReLU extends Layer {
  static override readonly className: string = 'RReLU';
  readonly lower: number;
  readonly upper: number;
  readonly seed: number | null;
  private readonly ownRng: Rng | null;
  constructor(args: RReLUArgs = {}) {
    super(args);
    this.seed = checkSeed(args.seed, `RReLU '${this.name}'`);
    this.ownRng = this.seed === null ? null : new Rng(this.seed);
    this.lower = args.lower ?? 1 / 8;
    this.upper = args.upper ?? 1 / 3;
    if (!(this.lower >= 0 && this.upper >= this.lower)) {
      throw new RangeError(`RReLU '${this.name}': need 0 <= lower <= upper, got lower=${args.lower}, upper=${args.upper}`);
    }
  }
  override call(inputs: LayerInput, kwargs: CallArgs): Tensor {
    const x = singleInput(inputs);
    const neg = K.minScalar(x, 0);
    if (!kwargs.training) return K.add(K.relu(x), K.mulScalar(neg, (this.lower + this.upper) / 2));
    const slopes = K.withoutTape(() => K.randomUniformTensor([...x.shape], this.lower, this.upper, this.ownRng ?? globalRng()));
    return K.add(K.relu(x), K.mul(neg, slopes));
  }
  override getConfig(): LayerConfig {
    return { ...super.getConfig(), lower: this.lower, upper: this.upper, seed: this.seed };
  }
}

for (const c of [Activation, ReLU, LeakyReLU, PReLU, ELU, Softmax, RReLU]) registerLayer(c);
