/**
 * convkit's neutral in-memory form of a model file: a normalized config tree plus ordered weight arrays.
 * Every reader produces this, every writer consumes it; mapping onto runtime models happens elsewhere.
 *
 * The config keeps Keras's snake_case keys and class names (so it round-trips to any Keras flavour) but
 * removes the historical variations: Sequential as a bare list, `batch_input_shape` vs `batch_shape`,
 * Keras 2 vs Keras 3 `inbound_nodes`, dtype policies as objects, un-nested single `input_layers`,
 * and the "+1" node index of nested models.
 */
import type { JsonObject, JsonValue } from './types.js';

/** A reference to output `tensor` of the `node`-th call (0-based, in `inbound` order) of layer `layer`. */
export interface NTensorRef {
  layer: string;
  node: number;
  tensor: number;
  /** Shape and dtype of that tensor, when known (Keras 3 `__keras_tensor__` refs; convkit's live graph). */
  shape?: (number | null)[];
  dtype?: string;
  /**
   * True for refs read from a Keras 3 call node (`args`): their node index was never offset for nested
   * functional models (keras functional.py serialize_node), unlike Keras 2 refs and input/output refs.
   */
  unshifted?: boolean;
}

export interface NLayer {
  /** Keras class name, e.g. "Conv2D". Nested models are "Sequential" or "Functional". */
  className: string;
  name: string;
  /** snake_case layer config without `name`, `batch_input_shape`/`batch_shape` (except InputLayer) and with dtype as a string. */
  config: JsonObject;
  /** One entry per call of the layer (functional models only); each the list of its input tensors. */
  inbound: NTensorRef[][];
  /** Keyword arguments of each call, when not empty (kept for writers; tensors in kwargs are not supported). */
  callKwargs?: (JsonObject | null)[];
  /** Per call: whether the layer was called with a list of tensors (merge layers) rather than one tensor. */
  inputIsList?: boolean[];
  /** Keras 3 `build_config.input_shape` (the shape the layer was built for), when known. */
  buildInputShape?: JsonValue;
  /** Present when the layer is itself a model. */
  model?: NModel;
}

export interface NModel {
  kind: 'Sequential' | 'Functional';
  name: string;
  layers: NLayer[];
  /** Functional: graph inputs/outputs. Sequential: empty. */
  inputs: NTensorRef[];
  outputs: NTensorRef[];
  /** Sequential: batch input shape, if the file gives one (first layer's batch_input_shape or InputLayer). */
  batchInputShape: (number | null)[] | null;
  /** Sequential: name of its InputLayer if the file had one. */
  inputName: string | null;
  inputDtype: string | null;
  trainable: boolean;
}

export interface NWeight {
  /** Name as stored in the file (for messages and writers), e.g. "conv2d_1/kernel:0". */
  name: string;
  shape: number[];
  data: Float32Array;
}

/** Weights of one leaf layer, addressed by its path inside the model (nested: "sequential_1/conv2d_1"). */
export interface NLayerWeights {
  path: string;
  className: string;
  weights: NWeight[];
}

export type NeutralFormat = 'h5-legacy' | 'h5-weights' | 'keras-v3' | 'weights-h5-v3' | 'tfjs-layers' | 'json-config';

/**
 * A file's training configuration as stored (Keras names and snake_case configs). `optimizer` is a
 * `{class_name, config}` object or, in Keras 2.15 `.keras` files, a bare name such as "adam".
 */
export interface NCompile {
  optimizer: JsonValue | null;
  loss: JsonValue | null;
  metrics: JsonValue | null;
  lossWeights?: JsonValue | null;
  weightedMetrics?: JsonValue | null;
}

export interface NeutralModel {
  format: NeutralFormat;
  kerasVersion: string | null;
  backend: string | null;
  model: NModel;
  /** Leaf layers that have weights, in model (topological) order. */
  weights: NLayerWeights[];
  compile: NCompile | null;
}

export function paramCount(w: NLayerWeights): number {
  let n = 0;
  for (const x of w.weights) n += x.data.length;
  return n;
}
