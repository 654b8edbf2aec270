// Deferred execution of native ops (see native/binding/recording_binding.cc).
//
// `runDeferred(fn)` runs fn (a training step, a forward pass) with the native layer recording:
// each native kernel call fn makes is validated at once but queued, and when fn returns the queue
// runs as ONE async work item on the libuv pool. The JavaScript of the step still runs on the main
// thread, but the kernels — nearly all of the time — do not, so timers, I/O and HTTP requests are
// served while a step computes.
//
// Correct by construction, not by audit. Code may only be recorded where it does nothing but hand
// tensors to native kernels; everything else sees fully computed data:
//  - ops declare themselves recordable by going through `runNativeOp` (lib/ops/*: conv, matmul,
//    pooling, elementwise, reductions, ...); any other op (a JavaScript loop over tensor memory)
//    first runs the queue on this thread and then runs with recording paused;
//  - every JavaScript access to tensor memory (dataSync, f32/viewOf, ...) goes through
//    `beforeTensorRead()`, which runs the queue first unless it is called from inside a recordable
//    op (where the access only passes the memory to a native call);
//  - a dispose() while queued work may still use the memory is deferred until the queue has run
//    (`deferFree`), and the queue holds references to every typed array it touches, so the garbage
//    collector cannot free them either.
// CONVKIT_DEFERRED=0 switches it off (every call runs eagerly, as before).
//
// Step capture (lib/training/step_capture.ts) watches a recorded training step through a
// CaptureSink: every free during the capture is held (the captured jobs point into those buffers and
// will run again), and anything that makes a recording unfit for replay is noted — a non-recordable
// op or a JavaScript read of tensor memory while recording, and JavaScript writes into new tensors
// (their contents are not in the recording).
import { native } from '../native/index.js';

/** What a step capture collects while it is active (see lib/training/step_capture.ts). */
export interface CaptureSink {
  /** Native frees held back: the captured jobs use these buffers again. */
  frees: (() => void)[];
  /** Why this recording cannot be replayed (the first reason seen), or null. */
  invalid: string | null;
  /** Typed arrays of tensors that JavaScript (or a sync native call) filled during the capture. */
  fresh: ArrayBufferView[];
  /** Random fills, in draw order, with a function that redraws them into a destination. */
  randoms: { view: Float32Array; redraw: (dst: Float32Array) => void }[];
}
let capture: CaptureSink | null = null;

/** Starts (sink) or stops (null) watching for step capture. */
export function setCaptureSink(sink: CaptureSink | null): void {
  capture = sink;
}

function captureInvalid(why: string): void {
  if (capture && capture.invalid === null) capture.invalid = `${why}\n${new Error().stack?.split('\n').slice(3, 8).join('\n')}`;
}

/** Called when a tensor's memory is handed out for filling without a flush (tensor creation). */
export function noteFreshWrite(view: ArrayBufferView): void {
  capture?.fresh.push(view);
}

/**
 * Called after `view` was filled from a random generator: a replay redraws it with `redraw` (which
 * advances the same generator), so replayed steps draw the same numbers eager steps would.
 */
export function noteRandomFill(view: Float32Array, redraw: (dst: Float32Array) => void): void {
  if (!capture) return;
  capture.randoms.push({ view, redraw });
  capture.fresh = capture.fresh.filter((v) => v !== view);
}

/** Runs held frees (from a dropped capture) as soon as no queued or running work may use them. */
export function releaseHeldFrees(frees: (() => void)[]): void {
  pendingFrees.push(...frees);
  drainFrees();
}

/** True unless deferred execution was switched off. */
export function deferredEnabled(): boolean {
  return !disabled;
}

let recording = false;
let scopeDepth = 0;
// Batches launched and not yet settled (they run in launch order, see recording_binding.cc, but
// their promises may settle in any order) and the first error of one nobody awaited.
const inFlight = new Set<Promise<void>>();
let launchError: { error: unknown } | null = null;
const pendingFrees: (() => void)[] = [];
const stats = { batches: 0, jobs: 0, syncFlushes: 0 };
const env = typeof process !== 'undefined' ? process.env : {};
let disabled = env['CONVKIT_DEFERRED'] === '0';

/**
 * Switches deferred execution on or off (default on; CONVKIT_DEFERRED=0 starts with it off). Off,
 * fit/evaluate run every kernel on the main thread as they are called; results are identical.
 */
export function setDeferredExecution(on: boolean): void {
  if (typeof on !== 'boolean') throw new TypeError(`setDeferredExecution: expected a boolean, got ${typeof on}`);
  disabled = !on;
}
// CONVKIT_DEFERRED_TRACE=1 prints where each main-thread flush came from (for finding the op or
// JavaScript read that interrupts a recording).
const trace = env['CONVKIT_DEFERRED_TRACE'] === '1';
function syncFlush(): void {
  stats.syncFlushes++;
  if (trace) process.stderr.write(`convkit deferred: flush on the main thread\n${new Error().stack?.split('\n').slice(2, 9).join('\n')}\n`);
  native().recordFlush();
}

/**
 * Counters since start: async batches run, jobs in them, and times queued work had to run on the
 * main thread because JavaScript needed tensor memory or ran a non-recordable op mid-recording.
 */
export function deferredStats(): { batches: number; jobs: number; syncFlushes: number } {
  return { ...stats };
}

/** True while fn of runDeferred is recording. */
export function isRecording(): boolean {
  return recording;
}

/** True when memory may still be used by queued or running native work. */
function busy(): boolean {
  return recording || inFlight.size > 0;
}

/** Called by Storage before freeing native memory: defers the free while native work may use it. */
export function deferFree(free: () => void): boolean {
  if (capture) {
    capture.frees.push(free);
    return true;
  }
  if (!busy()) return false;
  pendingFrees.push(free);
  return true;
}

function drainFrees(): void {
  if (busy()) return;
  const fs = pendingFrees.splice(0);
  for (const f of fs) f();
}

/** Called before JavaScript reads or writes tensor memory: makes every queued kernel result visible. */
export function beforeTensorRead(): void {
  if (scopeDepth > 0) return;
  if (recording) {
    captureInvalid('a JavaScript read of tensor memory mid-step');
    if (native().recordPending() > 0) syncFlush();
  } else if (inFlight.size > 0) {
    native().recordWait();
  }
}

/** Runs fn as code that only passes tensor memory to native calls (may be recorded). */
export function recordableScope<T>(fn: () => T): T {
  if (!recording) return fn();
  scopeDepth++;
  try {
    return fn();
  } finally {
    scopeDepth--;
  }
}

/** Runs fn eagerly: the queue runs first, and fn's own native calls run at once. */
export function eagerScope<T>(fn: () => T): T {
  if (!recording || scopeDepth > 0) return fn();
  captureInvalid('an op that is not recordable (runs in JavaScript)');
  if (native().recordPending() > 0) syncFlush();
  native().recordEnd();
  recording = false;
  try {
    return fn();
  } finally {
    native().recordBegin();
    recording = true;
  }
}

// Records fn; returns its result and the number of jobs queued. On a throw, runs what was queued
// (eager code would have run it before failing) and rethrows.
function record<T>(fn: () => T): { result: T; queued: number } {
  native().recordBegin();
  recording = true;
  try {
    const result = fn();
    recording = false;
    return { result, queued: native().recordEnd() };
  } catch (e) {
    recording = false;
    native().recordEnd();
    try {
      native().recordFlush();
    } finally {
      drainFrees();
    }
    throw e;
  }
}

// Starts the queued jobs as one async batch (after any batch still running).
function launch(): Promise<void> {
  stats.batches++;
  const p: Promise<void> = native()
    .recordFlushAsync()
    .finally(() => {
      inFlight.delete(p);
      drainFrees();
    });
  inFlight.add(p);
  return p;
}

function takeLaunchError(): void {
  if (launchError) {
    const { error } = launchError;
    launchError = null;
    throw error;
  }
}

/**
 * Runs fn recording its native kernel calls, then runs them off the main thread; resolves to fn's
 * result once every kernel has run. Nested calls run fn inside the outer recording.
 */
export async function runDeferred<T>(fn: () => T): Promise<T> {
  if (disabled || recording) return fn();
  const { result, queued } = record(fn);
  stats.jobs += queued;
  if (queued > 0) await launch();
  takeLaunchError();
  return result;
}

/**
 * Records fn and runs its kernels at once on this thread (whether or not deferred execution is on):
 * for a step capture on a synchronous path (trainOnBatch), where the recording itself is wanted.
 */
export function runRecordedSync<T>(fn: () => T): T {
  if (recording) return fn();
  const { result, queued } = record(fn);
  stats.jobs += queued;
  if (queued > 0) {
    try {
      native().recordFlush();
    } finally {
      drainFrees();
    }
  }
  return result;
}

/**
 * Records fn and starts its kernels without waiting for them: the caller goes on (e.g. records the
 * next training step) while they run. Anything that then reads tensor memory waits for them
 * (beforeTensorRead); an error surfaces at the next runDeferred or settleDeferred.
 */
export function launchDeferred(fn: () => void): void {
  if (disabled || recording) {
    fn();
    return;
  }
  const { queued } = record(fn);
  stats.jobs += queued;
  if (queued === 0) return;
  launch().catch((error: unknown) => {
    launchError ??= { error };
  });
}

/** Waits for every launched batch; rethrows the first error of one. */
export async function settleDeferred(): Promise<void> {
  while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
  takeLaunchError();
}
