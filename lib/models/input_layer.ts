/** InputLayer and `input({shape})`: the entry points of a functional graph. */
import type { Tensor } from '../tensor/index.js';
import { type CallArgs, Layer, type LayerConfig, type LayerInput } from '../layers/layer.js';
import { registerLayer } from '../layers/registry.js';
import type { Shape } from '../layers/shape.js';
import { Node, SymbolicTensor } from '../layers/symbolic.js';

export interface InputArgs {
  /** Shape without the batch dimension; null for unknown sizes. */
  shape?: (number | null)[];
  batchShape?: Shape;
  batchSize?: number;
  name?: string;
  dtype?: 'float32';
}

export class InputLayer extends Layer {
  static override readonly className: string = 'InputLayer';
  readonly output: SymbolicTensor;
  constructor(args: InputArgs & { batchInputShape?: Shape }) {
    const batchShape = args.batchInputShape ?? args.batchShape ?? (args.shape ? [args.batchSize ?? null, ...args.shape] : null);
    if (!batchShape) throw new RangeError('input(): shape is required (the shape of one sample, without the batch dimension)');
    for (const d of batchShape.slice(1)) {
      if (d !== null && (!Number.isInteger(d) || d < 1)) {
        throw new RangeError(`input(): shape must hold positive integers or null, got ${JSON.stringify(args.shape ?? batchShape.slice(1))}`);
      }
    }
    super({ name: args.name, batchInputShape: batchShape, dtype: args.dtype });
    const node = new Node(this, [], false, {});
    this.inboundNodes.push(node);
    this.output = new SymbolicTensor([...batchShape], 'float32', node, 0, this.name);
    node.outputs = [this.output];
    this.built = true;
  }
  override call(inputs: LayerInput, _kwargs: CallArgs): Tensor | Tensor[] {
    return inputs;
  }
  override getConfig(): LayerConfig {
    return { batchInputShape: this.batchInputShape, dtype: 'float32', sparse: false, name: this.name };
  }
}
registerLayer(InputLayer);

/** A symbolic model input (Keras `Input`, TF.js `tf.input`). */
export function input(args: InputArgs): SymbolicTensor {
  return new InputLayer(args).output;
}
