// lib/training: optimizers, losses, metrics, schedules, callbacks and the fit loop.
export * from './optimizers.js';
export * from './losses.js';
export * from './metrics.js';
export * from './schedules.js';
export * from './callbacks/index.js';
export type { Logs, TrainingModel, TrainingParams, Verbosity } from './types.js';
