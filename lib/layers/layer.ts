/**
 * The Layer contract (Keras/TF.js): the constructor stores validated config only; `build(shape)`
 * creates weights through `addWeight`; `call(inputs, {training})` computes; `computeOutputShape`
 * is separate; `getConfig()` round-trips through `fromConfig`. `apply` is the public entry point
 * for both concrete Tensors (eager) and SymbolicTensors (functional graph building).
 */
import { Tensor } from '../tensor/index.js';
import { getInitializer, type Initializer, type SerializedInitializer } from '../initializers/index.js';
import type { Regularizer } from '../regularizers/index.js';
import { Node, SymbolicTensor } from './symbolic.js';
import { reserveName, toSnakeCase, uniqueName } from './naming.js';
import { type Shape, isShapeList, shapeToString } from './shape.js';
import { LayerVariable } from './variable.js';
import * as K from './backend.js';

export type LayerConfig = Record<string, unknown>;

export interface CallArgs {
  training?: boolean;
}

export interface LayerArgs {
  name?: string;
  trainable?: boolean;
  /** Input shape without the batch dimension (only meaningful on a model's first layer). */
  inputShape?: (number | null)[];
  batchInputShape?: Shape;
  batchSize?: number;
  dtype?: 'float32';
}

export type LayerInput = Tensor | Tensor[];
export type SymbolicInput = SymbolicTensor | SymbolicTensor[];

/** An error that names the layer, its class and the input shapes it got. */
export function layerError(layer: Layer, inputShapes: Shape | Shape[] | null, err: unknown): Error {
  const msg = err instanceof Error ? err.message : String(err);
  if (msg.startsWith(`Layer '`)) return err as Error;
  const where = `Layer '${layer.name}' (${layer.getClassName()})` + (inputShapes ? ` called on input shape ${shapeToString(inputShapes)}` : '');
  const Ctor = err instanceof TypeError ? TypeError : err instanceof RangeError ? RangeError : Error;
  const e = new Ctor(`${where}: ${msg}`);
  if (err instanceof Error) e.stack = `${e.name}: ${e.message}\n${(err.stack ?? '').split('\n').slice(1).join('\n')}`;
  return e;
}

export abstract class Layer {
  /** Keras class name; subclasses override with a static `className`. */
  static readonly className: string = 'Layer';
  readonly name: string;
  private ownTrainable: boolean;
  built = false;
  /** [null, ...inputShape] when given on construction. */
  readonly batchInputShape: Shape | null;
  protected readonly weightList: LayerVariable[] = [];
  /** Graph nodes where this layer was called (functional API). */
  readonly inboundNodes: Node[] = [];
  /** Shape(s) this layer was built with. */
  builtInputShape: Shape | Shape[] | null = null;
  /** Output shape(s) of the last call (batch as null), for summaries of subclassed models. */
  lastOutputShape: Shape | Shape[] | null = null;
  /** Input shape(s) of the last call (batch as null). */
  lastInputShape: Shape | Shape[] | null = null;

  constructor(args: LayerArgs = {}) {
    const cls = this.getClassName();
    if (args.name !== undefined) {
      if (typeof args.name !== 'string' || args.name.length === 0) {
        throw new TypeError(`${cls}: name must be a non-empty string, got ${JSON.stringify(args.name)}`);
      }
      this.name = args.name;
      reserveName(args.name);
    } else {
      this.name = uniqueName(toSnakeCase(cls));
    }
    this.ownTrainable = args.trainable ?? true;
    if (args.batchInputShape) this.batchInputShape = [...args.batchInputShape];
    else if (args.inputShape) this.batchInputShape = [args.batchSize ?? null, ...args.inputShape];
    else this.batchInputShape = null;
    if (args.dtype !== undefined && args.dtype !== 'float32') {
      throw new TypeError(`${cls} '${this.name}': dtype must be 'float32', got ${JSON.stringify(args.dtype)}`);
    }
  }

  getClassName(): string {
    return (this.constructor as typeof Layer).className;
  }

  get trainable(): boolean {
    return this.ownTrainable;
  }
  set trainable(v: boolean) {
    this.ownTrainable = v;
  }

  // ---- weights -------------------------------------------------------------------------------

  /** Creates a weight named `<layer>/<name>`; its value is materialised lazily. */
  protected addWeight(
    name: string,
    shape: number[],
    initializer: Initializer | string | SerializedInitializer | undefined,
    opts: { trainable?: boolean; regularizer?: Regularizer | null; defaultInitializer?: string } = {},
  ): LayerVariable {
    const init = getInitializer(initializer, opts.defaultInitializer ?? 'glorotUniform', `${this.name}/${name} initializer`);
    const v = new LayerVariable(`${this.name}/${name}`, shape, init, opts.trainable ?? true, opts.regularizer ?? null, () => this.trainable);
    this.weightList.push(v);
    return v;
  }

  /** All weights of this layer (and of nested layers, for models). */
  get weights(): LayerVariable[] {
    return [...this.weightList];
  }
  get trainableWeights(): LayerVariable[] {
    return this.weights.filter((w) => w.trainable);
  }
  get nonTrainableWeights(): LayerVariable[] {
    return this.weights.filter((w) => !w.trainable);
  }

  countParams(): number {
    return this.weights.reduce((n, w) => n + w.size, 0);
  }

  getWeights(): Tensor[] {
    return this.weights.map((w) => K.copy(w.read()));
  }

  setWeights(values: Tensor[]): void {
    const ws = this.weights;
    if (values.length !== ws.length) {
      throw new RangeError(`Layer '${this.name}' (${this.getClassName()}): setWeights expected ${ws.length} tensors, got ${values.length}`);
    }
    ws.forEach((w, i) => w.assign(values[i]!));
  }

  /** Penalties of this layer's regularized weights (differentiable, so they can join the loss). */
  regularizationLosses(): Tensor[] {
    return this.weights.filter((w) => w.regularizer && w.trainable).map((w) => w.regularizer!.apply(w.read()));
  }

  // ---- life cycle ----------------------------------------------------------------------------

  /** Creates the weights for inputs of `inputShape`. Subclasses call `super.build` last or set built. */
  build(inputShape: Shape | Shape[]): void {
    this.builtInputShape = inputShape;
    this.built = true;
  }

  /** Output shape for a given input shape; by default the identity. */
  computeOutputShape(inputShape: Shape | Shape[]): Shape | Shape[] {
    return inputShape;
  }

  /** The computation. No side effects apart from documented state updates (batch-norm statistics). */
  abstract call(inputs: LayerInput, kwargs: CallArgs): LayerInput;

  /** Checks an input shape before build/call; throws RangeError naming the problem. */
  protected validateInputShape(_inputShape: Shape | Shape[]): void {}

  apply(inputs: SymbolicTensor, kwargs?: CallArgs): SymbolicTensor;
  apply(inputs: SymbolicTensor[], kwargs?: CallArgs): SymbolicTensor | SymbolicTensor[];
  apply(inputs: Tensor, kwargs?: CallArgs): Tensor;
  apply(inputs: Tensor[], kwargs?: CallArgs): Tensor | Tensor[];
  apply(inputs: LayerInput, kwargs?: CallArgs): LayerInput;
  apply(inputs: SymbolicInput, kwargs?: CallArgs): SymbolicInput;
  apply(inputs: LayerInput | SymbolicInput, kwargs?: CallArgs): LayerInput | SymbolicInput;
  apply(inputs: LayerInput | SymbolicInput, kwargs: CallArgs = {}): LayerInput | SymbolicInput {
    const list = Array.isArray(inputs) ? inputs : [inputs];
    if (list.length === 0) throw layerError(this, null, new RangeError('called with an empty list of inputs'));
    const symbolic = list.every((t) => t instanceof SymbolicTensor);
    if (!symbolic && list.some((t) => t instanceof SymbolicTensor)) {
      throw layerError(this, null, new TypeError('inputs mix SymbolicTensors and concrete Tensors'));
    }
    const shapes: Shape[] = list.map((t) =>
      t instanceof SymbolicTensor ? [...t.shape] : [null, ...(t as Tensor).shape.slice(1)],
    );
    const shapeArg: Shape | Shape[] = Array.isArray(inputs) ? shapes : shapes[0]!;
    this.ensureBuilt(shapeArg, list.length > 0 && !symbolic ? (list as Tensor[]).map((t) => [...t.shape]) : null);
    if (symbolic) {
      const out = this.applySymbolic(list as SymbolicTensor[], Array.isArray(inputs), shapeArg, kwargs);
      this.lastInputShape = shapeArg;
      this.lastOutputShape = Array.isArray(out) ? out.map((t) => [...t.shape]) : [...out.shape];
      return out;
    }
    try {
      const out = this.call(inputs as LayerInput, kwargs);
      const outs = Array.isArray(out) ? out : [out];
      const os = outs.map((t): Shape => [null, ...t.shape.slice(1)]);
      this.lastOutputShape = Array.isArray(out) ? os : os[0]!;
      this.lastInputShape = shapeArg;
      return out;
    } catch (err) {
      throw layerError(this, (list as Tensor[]).map((t) => [...t.shape]).length === 1 ? [...(list[0] as Tensor).shape] : (list as Tensor[]).map((t) => [...t.shape]), err);
    }
  }

  private ensureBuilt(shapeArg: Shape | Shape[], concrete: Shape[] | null): void {
    try {
      this.validateInputShape(shapeArg);
      if (!this.built) this.build(shapeArg);
    } catch (err) {
      throw layerError(this, concrete ? (concrete.length === 1 ? concrete[0]! : concrete) : shapeArg, err);
    }
  }

  private applySymbolic(list: SymbolicTensor[], isList: boolean, shapeArg: Shape | Shape[], kwargs: CallArgs): SymbolicTensor | SymbolicTensor[] {
    let outShape: Shape | Shape[];
    try {
      outShape = this.computeOutputShape(shapeArg);
    } catch (err) {
      throw layerError(this, shapeArg, err);
    }
    const node = new Node(this, list, isList, { ...kwargs });
    this.inboundNodes.push(node);
    const outShapes = isShapeList(outShape) ? outShape : [outShape];
    node.outputs = outShapes.map((s, i) => new SymbolicTensor(s, 'float32', node, i, `${this.name}/out${i === 0 ? '' : i}`));
    return isShapeList(outShape) ? node.outputs : node.outputs[0]!;
  }

  /** Keras-style config (camelCase); `fromConfig(getConfig())` makes an equivalent layer. */
  getConfig(): LayerConfig {
    const cfg: LayerConfig = { name: this.name, trainable: this.trainable, dtype: 'float32' };
    if (this.batchInputShape) cfg['batchInputShape'] = [...this.batchInputShape];
    return cfg;
  }

  /** Default fromConfig: `new this(config)`; layers whose constructor differs override it. */
  static fromConfig<T extends Layer>(this: new (args: LayerConfig) => T, config: LayerConfig): T {
    return new this(config);
  }

  /** Whether `t` is a concrete tensor (helper for subclasses). */
  protected static isTensor(t: unknown): t is Tensor {
    return t instanceof Tensor;
  }

  /** Frees weight memory. */
  dispose(): void {
    for (const w of this.weightList) w.dispose();
  }
}

/** Shape helper for single-input layers. */
export function singleShape(layer: Layer, s: Shape | Shape[]): Shape {
  if (isShapeList(s)) {
    if (s.length !== 1) throw new RangeError(`expects a single input, got ${s.length}`);
    return s[0]!;
  }
  return s;
}

/** Single-input helper for `call`. */
export function singleInput(inputs: LayerInput): Tensor {
  if (Array.isArray(inputs)) {
    if (inputs.length !== 1) throw new RangeError(`expects a single input tensor, got a list of ${inputs.length}`);
    return inputs[0]!;
  }
  return inputs;
}

export function checkRank(shape: Shape, expected: number | { min: number }, what = 'input'): void {
  if (typeof expected === 'number' ? shape.length !== expected : shape.length < expected.min) {
    const want = typeof expected === 'number' ? `rank ${expected}` : `rank >= ${expected.min}`;
    throw new RangeError(`expected ${what} of ${want} (batch included), got shape ${shapeToString(shape)}`);
  }
}

export function lastDim(shape: Shape, layer: Layer, what = 'last'): number {
  const d = shape[shape.length - 1];
  if (d === null || d === undefined) {
    throw new RangeError(`the ${what} dimension of the input must be known, got shape ${shapeToString(shape)} (${layer.name})`);
  }
  return d;
}
