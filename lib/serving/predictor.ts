/**
 * `createPredictor(model, options)`: the in-process serving API. Concurrent `predict(input)` calls are
 * coalesced by a Batcher into one batched model call; each caller gets exactly its own rows back.
 *
 *   const p = createPredictor(model, { maxBatchSize: 32, maxDelayMs: 2, maxQueue: 1024, timeoutMs: 1000 });
 *   const y = await p.predict(x);          // x: Tensor [n, ...inputShape] → Tensor [n, ...outputShape]
 *   await p.close();                       // finishes queued work, then refuses new requests
 */
import { Tensor, tensor } from '../tensor/index.js';
import { f32, pinStorage } from '../tensor/internal.js';
import type { BatchEvent, BatcherOptions, BatchResult, BatchRunner } from './batcher.js';
import { Batcher } from './batcher.js';
import { BadInputError } from './errors.js';
import { planRunner } from './plan_runner.js';

/** What the predictor needs of a model: batched inference on a Tensor. convkit's Model fits. */
export interface PredictableModel {
  predict(x: Tensor, opts?: { batchSize?: number }): Promise<Tensor | Tensor[]> | Tensor | Tensor[];
}

/** createPredictor's and `convkit serve`'s default `inlineMaxUs` (see PredictorOptions). */
export const DEFAULT_INLINE_MAX_US = 500;

export interface PredictorOptions extends BatcherOptions {
  /** Shape of one input sample; checked on every request (default: from the model's first input if known). */
  inputShape?: readonly (number | null)[];
  /**
   * A batch whose last run of its size took less than this many microseconds runs on the calling
   * (event-loop) thread instead of a worker thread (default 500; 0 = always off the event loop).
   * The round trip to a worker costs ~40 µs when the machine is idle, and on a loaded 2-core
   * machine far more: the libuv worker, the pool worker, the event loop and the clients then share
   * two cores, and a LeNet-5 batch of 16–32 that computes in ~150 µs came back after 350 µs at the
   * median and 1–1.6 ms at p90. A run this short blocks the loop less than one batching delay.
   * At most one such run per event-loop turn. Only for models that run through an inference plan.
   */
  inlineMaxUs?: number;
}

export interface Predictor {
  /** Predicts a batch `[n, ...inputShape]` (n ≥ 1); resolves to the model's output rows for it. */
  predict(x: Tensor, opts?: { timeoutMs?: number }): Promise<Tensor>;
  /** The same on plain data: `data` holds n × prod(sampleShape) floats. Used by the HTTP server. */
  predictArray(data: Float32Array, shape: readonly number[], opts?: { timeoutMs?: number }): Promise<BatchResult>;
  /** Samples waiting (not yet running). */
  readonly queueDepth: number;
  /** The input sample shape requests are checked against (null entries accept any size). */
  readonly inputShape: readonly (number | null)[] | undefined;
  /** Called after each batched model call. */
  onBatch?: (e: BatchEvent) => void;
  /** Runs everything queued, then rejects new requests with PredictorClosedError. */
  close(): Promise<void>;
}

/** The model's input sample shape when it declares one (functional/Sequential: inputs[0].shape without batch). */
export function modelInputShape(model: unknown): (number | null)[] | undefined {
  const inputs = (model as { inputs?: { shape?: readonly (number | null)[] }[] }).inputs;
  const s = Array.isArray(inputs) && inputs.length > 0 ? inputs[0]!.shape : undefined;
  return s ? [...s.slice(1)] : undefined;
}

export function modelRunner(model: PredictableModel): BatchRunner {
  return async (x, n, sampleShape) => {
    const input = tensor(x, [n, ...sampleShape]);
    let out: Tensor | Tensor[] | undefined;
    try {
      out = await model.predict(input, { batchSize: n });
      const y = Array.isArray(out) ? out[0]! : out;
      return { data: y.dataSync() as Float32Array, sampleShape: y.shape.slice(1) };
    } finally {
      input.dispose();
      if (Array.isArray(out)) for (const t of out) t.dispose();
      else out?.dispose();
    }
  };
}

// Plain loops: this runs on every request of a server (no temporary arrays on the happy path).
function checkShape(shape: readonly number[], want: readonly (number | null)[] | undefined): void {
  let ok = shape.length >= 2;
  for (let i = 0; ok && i < shape.length; i++) ok = Number.isInteger(shape[i]) && shape[i]! >= 1;
  if (!ok) throw new BadInputError(`input must have shape [n, ...sample] with positive sizes, got [${shape.join(', ')}]`);
  if (!want) return;
  ok = shape.length - 1 === want.length;
  for (let i = 0; ok && i < want.length; i++) ok = want[i] === null || want[i] === shape[i + 1];
  if (!ok) {
    throw new BadInputError(`input sample shape [${shape.slice(1).join(', ')}] does not match the model's input [${want.map((d) => d ?? '?').join(', ')}]`);
  }
}

export function createPredictor(model: PredictableModel | BatchRunner, opts: PredictorOptions = {}): Predictor {
  const inputShape = opts.inputShape ?? (typeof model === 'function' ? undefined : modelInputShape(model));
  // A graph model with a known sample shape runs through one preallocated plan (plan_runner.ts);
  // anything else through model.predict.
  const direct = typeof model === 'function' ? model : modelRunner(model);
  let planned: ReturnType<typeof planRunner> = null;
  const runner: BatchRunner = (x, n, s, lane) => (planned ?? direct)(x, n, s, lane);
  runner.stage = (n, s, lane) => (planned ?? direct).stage?.(n, s, lane);
  const batcher = new Batcher(runner, opts);
  const inlineMaxUs = opts.inlineMaxUs ?? DEFAULT_INLINE_MAX_US;
  if (!(Number.isFinite(inlineMaxUs) && inlineMaxUs >= 0 && inlineMaxUs <= 1e5)) {
    throw new RangeError(`createPredictor: inlineMaxUs must be a number of microseconds in 0..100000, got ${opts.inlineMaxUs}`);
  }
  if (typeof model !== 'function') planned = planRunner(model, inputShape, batcher.maxBatchSize, direct, batcher.concurrency, inlineMaxUs);
  const predictor: Predictor = {
    inputShape,
    get queueDepth() {
      return batcher.queueDepth;
    },
    predictArray(data, shape, o = {}) {
      try {
        checkShape(shape, inputShape);
      } catch (e) {
        return Promise.reject(e);
      }
      return batcher.submit(data, shape[0]!, shape.slice(1), o);
    },
    async predict(x, o = {}) {
      if (!(x instanceof Tensor)) throw new TypeError(`predictor.predict: x must be a Tensor, got ${typeof x}`);
      if (x.dtype !== 'float32') throw new BadInputError(`predictor.predict: x must be float32, got ${x.dtype}`);
      checkShape(x.shape, inputShape);
      // The batch reads x's own memory, pinned until the batcher lets it go (a dispose() meanwhile
      // is deferred; tensors are immutable, so nothing else writes it). A copy here cost a large
      // input more than the model: 1.7 ms median for ResNet-18's 224×224×3 sample on the 2-core
      // VM, nearly all of it page faults on the fresh 600 KB buffer (docs/PERFORMANCE.md).
      const r = await batcher.submit(f32(x), x.shape[0]!, x.shape.slice(1), o, pinStorage(x));
      return tensor(r.data, r.shape);
    },
    close: async () => {
      await batcher.close();
      planned?.dispose();
    },
  };
  batcher.onBatch = (e) => predictor.onBatch?.(e);
  return predictor;
}
