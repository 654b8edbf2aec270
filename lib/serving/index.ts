export type { BatchEvent, BatcherOptions, BatchResult, BatchRunner } from './batcher.js';
export { Batcher } from './batcher.js';
export type { Predictor, PredictorOptions, PredictableModel } from './predictor.js';
export { createPredictor, modelRunner, modelInputShape } from './predictor.js';
export type { PredictorErrorCode } from './errors.js';
export { PredictorError, QueueFullError, PredictTimeoutError, PredictorClosedError, BadInputError } from './errors.js';
export type { ModelServer, ServerOptions } from './server.js';

import type { Predictor } from './predictor.js';
import type { ModelServer, ServerOptions } from './server.js';

/**
 * The HTTP front `convkit serve` uses (TF Serving REST, KServe v2, raw float32 and image bodies,
 * /healthz, /readyz, /metrics) over any predictor: a model's, or one over a custom BatchRunner.
 * The web framework is loaded on first use, so programs that only predict in-process never load it.
 *   const server = await createHttpServer(createPredictor(model), { name: 'digits' });
 *   const url = await server.listen(8501, '127.0.0.1');   // ... await server.close();
 */
export async function createHttpServer(predictor: Predictor, opts: ServerOptions): Promise<ModelServer> {
  const { createServer } = await import('./server.js');
  return createServer(predictor, opts);
}
