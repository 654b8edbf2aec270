// convkit's public API. Everything users import comes from here.
export * from './tensor/index.js';
export { setSeed, Rng } from './random/index.js';
export {
  backendInfo,
  setNumThreads,
  getNumThreads,
  setIsa,
  getIsa,
  memory,
  releaseCachedMemory,
  type BackendInfo,
  type MemoryInfo,
} from './backend.js';
export type { IsaName } from './native/index.js';
export { setOpRecorder, deferredStats, setDeferredExecution, runDeferred, type OpRecord, type OpRecorder, type OpAttrs } from './engine/index.js';
export * from './ops/index.js';

// Layers, models, autodiff (layers team): TF.js-style namespaces and entry points.
export * as layers from './layers/index.js';
export * as initializers from './initializers/index.js';
export * as regularizers from './regularizers/index.js';
export * as activations from './activations/index.js';
export * as zoo from './zoo/index.js';
export { Layer, LayerVariable, SymbolicTensor, type LayerArgs, type CallArgs, type LayerConfig, type Shape } from './layers/index.js';
export { registerLayer, getLayerClass, deserializeLayer, serializeLayer } from './layers/index.js';
export {
  Model, Sequential, InputLayer, model, sequential, input, convStackInfo, convOutputSize,
  type ModelArgs, type PredictOptions, type LossFn, type ProfileReport, type SummaryOptions,
} from './models/index.js';
// Native inference plans (predict/predictSync use them automatically; these are the controls).
export {
  InferencePlan, PlanUnsupported, inferencePlanStatus, invalidateInferencePlans, setInferencePlanEnabled, plannableLayerClasses,
  type InferencePlanInfo, type InferencePlanStatus,
} from './plan/index.js';
export { grad, grads, valueAndGrad, valueAndGrads, variableGrads, keep, tidy, registerGradient } from './autodiff/index.js';
export { registerNonDifferentiable, registerNoGradient, gradientStatus, type GradientStatus } from './autodiff/index.js';

// Training (training team): optimizers, losses, metrics, schedules, callbacks; importing this also
// installs compile/fit/evaluate/trainOnBatch/testOnBatch on Model.
export * as training from './training/index.js';
export {
  optimizers, losses, metrics, schedules, Optimizer, SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta, Nadam,
  Loss, Metric, LearningRateSchedule, Callback, History, ProgbarLogger, EarlyStopping, ReduceLROnPlateau,
  ModelCheckpoint, CSVLogger, TerminateOnNaN, setStepCapture, stepCaptureStats,
  type CompileArgs, type FitArgs, type EvaluateArgs, type FitHistory, type Logs,
} from './training/index.js';

// CLI, datasets, serving (CLI team).
export { runCli } from './cli/main.js';
export * as data from './data/index.js';
export { loadDataset, DatasetError, type ArrayDataset, type DatasetSplits } from './data/index.js';
export {
  createPredictor, createHttpServer, Batcher, PredictorError, QueueFullError, PredictTimeoutError, PredictorClosedError, BadInputError,
  type Predictor, type PredictorOptions, type PredictableModel, type BatchResult, type BatchEvent, type PredictorErrorCode,
  type BatchRunner, type ModelServer, type ServerOptions,
} from './serving/index.js';

// Convolution, pooling and zero padding ops (conv engineer).
export * from './ops/conv.js';
export * from './ops/pool.js';
export * from './ops/pad.js';

// Matrix product (GEMM engineer).
export { matmul, matmulAsync, type MatmulOptions } from './ops/matmul.js';
export { packMatmulWeights, PackedMatrix, type PackOptions } from './ops/matmul_packed.js';

// Keras file formats (io engineer): loadModel / model.save / saveWeights / loadWeights.
import { Model as ModelForIo } from './models/index.js';
import { installModelIo } from './io/index.js';
installModelIo(ModelForIo);
export {
  loadModel, loadModelWithInfo, saveModel, saveWeights, loadWeights, readModelFile, ModelFormatError, DEFAULT_LIMITS,
  type LoadModelOptions, type LoadedModelInfo, type SaveOptions, type SaveFormat, type LoadLimits, type ModelFormatErrorCode,
} from './io/index.js';
