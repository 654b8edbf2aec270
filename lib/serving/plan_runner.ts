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
import { notePlanPath, planFor } from '../plan/cache.js';
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
  input: Tensor;
  output: Tensor;
  inView: Float32Array;
  outView: Float32Array;
  outSample: number[];
}

/**
 * A BatchRunner over `model`'s plans for [batch, ...sampleShape], or null when the model is
 * not a graph model or the sample shape is not fully known (the caller uses model.predict then).
 * `dispose()` frees the staging and output buffers (the plan stays in the model's cache).
 */
export function planRunner(model: unknown, sampleShape: readonly (number | null)[] | undefined, maxBatchSize: number, fallback: BatchRunner): (BatchRunner & { dispose(): void }) | null {
  if (!isPlannable(model) || !sampleShape || !sampleShape.every((d) => d !== null && Number.isInteger(d) && d >= 1)) return null;
  const sample = sampleShape as readonly number[];
  const per = sample.reduce((a, b) => a * b, 1);
  let bufs: Buffers | null = null;
  let unplannable = false;
  // The batch the plan is built for: the largest batch seen so far rounded up to a power of two,
  // at most maxBatchSize. So memory follows the load (a generous maxBatchSize costs nothing until
  // batches that large form) and the plan is rebuilt at most log2(maxBatchSize) times.
  let cap = 0;

  // The plan (from the model's cache, so weight changes are picked up) and buffers sized for it.
  const current = (n: number): Buffers | null => {
    if (unplannable) return null;
    if (n > cap) cap = Math.min(maxBatchSize, 2 ** Math.ceil(Math.log2(n)));
    const plan = planFor(model, [[cap, ...sample]]);
    if (!plan || plan.inputShapes.length !== 1 || !plan.runtimeBatch) {
      // Not plannable now (or ever): drop the buffers; the cache remembers why for this graph.
      unplannable = plan !== null;
      release();
      return null;
    }
    if (bufs && bufs.plan === plan) return bufs;
    // A new plan (first use, or rebuilt after a weight change): buffers for its shapes.
    const outShape = plan.outputShapes[0]!;
    if (!bufs || bufs.input.size < plan.batch * per || bufs.output.size !== outShape.reduce((a, b) => a * b, 1)) {
      release();
      const input = allocTensor([plan.batch, ...sample]);
      const output = allocTensor(outShape);
      bufs = { plan, input, output, inView: f32(input), outView: f32(output), outSample: outShape.slice(1) };
    } else {
      bufs.plan = plan;
    }
    return bufs;
  };
  const release = (): void => {
    bufs?.input.dispose();
    bufs?.output.dispose();
    bufs = null;
  };

  const runner = (async (x, n, shape) => {
    const b = n <= maxBatchSize && sameShape(shape, sample) ? current(n) : null;
    if (!b) return fallback(x, n, shape);
    const outPer = b.outView.length / b.plan.batch;
    const out = b.outView.subarray(0, n * outPer);
    await b.plan.runBatchIntoAsync(n, [x.length === n * per ? x : x.subarray(0, n * per)], [out]);
    b.plan.reportAlgorithms();
    notePlanPath(model);
    return { data: out, sampleShape: b.outSample };
  }) as BatchRunner & { dispose(): void };
  // Where the batcher stages a batch of several requests (valid until the batch's run resolves).
  runner.stage = (n, shape) => {
    if (n > maxBatchSize || !sameShape(shape, sample)) return undefined;
    const b = current(n);
    return b ? b.inView.subarray(0, n * per) : undefined;
  };
  runner.dispose = release;
  return runner;
}
