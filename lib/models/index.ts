export { Model, model, functionalFromConfig, type ModelArgs, type PredictOptions, type LossFn, type TrainingForward } from './model.js';
export { Sequential, sequential, type SequentialArgs } from './sequential.js';
export { InputLayer, input, type InputArgs } from './input_layer.js';
export { summaryRows, type SummaryOptions, type SummaryRow } from './summary.js';
export { type ProfileReport, type LayerProfile, type ProfileOptions } from './profile.js';
export { convStackInfo, convOutputSize, layerReceptiveField, layerFlops, type StackLayerSpec, type StackLayerReport, type RF } from './receptive_field.js';
