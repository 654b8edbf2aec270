/**
 * Typed snake_case shapes of Keras model configs as they appear in real files (Keras 2.0 … 3.x and the
 * TF.js converter). These describe the FILE side only; runtime layer classes have their own camelCase
 * configs (see ./case.ts for the single converter between the two). Keep both Keras generations here so
 * the parser can narrow by shape rather than by version string.
 */

export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | JsonValue[] | { [k: string]: JsonValue };
export type JsonObject = { [k: string]: JsonValue };

/** `{class_name, config}` wrapper used for initializers, regularizers, constraints, dtype policies. */
export interface KerasSerialized {
  class_name: string;
  config: JsonObject;
  module?: string | null;
  registered_name?: string | null;
}

/** Keras 3 DTypePolicy object; Keras 2 writes a plain string such as "float32". */
export interface KerasDTypePolicy {
  module?: string;
  class_name: 'DTypePolicy' | 'Policy' | 'FloatDTypePolicy' | string;
  config: { name: string };
  registered_name?: string | null;
}
export type KerasDType = string | KerasDTypePolicy;

/** Reference to a tensor produced by a layer call: [layer_name, node_index, tensor_index(, kwargs)]. */
export type KerasNodeRef = [string, number, number] | [string, number, number, JsonObject];

/** Keras 2: one call node = list of input refs. */
export type Keras2InboundNode = KerasNodeRef[];

/** Keras 3 symbolic tensor in inbound_nodes.args. */
export interface Keras3TensorArg {
  class_name: '__keras_tensor__';
  config: { shape: (number | null)[]; dtype: string; keras_history: [string, number, number] };
}
/** Keras 3: one call node = positional args (tensors, lists of tensors, or constants) + kwargs. */
export interface Keras3InboundNode {
  args: JsonValue[];
  kwargs: JsonObject;
}

export interface KerasLayerConfigBase {
  name: string;
  trainable?: boolean;
  dtype?: KerasDType;
  /** Keras 2: only meaningful on the first layer of a Sequential or on an InputLayer. */
  batch_input_shape?: (number | null)[];
  /** Keras 3 InputLayer. */
  batch_shape?: (number | null)[];
  [k: string]: JsonValue | KerasDType | undefined;
}

export interface KerasLayerJson {
  class_name: string;
  config: KerasLayerConfigBase;
  /** Functional models: the layer's name at the outer level (Keras 2 also repeats it inside config). */
  name?: string;
  inbound_nodes?: (Keras2InboundNode | Keras3InboundNode)[];
  module?: string | null;
  registered_name?: string | null;
  build_config?: { input_shape?: JsonValue } | null;
}

export interface KerasSequentialConfig {
  name?: string;
  layers: KerasLayerJson[];
  trainable?: boolean;
  dtype?: KerasDType;
  build_input_shape?: JsonValue;
}

/** `input_layers`/`output_layers`: a list of refs, or (Keras 3, single entry) one un-nested ref. */
export type KerasIoRefs = KerasNodeRef[] | [string, number, number];

export interface KerasFunctionalConfig {
  name?: string;
  layers: KerasLayerJson[];
  input_layers: KerasIoRefs;
  output_layers: KerasIoRefs;
  trainable?: boolean;
}

/** Top level of `model_config`, `model.to_json()`, `config.json`, TF.js `modelTopology.model_config`. */
export interface KerasModelJson {
  class_name: 'Sequential' | 'Model' | 'Functional' | string;
  /** Keras <= 2.2 Sequential: a bare list of layers. */
  config: KerasSequentialConfig | KerasFunctionalConfig | KerasLayerJson[];
  keras_version?: string;
  backend?: string;
  module?: string | null;
  registered_name?: string | null;
  build_config?: JsonValue;
  compile_config?: JsonValue;
}

/** `training_config` attribute of legacy HDF5 files (Keras 2 and 3). */
export interface KerasTrainingConfig {
  optimizer_config?: KerasSerialized;
  loss?: JsonValue;
  metrics?: JsonValue;
  weighted_metrics?: JsonValue;
  loss_weights?: JsonValue;
}

/** Keras 3 `.keras` metadata.json. */
export interface KerasMetadataJson {
  keras_version: string;
  date_saved?: string;
}

/** TF.js layers-model `model.json`. */
export interface TfjsWeightEntry {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32' | 'bool' | string;
  quantization?: JsonObject;
}
export interface TfjsWeightGroup {
  paths: string[];
  weights: TfjsWeightEntry[];
}
export interface TfjsModelJson {
  format?: 'layers-model' | string;
  generatedBy?: string;
  convertedBy?: string | null;
  modelTopology: { keras_version?: string; backend?: string; model_config?: KerasModelJson; training_config?: JsonValue } | KerasModelJson;
  weightsManifest: TfjsWeightGroup[];
}
