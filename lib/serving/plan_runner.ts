/**
 * The predictor's batch runner for models that compile to an inference plan (lib/plan): one plan
 * (built for the largest batch seen, rounded up to a power of two, at most `maxBatchSize`) runs
 * every smaller batch too (native run_batch), reading
 * from a preallocated staging buffer the batcher copies requests into, and writing into a
 * preallocated output buffer the batcher slices each caller's rows from. So in steady state a batch
 * costs two copies (requests in, rows out) and one async native call: no plan rebuild when batch
 * sizes vary, no input or output tensor per batch, no per-batch arena.
 *
 * Whatever the plan cannot serve — a sample shape other than the planned one, a request larger
 * than maxBatchSize (it runs as its own batch), a model that does not compile, or a plan whose
 * batch cannot vary — goes through `fallback` (model.predict), with the same results.
 */
import { notePlanPath, planFor, planIsCurrent, privatePlan } from '../plan/cache.js';
import type { PlannableModel } from '../plan/compile.js';
import type { InferencePlan } from '../plan/plan.js';
import type { Tensor } from '../tensor/index.js';
import { allocTensor, f32 } from '../tensor/internal.js';
import { shapesEqual as sameShape } from '../tensor/shape.js';
import type { BatchRunner } from './batcher.js';

function isPlannable(m: unknown): m is PlannableModel {
  return typeof (m as { graphNodes?: unknown }).graphNodes === 'function';
}

interface Buffers {
  plan: InferencePlan;
  /** The plan's serial flag as last set (lanes > 1), so it is set only when it changes. */
  serial?: boolean;
  input: Tensor;
  output: Tensor;
  inView: Float32Array;
  outView: Float32Array;
  outSample: number[];
}

/**
 * A BatchRunner over `model`'s plans for [batch, ...sampleShape], or null when the model is
 * not a graph model or the sample shape is not fully known (the caller uses model.predict then).
 * With `lanes` = 1 it runs the model's cached plan (shared with model.predict) over the whole
 * thread pool. With more (createPredictor's `concurrency`), each lane has a plan of its own
 * (weights prepared per lane: plans that share prepared weights run one at a time), so up to
 * `lanes` batches run at once. A batch that starts while another lane runs is run serially, on
 * one core; one that starts alone uses the whole pool, so a lone request (light load) keeps the
 * latency of one lane.
 * `dispose()` frees the staging and output buffers (a cached plan stays in the model's cache).
 */
export function planRunner(model: unknown, sampleShape: readonly (number | null)[] | undefined, maxBatchSize: number, fallback: BatchRunner, lanes = 1, inlineMaxUs = 0): (BatchRunner & { dispose(): void }) | null {
  if (!isPlannable(model) || !sampleShape || !sampleShape.every((d) => d !== null && Number.isInteger(d) && d >= 1)) return null;
  const sample = sampleShape as readonly number[];
  const per = sample.reduce((a, b) => a * b, 1);
  const bufs: (Buffers | null)[] = Array.from({ length: lanes }, () => null);
  let unplannable = false;
  // The batch the plan is built for: the largest batch seen so far rounded up to a power of two,
  // at most maxBatchSize. So memory follows the load (a generous maxBatchSize costs nothing until
  // batches that large form) and the plan is rebuilt at most log2(maxBatchSize) times.
  let cap = 0;

  // The lane's plan — the model's cached one (one lane), or the lane's own, rebuilt when the
  // weights change or batches outgrow it — and buffers sized for it.
  const lanePlan = (lane: number): InferencePlan | null => {
    const shapes = [[cap, ...sample]];
    if (lanes === 1) return planFor(model, shapes);
    const had = bufs[lane]?.plan;
    if (had && had.batch >= cap && planIsCurrent(had)) return had;
    return privatePlan(model, shapes);
  };
  const current = (n: number, lane: number): Buffers | null => {
    if (unplannable) return null;
    if (n > cap) cap = Math.min(maxBatchSize, 2 ** Math.ceil(Math.log2(n)));
    const plan = lanePlan(lane);
    if (!plan || plan.inputShapes.length !== 1 || !plan.runtimeBatch) {
      // Not plannable now (or ever): drop the buffers; the cache remembers why for this graph.
      unplannable = plan !== null;
      release();
      return null;
    }
    let b = bufs[lane];
    if (b && b.plan === plan) return b;
    // A new plan (first use, or rebuilt after a weight change): buffers for its shapes.
    const outShape = plan.outputShapes[0]!;
    if (!b || b.input.size < plan.batch * per || b.output.size !== outShape.reduce((x, y) => x * y, 1)) {
      releaseLane(lane);
      const input = allocTensor([plan.batch, ...sample]);
      const output = allocTensor(outShape);
      b = bufs[lane] = { plan, input, output, inView: f32(input), outView: f32(output), outSample: outShape.slice(1) };
    } else {
      b.plan = plan;
      b.serial = undefined; // a new plan starts pooled
    }
    return b;
  };
  const releaseLane = (lane: number): void => {
    bufs[lane]?.input.dispose();
    bufs[lane]?.output.dispose();
    bufs[lane] = null;
  };
  const release = (): void => {
    for (let lane = 0; lane < lanes; lane++) releaseLane(lane);
  };

  let active = 0; // plan runs in flight (lanes > 1)
  // Inline runs: the last run of a batch of n samples took lastUs µs (on the event-loop thread
  // when it ran inline, measured natively on the worker otherwise). A batch whose last time is
  // under inlineMaxUs runs on the calling thread: the hop to a libuv worker and back (queue,
  // wake-up, completion callback, promise) costs more than such a run — LeNet-5 at batch 1 takes
  // 24 µs synchronously and 63 µs as an async call, median, on the 2-core VM. The first run of
  // each n goes to a worker (its cost unknown).
  // At most one inline run per event-loop turn: callers that resubmit as soon as their promise
  // resolves would otherwise chain inline runs in microtasks and starve timers and I/O; a second
  // run in the same turn first waits for setImmediate (a loop turn, no thread hop).
  const lastUs = new Map<number, number>();
  let turnUsed = false;
  const endTurn = (): void => {
    turnUsed = false;
  };
  const runner = (async (x, n, shape, lane) => {
    const b = n <= maxBatchSize && lane < lanes && sameShape(shape, sample) ? current(n, lane) : null;
    if (!b) return fallback(x, n, shape, lane);
    const outPer = b.outView.length / b.plan.batch;
    const out = b.outView.subarray(0, n * outPer);
    if (lanes > 1 && b.serial !== active > 0) b.plan.setSerial((b.serial = active > 0));
    const ins = [x.length === n * per ? x : x.subarray(0, n * per)];
    const inline = (lastUs.get(n) ?? Infinity) < inlineMaxUs;
    active++;
    let t0 = 0;
    try {
      if (inline) {
        if (turnUsed) await new Promise<void>((r) => setImmediate(r));
        turnUsed = true;
        setImmediate(endTurn);
        t0 = performance.now();
        b.plan.runBatchInto(n, ins, [out]);
      } else await b.plan.runBatchIntoAsync(n, ins, [out]);
    } finally {
      active--;
    }
    if (inlineMaxUs > 0) lastUs.set(n, inline ? (performance.now() - t0) * 1000 : b.plan.lastRunMs * 1000);
    b.plan.reportAlgorithms();
    notePlanPath(model);
    return { data: out, sampleShape: b.outSample, inline };
  }) as BatchRunner & { dispose(): void };
  // Where the batcher stages a batch of several requests (valid until the batch's run resolves).
  runner.stage = (n, shape, lane) => {
    if (n > maxBatchSize || lane >= lanes || !sameShape(shape, sample)) return undefined;
    const b = current(n, lane);
    return b ? b.inView.subarray(0, n * per) : undefined;
  };
  runner.dispose = release;
  return runner;
}
