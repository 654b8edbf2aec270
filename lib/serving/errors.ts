/**
 * Typed errors of the predictor, each with a stable `code` for programs and the HTTP status the server
 * maps it to: the queue is full (backpressure → 503), the request's deadline passed (→ 504), the
 * predictor is closed (→ 503), the input does not fit the model (→ 400).
 */
export type PredictorErrorCode = 'QUEUE_FULL' | 'TIMEOUT' | 'CLOSED' | 'BAD_INPUT';

export class PredictorError extends Error {
  readonly code: PredictorErrorCode;
  readonly httpStatus: number;
  constructor(code: PredictorErrorCode, httpStatus: number, message: string) {
    super(message);
    this.name = 'PredictorError';
    this.code = code;
    this.httpStatus = httpStatus;
  }
}

export class QueueFullError extends PredictorError {
  constructor(queued: number, maxQueue: number, wanted: number) {
    super('QUEUE_FULL', 503, `predictor queue is full: ${queued} samples queued, room for ${maxQueue}, request has ${wanted}; retry later`);
    this.name = 'QueueFullError';
  }
}

export class PredictTimeoutError extends PredictorError {
  constructor(timeoutMs: number) {
    super('TIMEOUT', 504, `prediction did not finish within ${timeoutMs} ms`);
    this.name = 'PredictTimeoutError';
  }
}

export class PredictorClosedError extends PredictorError {
  constructor() {
    super('CLOSED', 503, 'predictor is closed (shutting down)');
    this.name = 'PredictorClosedError';
  }
}

export class BadInputError extends PredictorError {
  constructor(message: string) {
    super('BAD_INPUT', 400, message);
    this.name = 'BadInputError';
  }
}
