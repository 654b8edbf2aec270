/**
 * Model: a Layer made of layers. Three ways to define one, trained the same way (the autodiff
 * tape records whatever ops run):
 *  - functional: `model({inputs, outputs})` over SymbolicTensors — a DAG of layer calls (Nodes)
 *    run in topological order; several inputs/outputs, shared layers, residual and multi-branch
 *    graphs;
 *  - Sequential (sequential.ts), a functional model grown one layer at a time;
 *  - subclassed: `class MyNet extends Model { call(x, {training}) {...} }` with layers assigned
 *    as properties in the constructor (found automatically for weights, summary and profile).
 */
import { Tensor } from '../tensor/index.js';
import { type CallArgs, Layer, type LayerConfig, type LayerInput, layerError } from '../layers/layer.js';
import { deserializeLayer, registerLayer, serializeLayer, type SerializedLayer } from '../layers/registry.js';
import { isShapeList, type Shape, shapeToString } from '../layers/shape.js';
import { Node, SymbolicTensor } from '../layers/symbolic.js';
import type { LayerVariable } from '../layers/variable.js';
import { isTaping, tidy } from '../autodiff/scope.js';
import { recordForward, variableGrads } from '../autodiff/tape.js';
import * as K from '../layers/backend.js';
import { runDeferred } from '../engine/index.js';
import { InputLayer } from './input_layer.js';
import { formatSummary, type SummaryOptions } from './summary.js';
import { profileModel, type ProfileOptions, type ProfileReport } from './profile.js';
import { inferencePlanStatus, type InferencePlanStatus, noteEagerPath, noteWeightsMayChange, predictSyncWithPlan, predictWithPlan } from '../plan/cache.js';

export interface ModelArgs {
  inputs?: SymbolicTensor | SymbolicTensor[];
  outputs?: SymbolicTensor | SymbolicTensor[];
  name?: string;
}

export interface PredictOptions {
  batchSize?: number;
  /** Stops an inference-plan run at its next step/tile boundary; the promise rejects with an AbortError. */
  signal?: AbortSignal;
}

export interface TrainingForward {
  /** The model's outputs in training mode. */
  outputs: Tensor[];
  /** The trainable weights the gradients refer to. */
  weights: LayerVariable[];
  /** Sum of the regularization penalties (0 when none). */
  regularizationLoss: number;
  /** dL/d(weights) given dL/d(outputs); call once. */
  backward(dOutputs: Tensor | Tensor[]): Tensor[];
  dispose(): void;
}

/** A loss: (yTrue, yPred) → scalar tensor. */
export type LossFn = (yTrue: Tensor, yPred: Tensor) => Tensor;

interface Graph {
  inputs: SymbolicTensor[];
  outputs: SymbolicTensor[];
  /** Non-input nodes in topological order. */
  nodes: Node[];
  /** Layers in first-use order (InputLayers first). */
  layers: Layer[];
}

function topoSort(inputs: SymbolicTensor[], outputs: SymbolicTensor[], who: string): Node[] {
  const order: Node[] = [];
  const state = new Map<Node, 1 | 2>();
  const inputNodes = new Set(inputs.map((t) => t.node));
  const visit = (n: Node, path: string[]): void => {
    const s = state.get(n);
    if (s === 2) return;
    if (s === 1) throw new Error(`${who}: the graph has a cycle through layer '${n.layer.name}'`);
    state.set(n, 1);
    if (n.layer instanceof InputLayer) {
      if (!inputNodes.has(n)) {
        throw new Error(`${who}: the outputs depend on input '${n.layer.name}', which is not among the model's inputs`);
      }
    } else {
      for (const t of n.inputs) visit(t.node, [...path, n.layer.name]);
    }
    state.set(n, 2);
    if (!(n.layer instanceof InputLayer)) order.push(n);
  };
  for (const t of outputs) visit(t.node, []);
  return order;
}

export class Model extends Layer {
  static override readonly className: string = 'Functional';
  protected graph: Graph | null = null;

  constructor(args: ModelArgs = {}) {
    super({ name: args.name ?? undefined });
    if (args.inputs || args.outputs) {
      if (!args.inputs || !args.outputs) throw new TypeError(`model(): both inputs and outputs are required`);
      this.setGraph(args.inputs, args.outputs);
    }
  }

  override getClassName(): string {
    const cls = (this.constructor as typeof Layer).className;
    // A user subclass inherits 'Functional'; report its own JS class name instead.
    if (this.constructor !== Model && cls === Model.className && !this.graph) return this.constructor.name;
    return cls;
  }

  protected setGraph(inputs: SymbolicTensor | SymbolicTensor[], outputs: SymbolicTensor | SymbolicTensor[]): void {
    const ins = Array.isArray(inputs) ? inputs : [inputs];
    const outs = Array.isArray(outputs) ? outputs : [outputs];
    for (const t of [...ins, ...outs]) {
      if (!(t instanceof SymbolicTensor)) throw new TypeError(`model(): inputs and outputs must be SymbolicTensors (from input() and layer.apply()), got ${typeof t}`);
    }
    for (const t of ins) {
      if (!(t.node.layer instanceof InputLayer)) throw new TypeError(`model(): every input must come from input(); '${t.name}' comes from layer '${t.node.layer.name}'`);
    }
    const nodes = topoSort(ins, outs, `Model '${this.name}'`);
    const layers: Layer[] = [];
    const seen = new Set<Layer>();
    for (const t of ins) if (!seen.has(t.node.layer)) (seen.add(t.node.layer), layers.push(t.node.layer));
    for (const n of nodes) if (!seen.has(n.layer)) (seen.add(n.layer), layers.push(n.layer));
    const names = new Set<string>();
    for (const l of layers) {
      if (names.has(l.name)) throw new Error(`Model '${this.name}': two different layers are named '${l.name}'; layer names must be unique`);
      names.add(l.name);
    }
    this.graph = { inputs: ins, outputs: outs, nodes, layers };
    this.built = true;
    this.builtInputShape = ins.length === 1 ? [...ins[0]!.shape] : ins.map((t) => [...t.shape]);
  }

  /** Whether this model is a subclass with its own call() (no graph). */
  get isSubclassed(): boolean {
    return this.graph === null && Object.getPrototypeOf(this).call !== Model.prototype.call;
  }

  get inputs(): SymbolicTensor[] {
    return this.graph ? [...this.graph.inputs] : [];
  }
  get outputs(): SymbolicTensor[] {
    return this.graph ? [...this.graph.outputs] : [];
  }

  /** The model's layers: graph layers in order (functional), or the Layer properties of a subclass. */
  get layers(): Layer[] {
    if (this.graph) return [...this.graph.layers];
    return this.trackedLayers();
  }

  /** Layers assigned as properties (or in arrays/objects of layers) of a subclassed model. */
  protected trackedLayers(): Layer[] {
    const out: Layer[] = [];
    const seen = new Set<Layer>();
    const visit = (v: unknown, depth: number): void => {
      if (v instanceof Layer) {
        if (v !== this && !seen.has(v)) (seen.add(v), out.push(v));
      } else if (depth < 2 && Array.isArray(v)) for (const x of v) visit(x, depth + 1);
      else if (depth < 2 && v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) for (const x of Object.values(v)) visit(x, depth + 1);
    };
    for (const key of Object.keys(this)) {
      if (key === 'graph' || key === 'inboundNodes' || key === 'weightList') continue;
      visit((this as unknown as Record<string, unknown>)[key], 0);
    }
    return out;
  }

  getLayer(nameOrIndex: string | number): Layer {
    const ls = this.layers;
    if (typeof nameOrIndex === 'number') {
      const l = ls[nameOrIndex];
      if (!l) throw new RangeError(`getLayer: index ${nameOrIndex} is out of range (the model has ${ls.length} layers)`);
      return l;
    }
    const l = ls.find((x) => x.name === nameOrIndex);
    if (!l) throw new RangeError(`getLayer: no layer named '${nameOrIndex}'; layers: ${ls.map((x) => x.name).join(', ')}`);
    return l;
  }

  /** All weights, each once (shared layers contribute once), in layer order. */
  override get weights(): LayerVariable[] {
    const out: LayerVariable[] = [];
    const seen = new Set<LayerVariable>();
    for (const l of this.layers) for (const w of l.weights) if (!seen.has(w)) (seen.add(w), out.push(w));
    for (const w of this.weightList) if (!seen.has(w)) (seen.add(w), out.push(w));
    return out;
  }
  override get trainableWeights(): LayerVariable[] {
    return this.trainable ? this.weights.filter((w) => w.trainable) : [];
  }
  override get nonTrainableWeights(): LayerVariable[] {
    return this.trainable ? this.weights.filter((w) => !w.trainable) : this.weights;
  }

  override get trainable(): boolean {
    return super.trainable;
  }
  /** Freezing a model freezes every layer in it (Keras). */
  override set trainable(v: boolean) {
    super.trainable = v;
    if (this.graph !== undefined) for (const l of this.layers) l.trainable = v;
  }

  override regularizationLosses(): Tensor[] {
    return this.layers.flatMap((l) => l.regularizationLosses());
  }

  /** Sum of all weight-regularizer penalties (a scalar; 0 when there are none). */
  regularizationLoss(): Tensor | null {
    const ls = this.regularizationLosses();
    if (ls.length === 0) return null;
    return ls.slice(1).reduce((a, b) => K.add(a, b), ls[0]!);
  }

  override build(inputShape: Shape | Shape[]): void {
    if (this.graph) {
      super.build(inputShape);
      return;
    }
    if (this.isSubclassed) {
      // Build a subclassed model by running call() once on a zero batch of one sample: layers
      // build themselves on first call, whatever ops call() uses.
      const shapes = isShapeList(inputShape) ? inputShape : [inputShape];
      for (const s of shapes) {
        if (s.slice(1).some((d) => d === null)) throw layerError(this, inputShape, new RangeError('build() needs fully known sample shapes'));
      }
      this.built = true;
      this.builtInputShape = inputShape;
      tidy(() => {
        const xs = shapes.map((s) => K.filled([1, ...(s.slice(1) as number[])], 0));
        const out = this.call(isShapeList(inputShape) ? xs : xs[0]!, { training: false });
        this.lastOutputShape = Array.isArray(out) ? out.map((t) => [null, ...t.shape.slice(1)]) : [null, ...out.shape.slice(1)];
        this.lastInputShape = inputShape;
        for (const x of xs) x.dispose();
        return undefined;
      });
      return;
    }
    throw new Error(`Model '${this.name}' has no graph: create it with model({inputs, outputs}), sequential(), or subclass Model and override call()`);
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape | Shape[] {
    if (!this.graph) {
      if (this.lastOutputShape) return this.lastOutputShape;
      throw new Error(`Model '${this.name}': output shape unknown until the model has been called or built`);
    }
    const g = this.graph;
    const shapes = new Map<SymbolicTensor, Shape>();
    const ins = isShapeList(inputShape) && g.inputs.length > 1 ? inputShape : [inputShape as Shape];
    g.inputs.forEach((t, i) => shapes.set(t, ins[i] ?? t.shape));
    for (const n of g.nodes) {
      const s = n.inputs.map((t) => shapes.get(t)!);
      const out = n.layer.computeOutputShape(n.inputIsList ? s : s[0]!);
      const outs = isShapeList(out) ? out : [out];
      n.outputs.forEach((t, i) => shapes.set(t, outs[i]!));
    }
    const res = g.outputs.map((t) => shapes.get(t)!);
    return res.length === 1 ? res[0]! : res;
  }

  /** Runs the graph on concrete tensors. Subclasses override this with their own forward pass. */
  override call(inputs: LayerInput, kwargs: CallArgs): LayerInput {
    if (!this.graph) throw new Error(`Model '${this.name}' has no graph and does not override call()`);
    const g = this.graph;
    // Training mode or a recording tape means the weights may be updated in place next (the
    // optimizers do): cached inference plans hold copies of the weights, so they must be rebuilt.
    if (kwargs.training || isTaping()) noteWeightsMayChange(this);
    const xs = Array.isArray(inputs) ? inputs : [inputs];
    if (xs.length !== g.inputs.length) {
      throw new RangeError(`Model '${this.name}' expects ${g.inputs.length} input(s), got ${xs.length}`);
    }
    xs.forEach((x, i) => checkInput(this, g.inputs[i]!, x, i));
    const values = new Map<SymbolicTensor, Tensor>();
    g.inputs.forEach((t, i) => values.set(t, xs[i]!));
    // Uses left per tensor object, to free intermediates as soon as their last consumer ran
    // (eager inference only: while a tape records, the tape owns lifetimes).
    const free = !isTaping();
    const uses = new Map<Tensor, number>();
    const consumers = new Map<SymbolicTensor, number>();
    for (const n of g.nodes) for (const t of n.inputs) consumers.set(t, (consumers.get(t) ?? 0) + 1);
    for (const t of g.outputs) consumers.set(t, Infinity);
    const userOwned = new Set<Tensor>(xs);
    for (const n of g.nodes) {
      const ins = n.inputs.map((t) => {
        const v = values.get(t);
        if (!v) throw new Error(`Model '${this.name}': no value for tensor '${t.name}' (graph order)`);
        return v;
      });
      const arg = n.inputIsList ? ins : ins[0]!;
      const out = free ? tidy(() => n.layer.apply(arg, { ...n.callKwargs, ...kwargs })) : n.layer.apply(arg, { ...n.callKwargs, ...kwargs });
      const outs = Array.isArray(out) ? out : [out];
      n.outputs.forEach((t, i) => {
        const v = outs[i]!;
        values.set(t, v);
        uses.set(v, (uses.get(v) ?? 0) + (consumers.get(t) ?? 0));
      });
      if (free) {
        for (const t of n.inputs) {
          const v = values.get(t)!;
          const left = (uses.get(v) ?? 0) - 1;
          uses.set(v, left);
          if (left <= 0 && !userOwned.has(v)) v.dispose();
        }
        for (const v of outs) if ((uses.get(v) ?? 0) <= 0 && !userOwned.has(v)) v.dispose();
      }
    }
    const res = g.outputs.map((t) => values.get(t)!);
    return res.length === 1 ? res[0]! : res;
  }

  /**
   * Inference on one batch, synchronously (training = false). Functional and Sequential models
   * made of supported layers run through a cached native inference plan (lib/plan: one native
   * call, weights pre-packed, no per-layer allocation); others run layer by layer.
   */
  predictSync(x: Tensor | Tensor[]): Tensor | Tensor[] {
    const xs = this.plannableInputs(x);
    const ys = xs ? predictSyncWithPlan(this, xs) : null;
    if (ys) return ys.length === 1 ? ys[0]! : ys;  // as call(): a list only for several outputs
    noteEagerPath(this);
    return this.apply(x, { training: false });
  }

  /** Inputs checked against the graph (same errors as call()) when a plan may be used, else null. */
  private plannableInputs(x: Tensor | Tensor[]): Tensor[] | null {
    const g = this.graph;
    if (!g || isTaping()) return null;
    const xs = Array.isArray(x) ? x : [x];
    if (xs.length !== g.inputs.length) return null;  // call() reports it
    xs.forEach((t, i) => checkInput(this, g.inputs[i]!, t, i));
    return xs;
  }

  /** Whether and how predict()/predictSync() use native inference plans (see lib/plan). */
  get inferencePlan(): InferencePlanStatus {
    return inferencePlanStatus(this);
  }

  /**
   * Inference in batches of `batchSize` (default 32), training = false. With an inference plan
   * (see predictSync) each batch is one async native call off the main thread, written straight
   * into the output; otherwise layers run eagerly and the event loop gets a turn between batches.
   */
  async predict(x: Tensor | Tensor[], opts: PredictOptions = {}): Promise<Tensor | Tensor[]> {
    const batchSize = opts.batchSize ?? 32;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`predict: batchSize must be a positive integer, got ${opts.batchSize}`);
    const xs = Array.isArray(x) ? x : [x];
    if (xs.length === 0) throw new RangeError('predict: no input tensors');
    const n = xs[0]!.shape[0]!;
    for (const t of xs) {
      if (t.shape[0] !== n) throw new RangeError(`predict: all inputs need the same batch size; got ${xs.map((q) => q.shape[0]).join(', ')}`);
    }
    // Through inference plans: one async native call per batch, so the event loop stays free.
    const planned = this.plannableInputs(x);
    const ys = planned ? await predictWithPlan(this, planned, batchSize, { signal: opts.signal }) : null;
    if (ys) return ys.length === 1 ? ys[0]! : ys;  // as call(): a list only for several outputs
    noteEagerPath(this);
    // Eager path (no plan for this model): the kernels still run off the main thread, recorded and
    // run as one async batch per chunk (lib/engine/deferred.ts).
    if (n <= batchSize) return runDeferred(() => this.apply(x, { training: false }));
    const chunks: Tensor[][] = [];
    for (let start = 0; start < n; start += batchSize) {
      const size = Math.min(batchSize, n - start);
      const out = await runDeferred(() =>
        tidy(() => {
          const part = xs.map((t) => K.slice(t, [start, ...t.shape.slice(1).map(() => 0)], [size, ...t.shape.slice(1)]));
          const y = this.apply(Array.isArray(x) ? part : part[0]!, { training: false });
          return Array.isArray(y) ? y : [y];
        }),
      );
      chunks.push(out);
    }
    const joined = chunks[0]!.map((_, k) => {
      const parts = chunks.map((c) => c[k]!);
      const j = K.withoutTape(() => K.concat(parts, 0));
      for (const p of parts) p.dispose();
      return j;
    });
    return joined.length === 1 ? joined[0]! : joined;
  }

  /**
   * Loss and its gradients with respect to the trainable weights for one batch, in training mode:
   * loss = lossFn(y, model(x)) + Σ regularizer penalties. Gradients are aligned with
   * `model.trainableWeights`. The caller owns (and disposes) the returned tensors.
   */
  trainStepGradients(x: Tensor | Tensor[], y: Tensor | Tensor[], lossFn: LossFn | LossFn[]): { loss: Tensor; grads: Tensor[]; weights: LayerVariable[] } {
    const weights = this.trainableWeights;
    const { value, gradList } = variableGrads(() => {
      const pred = this.apply(x, { training: true });
      const preds = Array.isArray(pred) ? pred : [pred];
      const ys = Array.isArray(y) ? y : [y];
      const fns = Array.isArray(lossFn) ? lossFn : preds.map(() => lossFn);
      if (ys.length !== preds.length || fns.length !== preds.length) {
        throw new RangeError(`trainStepGradients: the model has ${preds.length} output(s); got ${ys.length} target(s) and ${fns.length} loss function(s)`);
      }
      let loss = fns[0]!(ys[0]!, preds[0]!);
      for (let i = 1; i < preds.length; i++) loss = K.add(loss, fns[i]!(ys[i]!, preds[i]!));
      const reg = this.regularizationLoss();
      return reg ? K.add(loss, reg) : loss;
    }, weights);
    return { loss: value, grads: gradList, weights };
  }

  /**
   * The training forward pass recorded for backward, for loops that compute dL/d(prediction)
   * themselves (fused losses): `const f = model.forwardForTraining(x); ...loss and dPred from
   * f.outputs...; const grads = f.backward(dPreds)` (aligned with `f.weights`, the trainable
   * weights). Regularization penalties are included: `f.regularizationLoss` is their value and
   * backward seeds them with 1. Outputs and gradients belong to the caller; call `dispose()`
   * instead of backward to abandon the step.
   */
  forwardForTraining(x: Tensor | Tensor[]): TrainingForward {
    const weights = this.trainableWeights;
    let nOut = 0;
    const rec = recordForward(() => {
      const pred = this.apply(x, { training: true });
      const outs = Array.isArray(pred) ? pred : [pred];
      nOut = outs.length;
      const reg = this.regularizationLoss();
      return reg ? [...outs, reg] : outs;
    });
    const all = rec.result;
    const outputs = all.slice(0, nOut);
    const reg = all.length > nOut ? all[nOut]! : null;
    const regValue = reg ? reg.dataSync()[0]! : 0;
    return {
      outputs,
      weights,
      regularizationLoss: regValue,
      backward: (dOutputs: Tensor | Tensor[]) => {
        const ds = Array.isArray(dOutputs) ? dOutputs : [dOutputs];
        const seeds = reg ? [...ds, K.withoutTape(() => K.filled([], 1))] : ds;
        const grads = rec.backward(seeds, weights.map((w) => w.read()));
        if (reg) (seeds[seeds.length - 1]!.dispose(), reg.dispose());
        return grads;
      },
      dispose: () => {
        rec.dispose();
        reg?.dispose();
      },
    };
  }

  /** Prints (and returns) Keras's summary table plus receptive-field and FLOPs columns. */
  summary(opts: SummaryOptions = {}): string {
    return formatSummary(this, opts);
  }

  /** Runs x through the model layer by layer, timing each; see ProfileReport. */
  profile(x: Tensor | Tensor[], opts: ProfileOptions = {}): ProfileReport {
    return profileModel(this, x, opts);
  }

  /** @internal For summary/profile: the graph's nodes (functional) or null (subclassed). */
  graphNodes(): Node[] | null {
    return this.graph ? [...this.graph.nodes] : null;
  }

  override getConfig(): LayerConfig {
    if (!this.graph) return { name: this.name, trainable: this.trainable };
    const g = this.graph;
    const nodeIndex = (n: Node): number => n.layer.inboundNodes.indexOf(n);
    const ref = (t: SymbolicTensor): [string, number, number] => [t.node.layer.name, nodeIndex(t.node), t.outputIndex];
    const layerNodes = new Map<Layer, Node[]>();
    for (const n of g.nodes) layerNodes.set(n.layer, [...(layerNodes.get(n.layer) ?? []), n]);
    return {
      name: this.name,
      trainable: this.trainable,
      layers: g.layers.map((l) => ({
        ...serializeLayer(l),
        name: l.name,
        inboundNodes: (layerNodes.get(l) ?? []).map((n) => n.inputs.map((t) => [...ref(t), {}])),
      })),
      inputLayers: g.inputs.map(ref),
      outputLayers: g.outputs.map(ref),
    };
  }

  /**
   * Rebuilds a functional model from getConfig() output (TF.js/Keras structure in camelCase:
   * layers with className, config and inboundNodes [[layerName, nodeIndex, tensorIndex, kwargs], ...]).
   */
  static override fromConfig<T extends Layer>(this: new (args: LayerConfig) => T, config: LayerConfig): T {
    return functionalFromConfig(config) as unknown as T;
  }

  override dispose(): void {
    for (const l of this.layers) l.dispose();
    super.dispose();
  }
}

function checkInput(model: Model, t: SymbolicTensor, x: Tensor, i: number): void {
  if (!(x instanceof Tensor)) throw new TypeError(`Model '${model.name}': input ${i} must be a Tensor, got ${typeof x}`);
  const want = t.shape;
  const ok = want.length === x.shape.length && want.every((d, k) => d === null || d === x.shape[k]);
  if (!ok) {
    throw new RangeError(`Model '${model.name}': input ${i} ('${t.name}') expects shape ${shapeToString(want)}, got [${x.shape.join(', ')}]`);
  }
}

type InboundRef = [string, number, number, Record<string, unknown>?];

interface SerializedModelLayer extends SerializedLayer {
  name?: string;
  inboundNodes?: InboundRef[][];
}

export function functionalFromConfig(config: LayerConfig): Model {
  const layersCfg = config['layers'] as SerializedModelLayer[] | undefined;
  if (!Array.isArray(layersCfg)) throw new TypeError('Model.fromConfig: config.layers must be an array');
  const created = new Map<string, Layer>();
  const outputsOf = new Map<string, SymbolicTensor[][]>(); // layer name → node index → outputs
  for (const lc of layersCfg) {
    const layer = deserializeLayer({ className: lc.className, config: { ...lc.config, name: lc.name ?? lc.config['name'] } });
    created.set(layer.name, layer);
    if (layer instanceof InputLayer) outputsOf.set(layer.name, [[layer.output]]);
  }
  // Apply layers node by node; a node waits until all its inbound tensors exist.
  const pending = layersCfg.flatMap((lc) => (lc.inboundNodes ?? []).map((nodeRefs, k) => ({ name: (lc.name ?? lc.config['name']) as string, k, nodeRefs })));
  let progress = true;
  while (pending.length && progress) {
    progress = false;
    for (let i = 0; i < pending.length; i++) {
      const p = pending[i]!;
      const done = outputsOf.get(p.name) ?? [];
      if (done.length !== p.k) continue;
      const ins = p.nodeRefs.map(([ln, ni, ti]) => outputsOf.get(ln)?.[ni]?.[ti]);
      if (ins.some((t) => t === undefined)) continue;
      const layer = created.get(p.name)!;
      const syms = ins as SymbolicTensor[];
      const out = layer.apply(syms.length === 1 && !isMergeLike(layer) ? syms[0]! : syms);
      done.push(Array.isArray(out) ? out : [out]);
      outputsOf.set(p.name, done);
      pending.splice(i, 1);
      i--;
      progress = true;
    }
  }
  if (pending.length) throw new Error(`Model.fromConfig: cannot resolve the inbound nodes of ${pending.map((p) => p.name).join(', ')}`);
  const pick = (refs: InboundRef[], what: string): SymbolicTensor[] =>
    refs.map(([ln, ni, ti]) => {
      const t = outputsOf.get(ln)?.[ni]?.[ti];
      if (!t) throw new Error(`Model.fromConfig: ${what} refers to unknown tensor ${ln}[${ni}][${ti}]`);
      return t;
    });
  return new Model({
    name: config['name'] as string | undefined,
    inputs: pick(config['inputLayers'] as InboundRef[], 'inputLayers'),
    outputs: pick(config['outputLayers'] as InboundRef[], 'outputLayers'),
  });
}

function isMergeLike(layer: Layer): boolean {
  const n = layer.getClassName();
  return ['Add', 'Subtract', 'Multiply', 'Average', 'Maximum', 'Minimum', 'Concatenate'].includes(n);
}

registerLayer(Model as unknown as { className: string; fromConfig(c: LayerConfig): Layer });

/** Functional model factory (TF.js `tf.model`). */
export function model(args: { inputs: SymbolicTensor | SymbolicTensor[]; outputs: SymbolicTensor | SymbolicTensor[]; name?: string }): Model {
  return new Model(args);
}
