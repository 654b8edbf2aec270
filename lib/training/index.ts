// lib/training: optimizers, losses, metrics, schedules, callbacks and the fit loop.
export * from './optimizers.js';
export * from './losses.js';
export * from './metrics.js';
export * from './schedules.js';
export * from './callbacks/index.js';
export type { Logs, TrainingModel, TrainingParams, Verbosity } from './types.js';
export { lossOp, type LossOpCapture } from './loss_op.js';
export type { CompileArgs, FitArgs, EvaluateArgs, BatchArgs, FitHistory } from './model_training.js';
export { stepCaptureProfile } from './model_training.js';
export type { DatasetLike, DatasetElement } from './data.js';
export { setStepCapture, stepCaptureStats, type JobTimes } from './step_capture.js';
import './model_training.js';
