/**
 * Optimizers with Keras 3 update rules. One native call (native/optim/optimizer.cc) applies
 * clipping, weight decay and the update to every parameter of a step; this class keeps the
 * hyper-parameters, the step counter, the learning-rate schedule and the per-parameter state
 * buffers (momenta, velocities, ...), created on first use like Keras's build().
 *
 * Defaults are Keras 3's: SGD(0.01), Adam/AdamW/Nadam/RMSprop/Adagrad/Adadelta(0.001),
 * epsilon 1e-7, AdamW weight_decay 0.004, Adagrad initial_accumulator_value 0.1, RMSprop rho 0.9,
 * Adadelta rho 0.95.
 */
import { native } from '../native/index.js';
import { LearningRateSchedule } from './schedules.js';
import type { NativeOptimizerConfig, OptimizerKind } from './native.js';
import './native.js';

export interface OptimizerArgs {
  learningRate?: number | LearningRateSchedule;
  /** Decoupled weight decay: var -= var * weightDecay * lr before each update (Keras 3). */
  weightDecay?: number;
  /** Clip each gradient tensor to this L2 norm (Keras clipnorm). */
  clipNorm?: number;
  /** Clip all gradients together to this global L2 norm (Keras global_clipnorm). */
  globalClipNorm?: number;
  /** Clamp every gradient element to [-clipValue, clipValue] (Keras clipvalue). */
  clipValue?: number;
  name?: string;
}

/** Anything identifying a parameter across steps (a LayerVariable, a Tensor, a string). */
export type ParamKey = object | string;

export interface OptimizerState {
  iterations: number;
  uProduct: number;
  /** Per parameter key, its state buffers in optimizer order. */
  slots: Map<ParamKey, Float32Array[]>;
}

function checkNumber(v: unknown, what: string, who: string, lo: number, hi = Infinity, loOpen = false): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v > hi || (loOpen && v === lo))
    throw new RangeError(`${who}: ${what} must be a number in ${loOpen ? '(' : '['}${lo}, ${hi}], got ${String(v)}`);
  return v;
}

export abstract class Optimizer {
  abstract readonly className: string;
  protected abstract readonly kind: OptimizerKind;
  readonly name: string;
  learningRate: number | LearningRateSchedule;
  readonly weightDecay: number;
  readonly clipNorm: number;
  readonly globalClipNorm: number;
  readonly clipValue: number;
  /** Steps applied so far (Keras `optimizer.iterations`). */
  iterations = 0;
  /** Nadam's running momentum product (1 before the first step). */
  protected uProduct = new Float64Array([1]);
  private slots = new Map<ParamKey, Float32Array[]>();

  constructor(defaultName: string, defaultLr: number, args: OptimizerArgs, defaultWeightDecay = 0) {
    this.name = args.name ?? defaultName;
    const lr = args.learningRate ?? defaultLr;
    if (!(lr instanceof LearningRateSchedule)) checkNumber(lr, 'learningRate', defaultName, 0);
    this.learningRate = lr;
    this.weightDecay = checkNumber(args.weightDecay ?? defaultWeightDecay, 'weightDecay', defaultName, 0);
    this.clipNorm = checkNumber(args.clipNorm ?? 0, 'clipNorm', defaultName, 0);
    this.globalClipNorm = checkNumber(args.globalClipNorm ?? 0, 'globalClipNorm', defaultName, 0);
    this.clipValue = checkNumber(args.clipValue ?? 0, 'clipValue', defaultName, 0);
    if ((this.clipNorm > 0 ? 1 : 0) + (this.globalClipNorm > 0 ? 1 : 0) + (this.clipValue > 0 ? 1 : 0) > 1)
      throw new RangeError(`${defaultName}: only one of clipNorm, globalClipNorm and clipValue may be set (as in Keras)`);
  }

  /** The learning rate the next step uses (the schedule evaluated at `iterations`). */
  currentLearningRate(): number {
    return this.learningRate instanceof LearningRateSchedule ? this.learningRate.call(this.iterations) : this.learningRate;
  }

  /** Sets a constant learning rate (callbacks such as ReduceLROnPlateau). */
  setLearningRate(lr: number): void {
    checkNumber(lr, 'learningRate', this.className, 0);
    this.learningRate = lr;
  }

  /** The kind-specific hyper-parameters. */
  protected abstract hyper(): Partial<NativeOptimizerConfig>;

  /** Initial value of each state buffer (0 unless overridden: Adagrad's accumulator). */
  protected initialState(_index: number): number {
    return 0;
  }

  nativeConfig(): NativeOptimizerConfig {
    return {
      kind: this.kind,
      learningRate: this.currentLearningRate(),
      weightDecay: this.weightDecay,
      clipNorm: this.clipNorm,
      globalClipNorm: this.globalClipNorm,
      clipValue: this.clipValue,
      ...this.hyper(),
    };
  }

  private stateFor(key: ParamKey, size: number, count: number): Float32Array[] {
    let s = this.slots.get(key);
    if (!s || s.length !== count || (count > 0 && s[0]!.length !== size)) {
      s = [];
      for (let j = 0; j < count; j++) {
        const a = new Float32Array(size);
        const init = this.initialState(j);
        if (init !== 0) a.fill(init);
        s.push(a);
      }
      this.slots.set(key, s);
    }
    return s;
  }

  /** Builds the arguments of one native step. */
  private prepare(keys: readonly ParamKey[], params: readonly Float32Array[], grads: readonly Float32Array[]) {
    if (keys.length !== params.length || grads.length !== params.length)
      throw new RangeError(`${this.className}: got ${keys.length} keys, ${params.length} parameters and ${grads.length} gradients`);
    const config = this.nativeConfig();
    const count = native().optimizerStateCount(config);
    const states: Float32Array[] = [];
    params.forEach((p, i) => {
      if (grads[i]!.length !== p.length)
        throw new RangeError(`${this.className}: gradient ${i} has ${grads[i]!.length} values, its parameter ${p.length}`);
      states.push(...this.stateFor(keys[i]!, p.length, count));
    });
    return { config, states };
  }

  /**
   * One step over all parameters: updates `params` in place from `grads` (not modified), then
   * increments `iterations`. `keys` identify the parameters across steps (their state buffers).
   */
  applyArrays(keys: readonly ParamKey[], params: Float32Array[], grads: Float32Array[]): void {
    const { config, states } = this.prepare(keys, params, grads);
    native().optimizerStep(config, params, grads, states, this.iterations, this.uProduct);
    this.iterations++;
  }

  /** The same step on the libuv pool (the arrays must stay untouched until it resolves). */
  async applyArraysAsync(keys: readonly ParamKey[], params: Float32Array[], grads: Float32Array[]): Promise<void> {
    const { config, states } = this.prepare(keys, params, grads);
    await native().optimizerStepAsync(config, params, grads, states, this.iterations, this.uProduct);
    this.iterations++;
  }

  /** A copy of the step counter and all state buffers (BackupAndRestore, checkpoints). */
  getState(): OptimizerState {
    const slots = new Map<ParamKey, Float32Array[]>();
    for (const [k, v] of this.slots) slots.set(k, v.map((a) => a.slice()));
    return { iterations: this.iterations, uProduct: this.uProduct[0]!, slots };
  }

  setState(s: OptimizerState): void {
    this.iterations = s.iterations;
    this.uProduct[0] = s.uProduct;
    this.slots = new Map();
    for (const [k, v] of s.slots) this.slots.set(k, v.map((a) => a.slice()));
  }

  /** Keras-style config (snake_case keys). */
  getConfig(): Record<string, unknown> {
    const lr = this.learningRate;
    return {
      name: this.name,
      learning_rate: lr instanceof LearningRateSchedule ? { class_name: lr.className, config: lr.getConfig() } : lr,
      weight_decay: this.weightDecay || null,
      clipnorm: this.clipNorm || null,
      global_clipnorm: this.globalClipNorm || null,
      clipvalue: this.clipValue || null,
      ...this.kerasHyper(),
    };
  }
  protected abstract kerasHyper(): Record<string, unknown>;
}

export interface SGDArgs extends OptimizerArgs {
  momentum?: number;
  nesterov?: boolean;
}
export class SGD extends Optimizer {
  readonly className = 'SGD';
  protected readonly kind = 'sgd';
  readonly momentum: number;
  readonly nesterov: boolean;
  constructor(args: SGDArgs = {}) {
    super('SGD', 0.01, args);
    this.momentum = checkNumber(args.momentum ?? 0, 'momentum', 'SGD', 0, 1);
    this.nesterov = args.nesterov ?? false;
  }
  protected hyper() {
    return { momentum: this.momentum, nesterov: this.nesterov };
  }
  protected kerasHyper() {
    return { momentum: this.momentum, nesterov: this.nesterov };
  }
}

export interface AdamArgs extends OptimizerArgs {
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  amsgrad?: boolean;
}
export class Adam extends Optimizer {
  readonly className: string = 'Adam';
  protected readonly kind: OptimizerKind = 'adam';
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly amsgrad: boolean;
  constructor(args: AdamArgs = {}, defaultName = 'Adam', defaultWeightDecay = 0) {
    super(defaultName, 0.001, args, defaultWeightDecay);
    this.beta1 = checkNumber(args.beta1 ?? 0.9, 'beta1', defaultName, 0, 0.999999999);
    this.beta2 = checkNumber(args.beta2 ?? 0.999, 'beta2', defaultName, 0, 0.999999999);
    this.epsilon = checkNumber(args.epsilon ?? 1e-7, 'epsilon', defaultName, 0);
    this.amsgrad = args.amsgrad ?? false;
  }
  protected hyper() {
    return { beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon, amsgrad: this.amsgrad };
  }
  protected kerasHyper() {
    return { beta_1: this.beta1, beta_2: this.beta2, epsilon: this.epsilon, amsgrad: this.amsgrad };
  }
}

/** Keras 3 AdamW: Adam with decoupled weight decay (default 0.004). */
export class AdamW extends Adam {
  override readonly className = 'AdamW';
  protected override readonly kind = 'adamw';
  constructor(args: AdamArgs = {}) {
    super(args, 'AdamW', 0.004);
  }
}

export interface RMSpropArgs extends OptimizerArgs {
  rho?: number;
  momentum?: number;
  epsilon?: number;
  centered?: boolean;
}
export class RMSprop extends Optimizer {
  readonly className = 'RMSprop';
  protected readonly kind = 'rmsprop';
  readonly rho: number;
  readonly momentum: number;
  readonly epsilon: number;
  readonly centered: boolean;
  constructor(args: RMSpropArgs = {}) {
    super('RMSprop', 0.001, args);
    this.rho = checkNumber(args.rho ?? 0.9, 'rho', 'RMSprop', 0, 1);
    this.momentum = checkNumber(args.momentum ?? 0, 'momentum', 'RMSprop', 0, 1);
    this.epsilon = checkNumber(args.epsilon ?? 1e-7, 'epsilon', 'RMSprop', 0);
    this.centered = args.centered ?? false;
  }
  protected hyper() {
    return { rho: this.rho, momentum: this.momentum, epsilon: this.epsilon, centered: this.centered };
  }
  protected kerasHyper() {
    return { rho: this.rho, momentum: this.momentum, epsilon: this.epsilon, centered: this.centered };
  }
}

export interface AdagradArgs extends OptimizerArgs {
  initialAccumulatorValue?: number;
  epsilon?: number;
}
export class Adagrad extends Optimizer {
  readonly className = 'Adagrad';
  protected readonly kind = 'adagrad';
  readonly initialAccumulatorValue: number;
  readonly epsilon: number;
  constructor(args: AdagradArgs = {}) {
    super('Adagrad', 0.001, args);
    this.initialAccumulatorValue = checkNumber(args.initialAccumulatorValue ?? 0.1, 'initialAccumulatorValue', 'Adagrad', 0);
    this.epsilon = checkNumber(args.epsilon ?? 1e-7, 'epsilon', 'Adagrad', 0);
  }
  protected override initialState(): number {
    return this.initialAccumulatorValue;
  }
  protected hyper() {
    return { epsilon: this.epsilon };
  }
  protected kerasHyper() {
    return { initial_accumulator_value: this.initialAccumulatorValue, epsilon: this.epsilon };
  }
}

export interface AdadeltaArgs extends OptimizerArgs {
  rho?: number;
  epsilon?: number;
}
export class Adadelta extends Optimizer {
  readonly className = 'Adadelta';
  protected readonly kind = 'adadelta';
  readonly rho: number;
  readonly epsilon: number;
  constructor(args: AdadeltaArgs = {}) {
    super('Adadelta', 0.001, args);
    this.rho = checkNumber(args.rho ?? 0.95, 'rho', 'Adadelta', 0, 1);
    this.epsilon = checkNumber(args.epsilon ?? 1e-7, 'epsilon', 'Adadelta', 0);
  }
  protected hyper() {
    return { rho: this.rho, epsilon: this.epsilon };
  }
  protected kerasHyper() {
    return { rho: this.rho, epsilon: this.epsilon };
  }
}

export class Nadam extends Optimizer {
  readonly className = 'Nadam';
  protected readonly kind = 'nadam';
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  constructor(args: Omit<AdamArgs, 'amsgrad'> = {}) {
    super('Nadam', 0.001, args);
    this.beta1 = checkNumber(args.beta1 ?? 0.9, 'beta1', 'Nadam', 0, 0.999999999);
    this.beta2 = checkNumber(args.beta2 ?? 0.999, 'beta2', 'Nadam', 0, 0.999999999);
    this.epsilon = checkNumber(args.epsilon ?? 1e-7, 'epsilon', 'Nadam', 0);
  }
  protected hyper() {
    return { beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon };
  }
  protected kerasHyper() {
    return { beta_1: this.beta1, beta_2: this.beta2, epsilon: this.epsilon };
  }
}

export type OptimizerIdentifier = string | Optimizer;

const BY_NAME: Record<string, () => Optimizer> = {
  sgd: () => new SGD(),
  adam: () => new Adam(),
  adamw: () => new AdamW(),
  rmsprop: () => new RMSprop(),
  adagrad: () => new Adagrad(),
  adadelta: () => new Adadelta(),
  nadam: () => new Nadam(),
};

/** An optimizer from a Keras/TF.js name ('adam', 'sgd', 'rmsprop', ...; any case) or an object. */
export function getOptimizer(id: OptimizerIdentifier): Optimizer {
  if (id instanceof Optimizer) return id;
  if (typeof id !== 'string') throw new TypeError(`optimizer must be a name or an Optimizer object, got ${typeof id}`);
  const f = BY_NAME[id.toLowerCase()];
  if (!f) throw new RangeError(`unknown optimizer '${id}'; known: ${Object.keys(BY_NAME).join(', ')}`);
  return f();
}

/** camelCase factories, as tf.train / keras.optimizers. */
export const optimizers = {
  sgd: (a?: SGDArgs) => new SGD(a),
  adam: (a?: AdamArgs) => new Adam(a),
  adamw: (a?: AdamArgs) => new AdamW(a),
  rmsprop: (a?: RMSpropArgs) => new RMSprop(a),
  adagrad: (a?: AdagradArgs) => new Adagrad(a),
  adadelta: (a?: AdadeltaArgs) => new Adadelta(a),
  nadam: (a?: Omit<AdamArgs, 'amsgrad'>) => new Nadam(a),
};
