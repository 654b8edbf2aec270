/**
 * Dynamic batching: concurrent requests (each one or more samples of the same shape) wait in a queue
 * per sample shape; a batch is dispatched when it reaches `maxBatchSize` samples, when the oldest
 * request has waited `maxDelayMs`, or at once when the runner becomes idle with work queued (so a busy
 * server forms large batches and an idle one adds at most `maxDelayMs` of latency).
 *
 * By default one batch runs at a time: the native thread pool already uses every core for it, and a
 * second batch would only fight it for them. With `concurrency` k > 1 up to k batches run at once,
 * each in its own lane (numbered 0..k-1, so a runner keeps a plan and buffers per lane), which a
 * plan runner runs on one core each — TF Serving's num_batch_threads, or onnxruntime's overlapping
 * Run calls. That pays when a batch cannot use every core well: single requests without batching,
 * small models whose per-batch overheads (thread wake-ups, the event loop) then overlap.
 *
 * The batcher works on plain float32 arrays and knows nothing of models; `predictor.ts` adapts a model.
 */
import { shapesEqual } from '../tensor/shape.js';
import { BadInputError, PredictTimeoutError, PredictorClosedError, QueueFullError } from './errors.js';

/**
 * Runs `n` samples packed in `x` (n × prod(sampleShape) floats); resolves to n × prod(outShape)
 * floats, which the batcher reads (copying each caller's rows) before it starts another batch, so a
 * runner may return a view of a buffer it reuses. `stage`, when present, lends the buffer a batch of
 * several requests is copied into (n × prod(sampleShape) floats, or undefined for a fresh array);
 * it must stay untouched until that batch's run resolves.
 */
export type BatchRunner = ((x: Float32Array, n: number, sampleShape: readonly number[], lane: number) => Promise<{ data: Float32Array; sampleShape: readonly number[]; inline?: boolean }>) & {
  stage?: (n: number, sampleShape: readonly number[], lane: number) => Float32Array | undefined;
};

export interface BatcherOptions {
  /** Largest number of samples in one batch (default 32). A single larger request runs as its own batch. */
  maxBatchSize?: number;
  /** Longest time the first request of a batch waits for others, in ms (default 2). 0 = no waiting. */
  maxDelayMs?: number;
  /** Most samples allowed to wait (not yet running); beyond, predict rejects at once (default 1024). */
  maxQueue?: number;
  /** Per-request deadline from submission, in ms (default: none). */
  timeoutMs?: number;
  /**
   * Batches that may run at once (default 1), each in its own lane; a model's plan runner then runs
   * each on one core, with a plan (weights and activations) per lane. See the module comment.
   */
  concurrency?: number;
}

export interface BatchEvent {
  readonly size: number;
  readonly requests: number;
  readonly ms: number;
  /** The batch ran on the event-loop thread (a plan run shorter than the predictor's inlineMaxUs). */
  readonly inline?: boolean;
  readonly error?: unknown;
}

export interface BatchResult {
  readonly data: Float32Array;
  /** [n, ...output sample shape] */
  readonly shape: readonly number[];
}

interface Pending {
  readonly x: Float32Array;
  readonly n: number;
  readonly key: string;
  readonly sampleShape: readonly number[];
  readonly enqueuedAt: number;
  resolve(r: BatchResult): void;
  reject(e: unknown): void;
  timer?: NodeJS.Timeout;
  /** queued → running → done; a timeout in 'queued' removes the request from its queue. */
  state: 'queued' | 'running' | 'done';
  /** Called once when the batcher no longer reads `x` (see submit's `release`). */
  release?: () => void;
}

interface Shape {
  readonly dims: readonly number[];
  readonly key: string;
  readonly per: number;
}

interface Queue {
  readonly items: Pending[];
  samples: number;
  timer?: NodeJS.Timeout;
}

function positiveInt(name: string, v: number | undefined, dflt: number, allowZero = false): number {
  if (v === undefined) return dflt;
  if (!Number.isInteger(v) || v < (allowZero ? 0 : 1)) throw new RangeError(`createPredictor: ${name} must be an integer ≥ ${allowZero ? 0 : 1}, got ${v}`);
  return v;
}

export class Batcher {
  readonly maxBatchSize: number;
  readonly maxDelayMs: number;
  readonly maxQueue: number;
  readonly timeoutMs: number | undefined;
  readonly concurrency: number;
  private readonly queues = new Map<string, Queue>();
  private readonly order: string[] = [];
  private queued = 0;
  /** Batches running now, and the lanes not in use. */
  private running = 0;
  private readonly freeLanes: number[];
  private closed = false;
  private idleWaiters: (() => void)[] = [];
  private lastShape: Shape | undefined;
  /** Called after every batch (for metrics). */
  onBatch?: (e: BatchEvent) => void;

  constructor(private readonly runner: BatchRunner, opts: BatcherOptions = {}) {
    this.maxBatchSize = positiveInt('maxBatchSize', opts.maxBatchSize, 32);
    this.maxDelayMs = positiveInt('maxDelayMs', opts.maxDelayMs, 2, true);
    this.maxQueue = positiveInt('maxQueue', opts.maxQueue, 1024);
    this.concurrency = positiveInt('concurrency', opts.concurrency, 1);
    if (this.concurrency > 64) throw new RangeError(`createPredictor: concurrency must be at most 64, got ${this.concurrency}`);
    this.freeLanes = Array.from({ length: this.concurrency }, (_, i) => this.concurrency - 1 - i);
    if (opts.timeoutMs !== undefined && !(Number.isFinite(opts.timeoutMs) && opts.timeoutMs > 0)) {
      throw new RangeError(`createPredictor: timeoutMs must be a positive number, got ${opts.timeoutMs}`);
    }
    this.timeoutMs = opts.timeoutMs;
  }

  /** Samples waiting to run. */
  get queueDepth(): number {
    return this.queued;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Queues `n` samples: `x` holds n × prod(sampleShape) floats, which the batcher reads (and the
   * caller must leave untouched) until `release` is called — once, when its batch has run, when it
   * timed out while still queued, or at once when the request is refused. That can be after the
   * promise settles: a request that times out while its batch runs is rejected at once, but its
   * data is still being read. Without `release`, `x` belongs to the batcher from now on.
   * Rejects at once with QueueFullError when the queue has no room, PredictorClosedError after close().
   */
  submit(x: Float32Array, n: number, sampleShape: readonly number[], opts: { timeoutMs?: number } = {}, release?: () => void): Promise<BatchResult> {
    const refuse = (e: Error): Promise<BatchResult> => {
      release?.();
      return Promise.reject(e);
    };
    if (this.closed) return refuse(new PredictorClosedError());
    const shape = this.canonical(sampleShape);
    const per = shape.per;
    if (!Number.isInteger(n) || n < 1 || x.length !== n * per) {
      return refuse(new BadInputError(`input has ${x.length} values, expected ${n} samples × ${per} = ${n * per} for sample shape [${sampleShape.join(', ')}]`));
    }
    if (this.queued + n > this.maxQueue && this.queued > 0) return refuse(new QueueFullError(this.queued, this.maxQueue, n));
    const key = shape.key;
    return new Promise<BatchResult>((resolve, reject) => {
      const p: Pending = { x, n, key, sampleShape: shape.dims, enqueuedAt: Date.now(), resolve, reject, state: 'queued', release };
      const timeout = opts.timeoutMs ?? this.timeoutMs;
      if (timeout !== undefined) {
        p.timer = setTimeout(() => this.expire(p, timeout), timeout);
        p.timer.unref?.();
      }
      let q = this.queues.get(key);
      if (!q) {
        q = { items: [], samples: 0 };
        this.queues.set(key, q);
      }
      if (q.items.length === 0) this.order.push(key);
      q.items.push(p);
      q.samples += n;
      this.queued += n;
      this.schedule(key, q);
    });
  }

  /**
   * The batcher's own copy of a sample shape, with its queue key and size: a server sees the same
   * shape on nearly every request, so the last one is kept and compared rather than rebuilt.
   */
  private canonical(sampleShape: readonly number[]): Shape {
    const last = this.lastShape;
    if (last && shapesEqual(last.dims, sampleShape)) return last;
    const dims = [...sampleShape];
    const shape = { dims, key: dims.join('x'), per: dims.reduce((a, b) => a * b, 1) };
    this.lastShape = shape;
    return shape;
  }

  private expire(p: Pending, timeout: number): void {
    if (p.state === 'done') return;
    if (p.state === 'queued') {
      const q = this.queues.get(p.key)!;
      const i = q.items.indexOf(p);
      if (i >= 0) q.items.splice(i, 1);
      q.samples -= p.n;
      this.queued -= p.n;
      if (q.items.length === 0) this.dropKey(p.key, q);
      p.release?.();
    }
    // A running request's result is discarded when its batch finishes.
    p.state = 'done';
    p.reject(new PredictTimeoutError(timeout));
  }

  private dropKey(key: string, q: Queue): void {
    if (q.timer) clearTimeout(q.timer);
    q.timer = undefined;
    const i = this.order.indexOf(key);
    if (i >= 0) this.order.splice(i, 1);
  }

  private get busy(): boolean {
    return this.running >= this.concurrency;
  }

  private schedule(key: string, q: Queue): void {
    if (this.busy) return; // a running batch's completion dispatches the next one
    if (q.samples >= this.maxBatchSize || this.maxDelayMs === 0 || this.closed) {
      void this.dispatch();
      return;
    }
    if (!q.timer) {
      q.timer = setTimeout(() => {
        q.timer = undefined;
        if (!this.busy) void this.dispatch();
      }, this.maxDelayMs);
    }
  }

  /** Takes requests for one batch: from the shape queue whose oldest request is oldest (FIFO across shapes). */
  private takeBatch(): Pending[] | undefined {
    while (this.order.length > 0) {
      const key = this.order[0]!;
      const q = this.queues.get(key)!;
      if (q.items.length === 0) {
        this.dropKey(key, q);
        continue;
      }
      const batch: Pending[] = [];
      let size = 0;
      while (q.items.length > 0 && (batch.length === 0 || size + q.items[0]!.n <= this.maxBatchSize)) {
        const p = q.items.shift()!;
        batch.push(p);
        size += p.n;
      }
      q.samples -= size;
      this.queued -= size;
      // Round-robin between shapes: a busy shape goes to the back of the line.
      this.order.shift();
      if (q.timer) clearTimeout(q.timer);
      q.timer = undefined;
      if (q.items.length > 0) this.order.push(key);
      return batch;
    }
    return undefined;
  }

  private async dispatch(): Promise<void> {
    if (this.busy) return;
    const batch = this.takeBatch();
    if (!batch) {
      this.notifyIdle();
      return;
    }
    this.running++;
    const lane = this.freeLanes.pop()!;
    for (const p of batch) p.state = 'running';
    const n = batch.reduce((a, p) => a + p.n, 0);
    const sampleShape = batch[0]!.sampleShape;
    const per = batch[0]!.x.length / batch[0]!.n;
    let x: Float32Array;
    if (batch.length === 1) x = batch[0]!.x;
    else {
      x = this.runner.stage?.(n, sampleShape, lane) ?? new Float32Array(n * per);
      let off = 0;
      for (const p of batch) {
        x.set(p.x, off);
        off += p.x.length;
      }
    }
    const t0 = performance.now();
    let error: unknown;
    let parts: Float32Array[] = [];
    let outShape: readonly number[] = [];
    let inline = false;
    try {
      const out = await this.runner(x, n, sampleShape, lane);
      inline = out.inline === true;
      const outPer = out.data.length / n;
      if (!Number.isInteger(outPer)) throw new Error(`model returned ${out.data.length} values for a batch of ${n}`);
      // Each caller's rows are copied out first: the runner may reuse its output buffer for the next batch.
      let off = 0;
      parts = batch.map((p) => out.data.slice(off * outPer, (off += p.n) * outPer));
      outShape = out.sampleShape;
    } catch (e) {
      error = e;
    } finally {
      this.running--;
      this.freeLanes.push(lane);
    }
    const ms = performance.now() - t0;
    for (const p of batch) p.release?.();
    // The next batch starts before this one's callers are resumed, so the model computes while
    // the event loop delivers results (and takes the callers' next requests).
    this.next();
    batch.forEach((p, i) => {
      if (p.state === 'done') return; // timed out meanwhile
      p.state = 'done';
      if (p.timer) clearTimeout(p.timer);
      if (error === undefined) p.resolve({ data: parts[i]!, shape: [p.n, ...outShape] });
      else p.reject(error);
    });
    this.onBatch?.({ size: n, requests: batch.length, ms, ...(inline ? { inline } : {}), ...(error !== undefined ? { error } : {}) });
  }

  /** After a batch: run the next one now if a queue is full or its delay has passed, else arm its timer. */
  private next(): void {
    const key = this.order[0];
    if (key === undefined) {
      this.notifyIdle();
      return;
    }
    const q = this.queues.get(key)!;
    const waited = Date.now() - (q.items[0]?.enqueuedAt ?? Date.now());
    if (q.samples >= this.maxBatchSize) {
      // A full batch is waiting: start it now (it cannot grow, so nothing is gained by waiting).
      void this.dispatch();
    } else if (this.closed || waited >= this.maxDelayMs) {
      // setImmediate lets I/O callbacks (new requests) join this batch first.
      setImmediate(() => void this.dispatch());
    } else if (!q.timer) {
      q.timer = setTimeout(() => {
        q.timer = undefined;
        if (!this.busy) void this.dispatch();
      }, this.maxDelayMs - waited);
    }
  }

  private notifyIdle(): void {
    if (this.running > 0 || this.queued > 0) return;
    const w = this.idleWaiters;
    this.idleWaiters = [];
    for (const f of w) f();
  }

  /** Stops accepting requests, runs everything queued without waiting for delays, resolves when idle. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.running === 0 && this.queued === 0) return;
    const idle = new Promise<void>((r) => this.idleWaiters.push(r));
    for (const q of this.queues.values()) {
      if (q.timer) clearTimeout(q.timer);
      q.timer = undefined;
    }
    for (let i = 0; i < this.concurrency && !this.busy && this.queued > 0; i++) void this.dispatch();
    await idle;
  }
}
