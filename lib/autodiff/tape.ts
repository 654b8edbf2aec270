/**
 * Reverse-mode automatic differentiation over the ops recorded by the engine.
 *
 * Forward: while f runs, every op (name, inputs, attrs, outputs) is appended to the tape.
 * Backward: starting from dL/dy = 1 (or the given dy), entries are visited in reverse order; each
 * op's registered gradient maps dL/d(outputs) to dL/d(inputs), which are accumulated per tensor.
 * Only entries on a path from a source to the target are differentiated, and a gradient function
 * is told which inputs need a gradient (so e.g. the first conv skips its input gradient).
 *
 * Memory: once an entry's backward has run, no earlier entry can need its outputs (they were only
 * consumed by later entries, already visited), so its forward outputs and their gradients are
 * disposed right there; temporaries of gradient functions are disposed when each returns. The
 * value of f, the sources and tensors passed to `keep()` survive.
 *
 * Nesting (higher-order gradients, gradient penalties): a tape started while another one records
 * forwards every op it sees, including the ops its backward pass runs, to the outer tape, so the
 * gradients it returns are differentiable again (each backward op has its own registered
 * gradient, gradients/higher_order.ts). A nested tape disposes nothing: the outer tape owns all
 * those tensors and frees them in its own backward pass.
 */
import { getOpRecorder, type OpAttrs, type OpRecord, runOp, setOpRecorder, withoutRecording } from '../engine/index.js';
import { Tensor } from '../tensor/index.js';
import * as K from '../layers/backend.js';
import { getGradient } from './registry.js';
import { enterTape, exitTape, isTaping } from './scope.js';
import './gradients/index.js';

interface Entry {
  readonly name: string;
  readonly inputs: readonly Tensor[];
  readonly outputs: readonly Tensor[];
  readonly attrs: OpAttrs;
}

let currentKeep: Set<Tensor> | null = null;

/** Keeps `t` alive past the end of the current gradient computation (e.g. predictions for metrics). */
export function keep<T extends Tensor>(t: T): T {
  currentKeep?.add(t);
  return t;
}

type Recorder = (rec: OpRecord) => void;

/** The enclosing tape's recorder when a tape starts inside another one, else null. */
function outerTape(): Recorder | null {
  return isTaping() ? getOpRecorder() : null;
}

function record<T>(fn: () => T, keepSet: Set<Tensor>): { result: T; entries: Entry[]; outer: Recorder | null } {
  const entries: Entry[] = [];
  const prev = getOpRecorder();
  const outer = outerTape();
  const prevKeep = currentKeep;
  currentKeep = keepSet;
  setOpRecorder((rec: OpRecord) => {
    entries.push(rec);
    outer?.(rec);
  });
  enterTape();
  try {
    return { result: fn(), entries, outer };
  } catch (e) {
    disposeOutputs(entries, keepSet);
    throw e;
  } finally {
    exitTape();
    setOpRecorder(prev);
    currentKeep = prevKeep;
  }
}

function disposeOutputs(entries: readonly Entry[], protect: Set<Tensor>): void {
  for (const e of entries) for (const t of e.outputs) if (!protect.has(t)) t.dispose();
}

/** Runs a gradient function, disposing its temporaries (everything it created but did not return). */
function runGradient(fn: () => (Tensor | null)[], outer: Recorder | null): (Tensor | null)[] {
  const created: Tensor[] = [];
  const prev = setOpRecorder((rec: OpRecord) => {
    for (const t of rec.outputs) created.push(t);
    outer?.(rec);
  });
  let out: (Tensor | null)[];
  try {
    out = fn();
  } finally {
    setOpRecorder(prev);
  }
  // Nested: the outer tape owns everything and needs the provenance of each gradient, so no copies.
  if (outer) return out;
  // A gradient function may return a tensor it did not create (dy itself) or the same tensor for
  // two inputs: those are copied so that every accumulated gradient is owned exactly once.
  const createdSet = new Set(created);
  const seen = new Set<Tensor>();
  const owned = out.map((t) => {
    if (t === null) return null;
    const mine = createdSet.has(t) && !seen.has(t);
    seen.add(t);
    return mine ? t : withoutRecording(() => t.clone());
  });
  for (const t of created) if (!seen.has(t)) t.dispose();
  return owned;
}

/**
 * Differentiates the recorded computation of `target` with respect to `sources`. Disposes all
 * recorded intermediates except `protect`. Returns one gradient per source (zeros when the target
 * does not depend on it).
 */
function backward(entries: readonly Entry[], seeds: readonly (readonly [Tensor, Tensor | null])[], sources: readonly Tensor[], protect: Set<Tensor>,
  outer: Recorder | null): Tensor[] {
  const nested = outer !== null;
  // Ops of the backward pass itself are recorded on the outer tape when nested, else nowhere.
  const bookkeeping = <R>(f: () => R): R => {
    const prev = setOpRecorder(outer);
    try {
      return f();
    } finally {
      setOpRecorder(prev);
    }
  };
  // The ones seeding backward and the zeros of sources the target does not depend on: an op
  // without inputs ('constantFill', non-differentiable), so that when nested the outer tape owns
  // and frees them like every other tensor of this backward pass.
  const fill = (shape: readonly number[], value: number): Tensor =>
    bookkeeping(() => runOp('constantFill', [], { value }, () => K.filled(shape, value)));
  // Which tensors depend on a source (forward sweep).
  const dependsOnSource = new Set<Tensor>(sources);
  const onPath = new Array<boolean>(entries.length).fill(false);
  entries.forEach((e, i) => {
    if (e.inputs.some((t) => dependsOnSource.has(t))) {
      onPath[i] = true;
      for (const t of e.outputs) dependsOnSource.add(t);
    }
  });
  const sourceSet = new Set(sources);
  const producers = new Map<Tensor, Entry>();
  for (const e of entries) for (const t of e.outputs) producers.set(t, e);
  const producer = (t: Tensor): Entry | undefined => producers.get(t);
  const grads = new Map<Tensor, Tensor>();
  const accumulate = (t: Tensor, g: Tensor): void => {
    const prev = grads.get(t);
    if (!prev) {
      grads.set(t, g);
      return;
    }
    const sum = bookkeeping(() => K.add(prev, g));
    if (!nested) {
      prev.dispose();
      g.dispose();
    }
    grads.set(t, sum);
  };
  for (const [target, dy] of seeds) {
    accumulate(target, dy ? (nested ? dy : dy.clone()) : fill(target.shape, 1));
  }
  for (let i = entries.length - 1; i >= 0; i--) {
    const e = entries[i]!;
    const dys = e.outputs.map((t) => grads.get(t) ?? null);
    if (onPath[i] && dys.some((g) => g !== null)) {
      const gfn = getGradient(e.name);
      if (gfn === undefined) {
        throw new Error(`No gradient registered for op '${e.name}' (inputs ${e.inputs.map((t) => `[${t.shape.join(', ')}]`).join(', ')})`);
      }
      if (typeof gfn === 'object') {
        throw new Error(`Op '${e.name}' has no gradient (inputs ${e.inputs.map((t) => `[${t.shape.join(', ')}]`).join(', ')}): ${gfn.none}`);
      }
      if (gfn !== 'zero') {
        const needsGrad = e.inputs.map((t) => dependsOnSource.has(t));
        const gIn = runGradient(() => gfn(dys, { inputs: e.inputs, outputs: e.outputs, attrs: e.attrs, needsGrad, producer }), outer);
        e.inputs.forEach((t, k) => {
          const g = gIn[k];
          if (!g) return;
          if (!needsGrad[k]) {
            if (!nested) g.dispose();
            return;
          }
          if (g.shape.length !== t.shape.length || g.shape.some((d, j) => d !== t.shape[j])) {
            throw new Error(`Gradient of op '${e.name}' for input ${k} has shape [${g.shape.join(', ')}], expected [${t.shape.join(', ')}]`);
          }
          accumulate(t, g);
        });
      }
    }
    // This entry's outputs are no longer needed by anyone: free them and their gradients (unless
    // nested: then the outer tape may still need them).
    if (nested) continue;
    for (const t of e.outputs) {
      const g = grads.get(t);
      if (g && !sourceSet.has(t)) {
        g.dispose();
        grads.delete(t);
      }
      if (!protect.has(t) && !e.inputs.includes(t)) t.dispose();
    }
  }
  return sources.map((s) => {
    const g = grads.get(s);
    grads.delete(s);
    return g ?? fill(s.shape, 0);
  });
}

/**
 * Computes f() and the gradients of its (scalar or, with dy, any-shaped) result with respect to
 * `sources`. The value is returned alive; every intermediate is disposed.
 */
export function valueAndGradsOf(f: () => Tensor, sources: readonly Tensor[], dy?: Tensor): { value: Tensor; grads: Tensor[] } {
  const keepSet = new Set<Tensor>();
  const { result, entries, outer } = record(f, keepSet);
  if (!(result instanceof Tensor)) {
    disposeOutputs(entries, keepSet);
    throw new TypeError(`the function being differentiated must return a Tensor, got ${typeof result}`);
  }
  if (!dy && result.size !== 1) {
    disposeOutputs(entries, new Set([...keepSet, result]));
    throw new RangeError(`the function being differentiated must return a scalar (got shape [${result.shape.join(', ')}]) unless dy is given`);
  }
  if (dy && (dy.shape.length !== result.shape.length || dy.shape.some((d, i) => d !== result.shape[i]))) {
    disposeOutputs(entries, new Set([...keepSet, result]));
    throw new RangeError(`dy has shape [${dy.shape.join(', ')}], the result has shape [${result.shape.join(', ')}]`);
  }
  const protect = new Set<Tensor>([...keepSet, result, ...sources]);
  let grads: Tensor[];
  try {
    grads = backward(entries, [[result, dy ?? null]], sources, protect, outer);
  } catch (e) {
    disposeOutputs(entries, protect);
    throw e;
  }
  return { value: result, grads };
}

/**
 * A forward pass recorded for a later backward pass, for training loops that compute the loss
 * gradient themselves (e.g. a fused cross-entropy): run f under the tape, read its outputs,
 * then call `backward(dOutputs, sources)` once with dL/d(output) per output. Intermediates are
 * freed by backward (or by dispose() if backward is never called). The outputs stay alive and
 * belong to the caller.
 */
export interface TapedForward<T> {
  readonly result: T;
  backward(dOutputs: Tensor | readonly Tensor[], sources: readonly Tensor[]): Tensor[];
  dispose(): void;
}

export function recordForward<T extends Tensor | Tensor[]>(f: () => T): TapedForward<T> {
  const keepSet = new Set<Tensor>();
  const { result, entries, outer } = record(f, keepSet);
  const outs: Tensor[] = Array.isArray(result) ? [...(result as Tensor[])] : [result as Tensor];
  let done = false;
  const protectAll = (): Set<Tensor> => new Set<Tensor>([...keepSet, ...outs]);
  return {
    result,
    backward(dOutputs, sources) {
      if (done) throw new Error('backward(): this recorded forward pass was already used or disposed');
      done = true;
      const dys: readonly Tensor[] = Array.isArray(dOutputs) ? (dOutputs as readonly Tensor[]) : [dOutputs as Tensor];
      if (dys.length !== outs.length) {
        disposeOutputs(entries, protectAll());
        throw new RangeError(`backward(): expected ${outs.length} output gradient(s), got ${dys.length}`);
      }
      dys.forEach((d, i) => {
        const o = outs[i]!;
        if (d.shape.length !== o.shape.length || d.shape.some((x, k) => x !== o.shape[k])) {
          disposeOutputs(entries, protectAll());
          throw new RangeError(`backward(): gradient ${i} has shape [${d.shape.join(', ')}], output ${i} has shape [${o.shape.join(', ')}]`);
        }
      });
      const protect = new Set<Tensor>([...protectAll(), ...sources]);
      try {
        return backward(entries, outs.map((o, i) => [o, dys[i]!] as const), sources, protect, outer);
      } catch (e) {
        disposeOutputs(entries, protect);
        throw e;
      }
    },
    dispose() {
      if (done) return;
      done = true;
      disposeOutputs(entries, protectAll());
    },
  };
}

/** TF.js-style: grad(f)(x, dy?) = df/dx. */
export function grad(f: (x: Tensor) => Tensor): (x: Tensor, dy?: Tensor) => Tensor {
  return (x, dy) => {
    const { value, grads } = valueAndGradsOf(() => f(x), [x], dy);
    if (value !== x) value.dispose();
    return grads[0]!;
  };
}

/** TF.js-style: grads(f)([x1, x2, ...], dy?) = [df/dx1, df/dx2, ...]. */
export function grads(f: (...xs: Tensor[]) => Tensor): (xs: Tensor[], dy?: Tensor) => Tensor[] {
  return (xs, dy) => {
    const { value, grads: g } = valueAndGradsOf(() => f(...xs), xs, dy);
    if (!xs.includes(value)) value.dispose();
    return g;
  };
}

/** TF.js-style: valueAndGrad(f)(x, dy?) = {value: f(x), grad: df/dx}. */
export function valueAndGrad(f: (x: Tensor) => Tensor): (x: Tensor, dy?: Tensor) => { value: Tensor; grad: Tensor } {
  return (x, dy) => {
    const { value, grads: g } = valueAndGradsOf(() => f(x), [x], dy);
    return { value, grad: g[0]! };
  };
}

/** TF.js-style: valueAndGrads(f)([x1, ...], dy?) = {value, grads}. */
export function valueAndGrads(f: (...xs: Tensor[]) => Tensor): (xs: Tensor[], dy?: Tensor) => { value: Tensor; grads: Tensor[] } {
  return (xs, dy) => valueAndGradsOf(() => f(...xs), xs, dy);
}

/** Anything with a name and a current value tensor (LayerVariable). */
export interface DifferentiableVariable {
  readonly name: string;
  read(): Tensor;
}

/**
 * Gradients of the scalar f() with respect to variables (by default: pass the trainable weights).
 * Returns the value, the gradients in `varList` order, and the same keyed by variable name.
 */
export function variableGrads(f: () => Tensor, varList: readonly DifferentiableVariable[]): { value: Tensor; grads: Record<string, Tensor>; gradList: Tensor[] } {
  const sources = varList.map((v) => v.read());
  const { value, grads: g } = valueAndGradsOf(f, sources);
  const named: Record<string, Tensor> = {};
  varList.forEach((v, i) => (named[v.name] = g[i]!));
  return { value, grads: named, gradList: g };
}
