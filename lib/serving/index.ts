export type { BatchEvent, BatcherOptions, BatchResult, BatchRunner } from './batcher.js';
export { Batcher } from './batcher.js';
export type { Predictor, PredictorOptions, PredictableModel } from './predictor.js';
export { createPredictor, modelRunner, modelInputShape } from './predictor.js';
export type { PredictorErrorCode } from './errors.js';
export { PredictorError, QueueFullError, PredictTimeoutError, PredictorClosedError, BadInputError } from './errors.js';
