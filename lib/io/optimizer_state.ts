/**
 * Optimizer state in the Keras 3 weights store (`optimizer/vars/<i>` of `model.weights.h5`), so that
 * saving a compiled model and loading it again continues training exactly where it stopped.
 *
 * Keras's layout (keras/src/optimizers/base_optimizer.py `__init__`/`build`/`variables`, and each
 * optimizer's build()):
 *   vars/0            `iteration`, int64 scalar (steps applied)
 *   vars/1            `learning_rate`, float32 scalar — only when the learning rate is not a schedule;
 *                     Keras 2.13–2.15 (tf.keras "new" optimizers) never store it
 *   vars/2…           the slots, created by `add_optimizer_variables(trainable_variables, names)`,
 *                     which interleaves the names per variable, one call after the other:
 *                       SGD (momentum ≠ 0)  [momentum]
 *                       Adam / AdamW        [momentum, velocity], then (amsgrad) [velocity_hat]
 *                       RMSprop             [velocity], then (momentum > 0) [momentum], then (centered) [average_gradient]
 *                       Adagrad             [accumulator];  Adadelta [accumulated_grad, accumulated_delta_var]
 *                       Nadam               [momentum, velocity], then the scalar `u_product`
 *   The trainable variables come in `model.trainable_variables` order: leaf layers in model order, each
 *   layer's trainable weights in its Keras order (BatchNormalization: gamma, beta).
 * convkit's per-parameter state buffers hold the same quantities in the same update rules
 * (native/optim/optim_kernels.inc.h quotes Keras's update_step), in the order of each group above, so
 * the mapping is a permutation. An optimizer that has not taken a step yet has no slots (Keras: not
 * built): only `iteration` (and `learning_rate`) are written, as Keras does.
 */
import type { Layer } from '../layers/layer.js';
import type { LayerVariable } from '../layers/variable.js';
import { Model } from '../models/model.js';
import { Adadelta, Adagrad, Adam, Nadam, type Optimizer, RMSprop, SGD } from '../training/optimizers.js';
import { LearningRateSchedule } from '../training/schedules.js';
import { leafLayers, weightSpec } from './keras_format/catalog.js';
import type { NModel, NOptimizerVar, NOptimizerVars } from './keras_format/neutral.js';

/** Slot groups of an optimizer: each group lists convkit state indices interleaved per variable. */
function slotGroups(o: Optimizer): number[][] | null {
  if (o instanceof Nadam) return [[0, 1]];
  if (o instanceof Adam) return o.amsgrad ? [[0, 1], [2]] : [[0, 1]]; // AdamW too
  if (o instanceof SGD) return o.momentum !== 0 ? [[0]] : [];
  if (o instanceof RMSprop) {
    const g = [[0]];
    if (o.momentum > 0) g.push([1]);
    if (o.centered) g.push([o.momentum > 0 ? 2 : 1]);
    return g;
  }
  if (o instanceof Adagrad) return [[0]];
  if (o instanceof Adadelta) return [[0, 1]];
  return null;
}

function initialSlot(o: Optimizer, n: number): Float32Array {
  const a = new Float32Array(n);
  if (o instanceof Adagrad) a.fill(o.initialAccumulatorValue);
  return a;
}

/** The leaf layer at "outer/inner" inside a convkit model (nested models by name). */
export function findLeaf(model: Model, path: string): Layer | null {
  let cur: Layer = model;
  for (const part of path.split('/')) {
    if (!(cur instanceof Model)) return null;
    const next: Layer | undefined = cur.layers.find((l) => l.name === part);
    if (!next) return null;
    cur = next;
  }
  return cur;
}

/** The model's trainable variables in Keras `trainable_variables` order, or null if they cannot all be placed. */
export function kerasTrainableOrder(nm: NModel, model: Model): LayerVariable[] | null {
  const trainable = model.trainableWeights;
  const want = new Set(trainable);
  const out: LayerVariable[] = [];
  for (const { path, layer } of leafLayers(nm)) {
    const live = findLeaf(model, path);
    if (!live) continue;
    for (const s of weightSpec(layer) ?? []) {
      const v = live.weights.find((w) => w.name.endsWith(`/${s.name}`));
      if (v && want.has(v) && !out.includes(v)) out.push(v);
    }
  }
  return out.length === trainable.length ? out : null;
}

const scalar = (dtype: 'int64' | 'float32', x: number): NOptimizerVar => ({ shape: [], dtype, data: Float64Array.of(x) });

/** The compiled optimizer's variables in Keras's layout, or null (not compiled, or no clean mapping). */
export function optimizerVarsOf(model: Model, nm: NModel): NOptimizerVars | null {
  const o = model.optimizer;
  if (!o) return null;
  const groups = slotGroups(o);
  const order = kerasTrainableOrder(nm, model);
  if (!groups || !order) return null;
  const st = o.getState();
  const vars: NOptimizerVar[] = [scalar('int64', st.iterations)];
  if (!(o.learningRate instanceof LearningRateSchedule)) vars.push(scalar('float32', o.learningRate));
  const built = order.some((v) => st.slots.has(v));
  if (built) {
    for (const g of groups)
      for (const v of order)
        for (const idx of g) {
          const s = st.slots.get(v)?.[idx];
          vars.push({ shape: [...v.shape], dtype: 'float32', data: s && s.length === v.size ? s : initialSlot(o, v.size) });
        }
    if (o instanceof Nadam) vars.push(scalar('float32', st.uProduct));
  }
  return { name: o.name, vars };
}

/**
 * Restore the step counter, learning rate and slots onto the (compiled) model's optimizer. Returns null
 * on success, or why nothing was restored (like Keras's "Skipping variable loading for optimizer").
 */
export function restoreOptimizerVars(model: Model, nm: NModel, saved: NOptimizerVars): string | null {
  const o = model.optimizer;
  if (!o) return 'the model is not compiled';
  const groups = slotGroups(o);
  if (!groups) return `optimizer ${o.className} has no known Keras variable layout`;
  const order = kerasTrainableOrder(nm, model);
  if (!order) return 'the trainable weights could not be put in Keras order';
  const perVar = groups.reduce((a, g) => a + g.length, 0);
  const extra = o instanceof Nadam ? 1 : 0;
  const nSlots = perVar * order.length;
  const schedule = o.learningRate instanceof LearningRateSchedule;
  const n = saved.vars.length;
  const it = saved.vars[0];
  if (!it || it.shape.length !== 0) return 'optimizer/vars/0 (iteration) is missing or not a scalar';
  const iterations = it.data[0]!;
  if (!Number.isSafeInteger(iterations) || iterations < 0) return `optimizer/vars/0 (iteration) = ${iterations} is not a step count`;
  let start: number;
  if (!schedule && n === 2 + nSlots + extra) start = 2;
  else if (n === 1 + nSlots + extra) start = 1;
  else if (n <= 2 && iterations === 0) return null; // a compiled optimizer that never stepped: nothing to restore
  else
    return `optimizer state not restored: the file has ${n} optimizer variables, ${o.className} over ${order.length} trainable weights has ${(schedule ? 1 : 2) + nSlots + extra} (Keras 3) or ${1 + nSlots + extra} (Keras 2.15)`;
  const slots = new Map<LayerVariable, Float32Array[]>();
  let k = start;
  for (const g of groups)
    for (const v of order) {
      const list = slots.get(v) ?? [];
      for (const idx of g) {
        const s = saved.vars[k++]!;
        if (s.shape.length !== v.shape.length || s.shape.some((d, i) => d !== v.shape[i]))
          return `optimizer state not restored: optimizer/vars/${k - 1} has shape [${s.shape.join(', ')}], weight ${v.name} has [${v.shape.join(', ')}]`;
        list[idx] = Float32Array.from(s.data);
      }
      slots.set(v, list);
    }
  const uProduct = extra ? saved.vars[k]!.data[0]! : 1;
  o.setState({ iterations, uProduct, slots: perVar > 0 ? slots : new Map() });
  if (start === 2 && typeof o.learningRate === 'number') o.setLearningRate(saved.vars[1]!.data[0]!);
  return null;
}
