/**
 * Learning-rate schedules (keras/src/optimizers/schedules/learning_rate_schedule.py): a function
 * of the optimizer's step counter (`iterations`, 0 at the first step), evaluated once per step.
 */
export abstract class LearningRateSchedule {
  abstract readonly className: string;
  /** The learning rate at `step` (the optimizer's iterations before the update). */
  abstract call(step: number): number;
  abstract getConfig(): Record<string, unknown>;
}

function positive(v: unknown, what: string, who: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new RangeError(`${who}: ${what} must be a finite number > 0, got ${String(v)}`);
  return v;
}
function finite(v: unknown, what: string, who: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new RangeError(`${who}: ${what} must be a finite number, got ${String(v)}`);
  return v;
}

export interface ExponentialDecayArgs {
  initialLearningRate: number;
  decaySteps: number;
  decayRate: number;
  staircase?: boolean;
}

/** lr = initial * decayRate ^ (step / decaySteps), the exponent floored when staircase. */
export class ExponentialDecay extends LearningRateSchedule {
  readonly className = 'ExponentialDecay';
  constructor(readonly args: ExponentialDecayArgs) {
    super();
    finite(args.initialLearningRate, 'initialLearningRate', this.className);
    positive(args.decaySteps, 'decaySteps', this.className);
    finite(args.decayRate, 'decayRate', this.className);
  }
  call(step: number): number {
    let p = step / this.args.decaySteps;
    if (this.args.staircase) p = Math.floor(p);
    return this.args.initialLearningRate * Math.pow(this.args.decayRate, p);
  }
  getConfig(): Record<string, unknown> {
    const a = this.args;
    return { initial_learning_rate: a.initialLearningRate, decay_steps: a.decaySteps, decay_rate: a.decayRate, staircase: a.staircase ?? false };
  }
}

/**
 * Keras PiecewiseConstantDecay (the step schedule): values[0] while step <= boundaries[0],
 * values[i] while boundaries[i-1] < step <= boundaries[i], the last value after.
 */
export class PiecewiseConstantDecay extends LearningRateSchedule {
  readonly className = 'PiecewiseConstantDecay';
  constructor(
    readonly boundaries: readonly number[],
    readonly values: readonly number[],
  ) {
    super();
    if (!Array.isArray(boundaries) || !Array.isArray(values) || values.length !== boundaries.length + 1)
      throw new RangeError(`${this.className}: values must have one more entry than boundaries, got ${values?.length} and ${boundaries?.length}`);
    boundaries.forEach((b, i) => {
      finite(b, `boundaries[${i}]`, this.className);
      if (i > 0 && b <= boundaries[i - 1]!) throw new RangeError(`${this.className}: boundaries must increase`);
    });
    values.forEach((v, i) => finite(v, `values[${i}]`, this.className));
  }
  call(step: number): number {
    for (let i = 0; i < this.boundaries.length; i++) if (step <= this.boundaries[i]!) return this.values[i]!;
    return this.values[this.values.length - 1]!;
  }
  getConfig(): Record<string, unknown> {
    return { boundaries: [...this.boundaries], values: [...this.values] };
  }
}

/**
 * A step schedule by epochs' worth of steps: lr = initial * factor ^ floor(step / stepSize)
 * (ExponentialDecay with staircase; kept as its own name because people look for it).
 */
export function stepDecay(initialLearningRate: number, stepSize: number, factor: number): ExponentialDecay {
  return new ExponentialDecay({ initialLearningRate, decaySteps: stepSize, decayRate: factor, staircase: true });
}

export interface CosineDecayArgs {
  initialLearningRate: number;
  decaySteps: number;
  /** Floor of the decay as a fraction of the start rate. */
  alpha?: number;
  /** Linear warmup from initialLearningRate to warmupTarget over warmupSteps, then decay from it. */
  warmupTarget?: number | null;
  warmupSteps?: number;
}

/**
 * Keras CosineDecay (with optional linear warmup):
 *   decayed(step) = from * ((1 - alpha) * 0.5 * (1 + cos(pi * min(step, decaySteps) / decaySteps)) + alpha)
 * without warmup from = initialLearningRate; with warmup, for step < warmupSteps
 *   lr = initial + (warmupTarget - initial) * step / warmupSteps,
 * then the decay runs from warmupTarget over step - warmupSteps.
 */
export class CosineDecay extends LearningRateSchedule {
  readonly className = 'CosineDecay';
  constructor(readonly args: CosineDecayArgs) {
    super();
    finite(args.initialLearningRate, 'initialLearningRate', this.className);
    positive(args.decaySteps, 'decaySteps', this.className);
    if (args.warmupSteps !== undefined && (typeof args.warmupSteps !== 'number' || args.warmupSteps < 0))
      throw new RangeError(`${this.className}: warmupSteps must be >= 0`);
  }
  call(step: number): number {
    const a = this.args;
    const alpha = a.alpha ?? 0;
    const decay = (s: number, from: number): number => {
      const frac = Math.min(s, a.decaySteps) / a.decaySteps;
      return from * ((1 - alpha) * 0.5 * (1 + Math.cos(Math.PI * frac)) + alpha);
    };
    if (a.warmupTarget === undefined || a.warmupTarget === null) return decay(step, a.initialLearningRate);
    const ws = a.warmupSteps ?? 0;
    const s = Math.min(step, a.decaySteps + ws);
    if (s < ws) return (a.warmupTarget - a.initialLearningRate) * (s / ws) + a.initialLearningRate;
    return decay(s - ws, a.warmupTarget);
  }
  getConfig(): Record<string, unknown> {
    const a = this.args;
    return {
      initial_learning_rate: a.initialLearningRate,
      decay_steps: a.decaySteps,
      alpha: a.alpha ?? 0,
      warmup_target: a.warmupTarget ?? null,
      warmup_steps: a.warmupSteps ?? 0,
    };
  }
}

/** Keras InverseTimeDecay: initial / (1 + decayRate * step / decaySteps) (floored when staircase). */
export class InverseTimeDecay extends LearningRateSchedule {
  readonly className = 'InverseTimeDecay';
  constructor(readonly args: ExponentialDecayArgs) {
    super();
    positive(args.decaySteps, 'decaySteps', this.className);
  }
  call(step: number): number {
    let p = step / this.args.decaySteps;
    if (this.args.staircase) p = Math.floor(p);
    return this.args.initialLearningRate / (1 + this.args.decayRate * p);
  }
  getConfig(): Record<string, unknown> {
    const a = this.args;
    return { initial_learning_rate: a.initialLearningRate, decay_steps: a.decaySteps, decay_rate: a.decayRate, staircase: a.staircase ?? false };
  }
}

export const schedules = {
  exponentialDecay: (a: ExponentialDecayArgs) => new ExponentialDecay(a),
  piecewiseConstantDecay: (boundaries: number[], values: number[]) => new PiecewiseConstantDecay(boundaries, values),
  stepDecay,
  cosineDecay: (a: CosineDecayArgs) => new CosineDecay(a),
  inverseTimeDecay: (a: ExponentialDecayArgs) => new InverseTimeDecay(a),
};
