/**
 * Symbolic tensors of the functional API: a shape (batch = null) plus the graph node that made
 * it. Calling a layer on SymbolicTensors records a Node instead of computing anything.
 */
import type { Layer } from './layer.js';
import type { Shape } from './shape.js';

let nextId = 0;

export class SymbolicTensor {
  readonly id = nextId++;
  constructor(
    readonly shape: Shape,
    readonly dtype: 'float32' | 'int32',
    /** The node whose output this is (an InputLayer node for model inputs). */
    readonly node: Node,
    readonly outputIndex: number,
    readonly name: string,
  ) {}
  get rank(): number {
    return this.shape.length;
  }
  get sourceLayer(): Layer {
    return this.node.layer;
  }
}

/** One call of a layer in a graph: which symbolic tensors went in and which came out. */
export class Node {
  outputs: SymbolicTensor[] = [];
  constructor(
    readonly layer: Layer,
    readonly inputs: SymbolicTensor[],
    /** Whether the layer was called with a list (merge layers) rather than a single tensor. */
    readonly inputIsList: boolean,
    readonly callKwargs: Record<string, unknown>,
  ) {}
}
