/**
 * A file's training configuration ↔ convkit's compile(), like Keras's load_model(compile=True):
 * - read: legacy `.h5` `training_config` (`optimizer_config`, Keras 2.0 … 3.x), `.keras` `compile_config`
 *   (`optimizer` as an object, or a bare name like "adam" in Keras 2.15), TF.js `training_config`
 *   (class names such as "Custom>Adam"). The model comes back compiled only when EVERY part maps onto
 *   convkit exactly (known optimizer and hyper-parameters, known loss and metrics); otherwise it is
 *   loaded uncompiled and the reasons are reported, never thrown (inference must not depend on it).
 * - write: the compiled optimizer / loss / metrics as Keras 3 writes `compile_config` and Keras 2
 *   writes `training_config`.
 * Anchors: keras/src/trainers/trainer.py (get_compile_config / compile_from_config),
 * keras/src/optimizers/base_optimizer.py (get_config), keras 2 legacy optimizers (`lr`, `decay`).
 */
import type { Model } from '../models/model.js';
import type { CompileArgs } from '../training/model_training.js';
// compile() lives on Model once lib/training's model_training is loaded; a loader that restores compile needs it.
import '../training/model_training.js';
import { Adadelta, Adagrad, Adam, AdamW, Nadam, Optimizer, RMSprop, SGD, type OptimizerArgs } from '../training/optimizers.js';
import {
  BinaryCrossentropy, CategoricalCrossentropy, Hinge, Huber, KLDivergence, Loss, MeanAbsoluteError, MeanSquaredError,
  SparseCategoricalCrossentropy, getLoss, toSnake, type Reduction,
} from '../training/losses.js';
import { Metric, getMetric, type MetricIdentifier } from '../training/metrics.js';
import { CosineDecay, ExponentialDecay, InverseTimeDecay, LearningRateSchedule, PiecewiseConstantDecay } from '../training/schedules.js';
import type { NCompile } from './keras_format/neutral.js';
import type { JsonObject, JsonValue } from './keras_format/types.js';

export interface CompileRestore {
  /** Arguments for model.compile(), or null when the configuration is not standard. */
  args: CompileArgs | null;
  /** Why it was not restored, or what was left out (metrics of outputs other than the first). */
  notes: string[];
}

const isObj = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: JsonValue | undefined): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** {class_name, config} of a Keras serialized object (module/registered_name ignored), or a bare name. */
function classAndConfig(v: JsonValue): { className: string; config: JsonObject } | null {
  if (typeof v === 'string') return { className: v, config: {} };
  if (isObj(v) && typeof v.class_name === 'string') return { className: v.class_name, config: isObj(v.config) ? v.config : {} };
  return null;
}

// ---- learning rate ------------------------------------------------------------------------------

function schedule(v: JsonValue, problems: string[]): LearningRateSchedule | null {
  const cc = classAndConfig(v);
  if (!cc) {
    problems.push(`learning_rate ${JSON.stringify(v)} is neither a number nor a schedule`);
    return null;
  }
  const c = cc.config;
  try {
    switch (cc.className) {
      case 'ExponentialDecay':
        return new ExponentialDecay({ initialLearningRate: c.initial_learning_rate as number, decaySteps: c.decay_steps as number, decayRate: c.decay_rate as number, staircase: c.staircase === true });
      case 'InverseTimeDecay':
        return new InverseTimeDecay({ initialLearningRate: c.initial_learning_rate as number, decaySteps: c.decay_steps as number, decayRate: c.decay_rate as number, staircase: c.staircase === true });
      case 'PiecewiseConstantDecay':
        return new PiecewiseConstantDecay(c.boundaries as number[], c.values as number[]);
      case 'CosineDecay':
        return new CosineDecay({
          initialLearningRate: c.initial_learning_rate as number,
          decaySteps: c.decay_steps as number,
          alpha: num(c.alpha) ?? 0,
          ...(num(c.warmup_target) !== undefined ? { warmupTarget: num(c.warmup_target)! } : {}),
          warmupSteps: num(c.warmup_steps) ?? 0,
        });
      default:
        problems.push(`learning-rate schedule ${cc.className} is not supported (ExponentialDecay, InverseTimeDecay, PiecewiseConstantDecay, CosineDecay are)`);
        return null;
    }
  } catch (e) {
    problems.push(`learning-rate schedule ${cc.className}: ${(e as Error).message}`);
    return null;
  }
}

// ---- optimizer ----------------------------------------------------------------------------------

/** Keys every Keras optimizer config may carry that are harmless at these values. */
function harmless(k: string, v: JsonValue): boolean {
  if (['name', 'jit_compile', 'is_legacy_optimizer', 'ema_momentum', 'ema_overwrite_frequency', 'mesh', 'autocast'].includes(k)) return true;
  if (['use_ema', 'amsgrad', 'nesterov', 'centered'].includes(k)) return v === false || v === null;
  if (['loss_scale_factor', 'gradient_accumulation_steps', 'clipnorm', 'clipvalue', 'global_clipnorm', 'weight_decay'].includes(k)) return v === null;
  if (k === 'decay') return v === 0 || v === null;
  return false;
}

const OPTIMIZER_KEYS: Record<string, readonly string[]> = {
  sgd: ['momentum', 'nesterov'],
  adam: ['beta_1', 'beta_2', 'epsilon', 'amsgrad'],
  adamw: ['beta_1', 'beta_2', 'epsilon', 'amsgrad'],
  rmsprop: ['rho', 'momentum', 'epsilon', 'centered'],
  adagrad: ['initial_accumulator_value', 'epsilon'],
  adadelta: ['rho', 'epsilon'],
  nadam: ['beta_1', 'beta_2', 'epsilon'],
};
const COMMON_KEYS = ['learning_rate', 'lr', 'decay', 'weight_decay', 'clipnorm', 'global_clipnorm', 'clipvalue'];

function optimizerFrom(v: JsonValue, problems: string[]): Optimizer | null {
  const cc = classAndConfig(v);
  if (!cc) {
    problems.push(`optimizer ${JSON.stringify(v)} is not a name or {class_name, config}`);
    return null;
  }
  // TF.js converter: "Custom>Adam"; Keras 2.11-2.15: "Adam" / "adam"; Keras 2 legacy: "keras.optimizers.legacy.Adam"?
  const cls = cc.className.replace(/^Custom>/, '').replace(/^.*\./, '');
  const kind = cls.toLowerCase();
  const own = OPTIMIZER_KEYS[kind];
  if (!own) {
    problems.push(`optimizer ${cc.className} is not supported (SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta, Nadam are)`);
    return null;
  }
  const c = cc.config;
  const unknown = Object.entries(c).filter(([k, x]) => !own.includes(k) && !COMMON_KEYS.includes(k) && !harmless(k, x));
  if (unknown.length) {
    problems.push(`optimizer ${cls} options not supported: ${unknown.map(([k, x]) => `${k}=${JSON.stringify(x)}`).join(', ')}`);
    return null;
  }
  if (c.use_ema === true) problems.push(`optimizer ${cls}: use_ema=true is not supported`);
  const base: OptimizerArgs = {};
  const lrRaw = c.learning_rate ?? c.lr;
  if (typeof lrRaw === 'number') base.learningRate = lrRaw;
  else if (lrRaw !== undefined && lrRaw !== null) {
    const s = schedule(lrRaw, problems);
    if (s) base.learningRate = s;
  }
  const decay = num(c.decay) ?? 0;
  if (decay !== 0) {
    // Keras 2 time-based decay: lr_t = lr / (1 + decay * iterations) == InverseTimeDecay(decay_steps=1).
    if (typeof base.learningRate !== 'number') problems.push(`optimizer ${cls}: decay together with a schedule is not supported`);
    else base.learningRate = new InverseTimeDecay({ initialLearningRate: base.learningRate, decaySteps: 1, decayRate: decay });
  }
  if (num(c.weight_decay)) base.weightDecay = num(c.weight_decay)!;
  if (num(c.clipnorm)) base.clipNorm = num(c.clipnorm)!;
  if (num(c.global_clipnorm)) base.globalClipNorm = num(c.global_clipnorm)!;
  if (num(c.clipvalue)) base.clipValue = num(c.clipvalue)!;
  if (typeof c.name === 'string') base.name = c.name;
  if (problems.length) return null;
  try {
    switch (kind) {
      case 'sgd':
        return new SGD({ ...base, momentum: num(c.momentum) ?? 0, nesterov: c.nesterov === true });
      case 'adam':
      case 'adamw': {
        const a = { ...base, beta1: num(c.beta_1) ?? 0.9, beta2: num(c.beta_2) ?? 0.999, epsilon: num(c.epsilon) ?? 1e-7, amsgrad: c.amsgrad === true };
        return kind === 'adam' ? new Adam(a) : new AdamW(a);
      }
      case 'rmsprop':
        return new RMSprop({ ...base, rho: num(c.rho) ?? 0.9, momentum: num(c.momentum) ?? 0, epsilon: num(c.epsilon) ?? 1e-7, centered: c.centered === true });
      case 'adagrad':
        return new Adagrad({ ...base, initialAccumulatorValue: num(c.initial_accumulator_value) ?? 0.1, epsilon: num(c.epsilon) ?? 1e-7 });
      case 'adadelta':
        return new Adadelta({ ...base, rho: num(c.rho) ?? 0.95, epsilon: num(c.epsilon) ?? 1e-7 });
      default:
        return new Nadam({ ...base, beta1: num(c.beta_1) ?? 0.9, beta2: num(c.beta_2) ?? 0.999, epsilon: num(c.epsilon) ?? 1e-7 });
    }
  } catch (e) {
    problems.push(`optimizer ${cls}: ${(e as Error).message}`);
    return null;
  }
}

// ---- loss ---------------------------------------------------------------------------------------

const LOSS_CLASSES: Record<string, (a: { reduction?: Reduction; name?: string; fromLogits?: boolean; labelSmoothing?: number; delta?: number }) => Loss> = {
  CategoricalCrossentropy: (a) => new CategoricalCrossentropy(a),
  SparseCategoricalCrossentropy: (a) => new SparseCategoricalCrossentropy(a),
  BinaryCrossentropy: (a) => new BinaryCrossentropy(a),
  MeanSquaredError: (a) => new MeanSquaredError(a),
  MeanAbsoluteError: (a) => new MeanAbsoluteError(a),
  Huber: (a) => new Huber(a),
  Hinge: (a) => new Hinge(a),
  KLDivergence: (a) => new KLDivergence(a),
};

function lossFrom(v: JsonValue, problems: string[]): Loss | null {
  // Keras 3 serializes a plain function as {module: "builtins", class_name: "function", config: "<name>"}.
  if (isObj(v) && v.class_name === 'function' && typeof v.config === 'string') return lossFrom(v.config, problems);
  if (typeof v === 'string') {
    try {
      return getLoss(v);
    } catch (e) {
      problems.push(`loss: ${(e as Error).message}`);
      return null;
    }
  }
  const cc = classAndConfig(v);
  const make = cc ? LOSS_CLASSES[cc.className.replace(/^.*>/, '')] : undefined;
  if (!cc || !make) {
    problems.push(`loss ${JSON.stringify(v).slice(0, 80)} is not supported`);
    return null;
  }
  const c = cc.config;
  const extra = Object.entries(c).filter(([k, x]) => {
    if (['name', 'reduction', 'from_logits', 'label_smoothing', 'delta'].includes(k)) return false;
    if (k === 'axis') return x !== -1;
    if (k === 'dtype') return x !== null && x !== 'float32';
    if (k === 'ignore_class') return x !== null;
    return true;
  });
  if (extra.length) {
    problems.push(`loss ${cc.className} options not supported: ${extra.map(([k, x]) => `${k}=${JSON.stringify(x)}`).join(', ')}`);
    return null;
  }
  const red = c.reduction === undefined || c.reduction === null || c.reduction === 'auto' || c.reduction === 'sum_over_batch_size' ? 'sum_over_batch_size' : c.reduction;
  try {
    return make({
      reduction: red as Reduction,
      ...(typeof c.name === 'string' ? { name: c.name } : {}),
      ...(typeof c.from_logits === 'boolean' ? { fromLogits: c.from_logits } : {}),
      ...(num(c.label_smoothing) !== undefined ? { labelSmoothing: num(c.label_smoothing)! } : {}),
      ...(num(c.delta) !== undefined ? { delta: num(c.delta)! } : {}),
    });
  } catch (e) {
    problems.push(`loss ${cc.className}: ${(e as Error).message}`);
    return null;
  }
}

/** One loss for every output (convkit's compile applies one loss to each output). */
function lossesFrom(v: JsonValue, problems: string[]): Loss | null {
  if (Array.isArray(v) || isObj(v) && !('class_name' in v)) {
    const all = Array.isArray(v) ? v : Object.values(v);
    const distinct = new Set(all.map((x) => JSON.stringify(x)));
    if (all.length === 0 || distinct.size !== 1) {
      problems.push(`per-output losses ${JSON.stringify(v).slice(0, 120)} differ (convkit applies one loss to every output)`);
      return null;
    }
    return lossFrom(all[0]!, problems);
  }
  return lossFrom(v, problems);
}

// ---- metrics ------------------------------------------------------------------------------------

function metricId(v: JsonValue, problems: string[]): MetricIdentifier | null {
  let id: string | null = null;
  if (typeof v === 'string') id = v;
  else {
    const cc = classAndConfig(v);
    if (cc?.className === 'MeanMetricWrapper') {
      // Keras 2.4+: {"name": "accuracy", "fn": "categorical_accuracy"}; the name is what the logs show.
      id = typeof cc.config.name === 'string' ? cc.config.name : typeof cc.config.fn === 'string' ? cc.config.fn : null;
      if (id !== null && !knownMetric(id) && typeof cc.config.fn === 'string') id = cc.config.fn;
    } else if (cc && cc.className === 'function' && typeof (v as JsonObject).config === 'string') id = (v as JsonObject).config as string;
    else if (cc) id = toSnake(cc.className);
  }
  if (id === null || !knownMetric(id)) {
    problems.push(`metric ${JSON.stringify(v).slice(0, 80)} is not supported`);
    return null;
  }
  return id;
}

function knownMetric(id: string): boolean {
  try {
    getMetric(id, [2, 3], [2]);
    return true;
  } catch {
    return false;
  }
}

function metricsFrom(v: JsonValue | null, problems: string[], notes: string[]): MetricIdentifier[] {
  if (v === null || v === undefined) return [];
  // Keras: a flat list (single output or the same for all), a list per output, or a dict per output name.
  let perOutput: JsonValue[][];
  if (Array.isArray(v)) perOutput = v.length > 0 && v.every((x) => Array.isArray(x)) ? (v as JsonValue[][]) : [v];
  else if (isObj(v)) perOutput = Object.values(v).map((x) => (Array.isArray(x) ? x : [x]));
  else {
    problems.push(`metrics ${JSON.stringify(v)} is not a list`);
    return [];
  }
  const first = perOutput[0] ?? [];
  if (perOutput.slice(1).some((o) => o.length > 0)) notes.push('metrics of outputs other than the first were not restored (convkit computes compile metrics on the first output)');
  const ids = first.map((m) => metricId(m, problems));
  return ids.filter((x): x is MetricIdentifier => x !== null);
}

// ---- public -------------------------------------------------------------------------------------

/** Map a file's training configuration onto compile() arguments (or say why not). */
export function compileArgsFrom(c: NCompile): CompileRestore {
  const problems: string[] = [];
  const notes: string[] = [];
  if (c.optimizer === null) problems.push('the training configuration has no optimizer');
  if (c.loss === null || c.loss === undefined) problems.push('the training configuration has no loss');
  const optimizer = c.optimizer === null ? null : optimizerFrom(c.optimizer, problems);
  const loss = c.loss === null || c.loss === undefined ? null : lossesFrom(c.loss, problems);
  const metrics = metricsFrom(c.metrics, problems, notes);
  const lw = c.lossWeights;
  if (lw !== null && lw !== undefined) {
    const vals = Array.isArray(lw) ? lw : isObj(lw) ? Object.values(lw) : [lw];
    if (vals.some((x) => x !== 1)) problems.push(`loss_weights ${JSON.stringify(lw)} are not supported`);
  }
  const wm = c.weightedMetrics;
  const emptyWm = wm === null || wm === undefined || (Array.isArray(wm) && wm.every((x) => Array.isArray(x) && x.length === 0));
  if (!emptyWm) problems.push(`weighted_metrics ${JSON.stringify(wm).slice(0, 80)} are not supported`);
  if (problems.length || !optimizer || !loss) return { args: null, notes: problems };
  return { args: { optimizer, loss, metrics }, notes };
}

function serializeMetric(m: MetricIdentifier): JsonValue {
  if (typeof m === 'string') return m;
  if (m instanceof Metric) return { class_name: m.className, config: m.getConfig() as JsonObject };
  return String(m);
}

/** A compiled convkit model's optimizer, loss and metrics in the neutral form (null when not compiled). */
export function compileOf(model: Model): NCompile | null {
  const opt = model.optimizer;
  const loss = model.compiledLoss;
  if (!opt || !loss) return null;
  const cfg = JSON.parse(JSON.stringify(opt.getConfig())) as JsonObject;
  if (isObj(cfg.learning_rate)) {
    const s = cfg.learning_rate;
    cfg.learning_rate = { module: 'keras.optimizers.schedules', class_name: s.class_name!, config: s.config!, registered_name: null };
  }
  // Keras 3 BaseOptimizer.get_config keys convkit has no use for, at their defaults.
  const defaults: JsonObject = { use_ema: false, ema_momentum: 0.99, ema_overwrite_frequency: null, loss_scale_factor: null, gradient_accumulation_steps: null };
  for (const [k, x] of Object.entries(defaults)) if (!(k in cfg)) cfg[k] = x;
  // A loss compiled by name (default options) is written by name, as Keras does; otherwise as an object.
  const lossCfg = JSON.parse(JSON.stringify(loss.getConfig())) as JsonObject;
  let byName: Loss | null = null;
  try {
    byName = getLoss(loss.name);
  } catch {
    byName = null;
  }
  const lossJson: JsonValue =
    byName && byName.className === loss.className && JSON.stringify(byName.getConfig()) === JSON.stringify(lossCfg)
      ? loss.name
      : { module: 'keras.losses', class_name: loss.className, config: lossCfg, registered_name: null };
  return {
    optimizer: { class_name: opt.className, config: cfg },
    loss: lossJson,
    metrics: (model.compiledMetrics ?? []).map(serializeMetric),
    lossWeights: null,
    weightedMetrics: null,
  };
}

/** Keras 3 `compile_config` (config.json). */
export function keras3CompileConfig(c: NCompile): JsonObject {
  return {
    optimizer: isObj(c.optimizer) ? { module: 'keras.optimizers', ...c.optimizer, registered_name: null } : c.optimizer,
    loss: c.loss,
    loss_weights: c.lossWeights ?? null,
    metrics: c.metrics,
    weighted_metrics: c.weightedMetrics ?? null,
    run_eagerly: false,
    steps_per_execution: 1,
    jit_compile: false,
  };
}

/** Keras 2 `training_config` (legacy .h5 root attribute, TF.js modelTopology). */
export function legacyTrainingConfig(c: NCompile): JsonObject {
  const strip = (v: JsonValue): JsonValue => {
    if (Array.isArray(v)) return v.map(strip);
    if (isObj(v)) {
      const o: JsonObject = {};
      for (const [k, x] of Object.entries(v)) if (k !== 'module' && k !== 'registered_name') o[k] = strip(x);
      return o;
    }
    return v;
  };
  return {
    optimizer_config: typeof c.optimizer === 'string' ? { class_name: c.optimizer, config: {} } : strip(c.optimizer),
    loss: strip(c.loss),
    metrics: strip(c.metrics),
    weighted_metrics: null,
    loss_weights: null,
  };
}
