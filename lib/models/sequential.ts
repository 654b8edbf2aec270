/**
 * Sequential: a linear stack. The graph is built as soon as the input shape is known — from
 * `inputShape`/`batchInputShape` on the first layer, an `input()`-made InputLayer added first, or
 * the first tensor passed to it — and grows with each `add()`.
 */
import type { Tensor } from '../tensor/index.js';
import { type CallArgs, Layer, type LayerConfig, type LayerInput } from '../layers/layer.js';
import { deserializeLayer, registerLayer, serializeLayer, type SerializedLayer } from '../layers/registry.js';
import { isShapeList, type Shape } from '../layers/shape.js';
import type { SymbolicTensor } from '../layers/symbolic.js';
import { InputLayer } from './input_layer.js';
import { Model } from './model.js';

export interface SequentialArgs {
  layers?: Layer[];
  name?: string;
}

export class Sequential extends Model {
  static override readonly className: string = 'Sequential';
  private stack: Layer[] = [];
  private inputLayer: InputLayer | null = null;
  private current: SymbolicTensor | null = null;

  constructor(args: SequentialArgs = {}) {
    super({ name: args.name });
    for (const l of args.layers ?? []) this.add(l);
  }

  /** Appends a layer (or a model used as a layer). */
  add(layer: Layer): void {
    if (!(layer instanceof Layer)) throw new TypeError(`Sequential '${this.name}': add() expects a Layer, got ${typeof layer}`);
    if (layer instanceof InputLayer) {
      if (this.stack.length > 0 || this.inputLayer) throw new Error(`Sequential '${this.name}': an InputLayer can only be added first`);
      this.inputLayer = layer;
      this.current = layer.output;
      return;
    }
    if (this.stack.some((l) => l.name === layer.name)) {
      throw new Error(`Sequential '${this.name}': a layer named '${layer.name}' is already in the model; names must be unique`);
    }
    this.stack.push(layer);
    if (!this.current && this.stack.length === 1 && layer.batchInputShape) {
      this.inputLayer = new InputLayer({ batchInputShape: layer.batchInputShape, name: `${layer.name}_input` });
      this.current = this.inputLayer.output;
    }
    if (this.current) this.extend(layer);
  }

  private extend(layer: Layer): void {
    const out = layer.apply(this.current!);
    if (Array.isArray(out)) throw new Error(`Sequential '${this.name}': layer '${layer.name}' returns several tensors; use a functional model`);
    this.current = out;
    this.setGraph(this.inputLayer!.output, out);
  }

  /** Removes the last layer. */
  pop(): void {
    if (this.stack.length === 0) throw new Error(`Sequential '${this.name}': pop() on an empty model`);
    this.stack.pop();
    const layers = this.stack;
    const inputLayer = this.inputLayer;
    this.stack = [];
    this.current = inputLayer ? inputLayer.output : null;
    this.graph = null;
    for (const l of layers) {
      this.stack.push(l);
      if (this.current) this.extend(l);
    }
  }

  /** Keras: Sequential.layers excludes the InputLayer. */
  override get layers(): Layer[] {
    return [...this.stack];
  }

  override build(inputShape: Shape | Shape[]): void {
    if (this.graph) return;
    if (isShapeList(inputShape)) throw new Error(`Sequential '${this.name}' takes a single input`);
    this.inputLayer = new InputLayer({ batchInputShape: inputShape, name: `${this.stack[0]?.name ?? this.name}_input` });
    this.current = this.inputLayer.output;
    if (this.stack.length === 0) throw new Error(`Sequential '${this.name}' has no layers`);
    for (const l of this.stack) this.extend(l);
  }

  override call(inputs: LayerInput, kwargs: CallArgs): LayerInput {
    if (!this.graph) this.build([null, ...(Array.isArray(inputs) ? inputs[0]! : inputs).shape.slice(1)]);
    return super.call(inputs, kwargs);
  }

  override getConfig(): LayerConfig {
    return {
      name: this.name,
      layers: [
        ...(this.inputLayer ? [serializeLayer(this.inputLayer)] : []),
        ...this.stack.map((l) => serializeLayer(l)),
      ],
    };
  }

  static override fromConfig<T extends Layer>(this: new (args: LayerConfig) => T, config: LayerConfig): T {
    const m = new Sequential({ name: config['name'] as string | undefined });
    for (const lc of (config['layers'] as SerializedLayer[]) ?? []) m.add(deserializeLayer(lc));
    return m as unknown as T;
  }
}
registerLayer(Sequential as unknown as { className: string; fromConfig(c: LayerConfig): Layer });

/** TF.js `tf.sequential({layers})` (also accepts a plain array of layers). */
export function sequential(args: SequentialArgs | Layer[] = {}): Sequential {
  return new Sequential(Array.isArray(args) ? { layers: args } : args);
}

export type { Tensor };
