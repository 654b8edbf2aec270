// The single entry point of every op: runOp(name, inputs, attrs, forward).
//
// It checks that inputs are alive, runs `forward` (which calls the native kernel and returns new
// tensors), and then reports the op to the active recorder, if any. The autodiff tape
// (lib/autodiff, owned by the layers team) installs a recorder with setOpRecorder() and registers
// gradients by op `name`; `attrs` carry what a gradient needs besides inputs and outputs (axes,
// perm, ...). With no recorder installed the cost is one null check.
//
// Op names are lower camelCase and equal to the public function name ('add', 'relu', 'sum',
// 'softmax', 'transpose', 'concat', 'slice', ...): lib/autodiff/gradients registers gradients under
// the same names.
//
// Async ops record after their promise resolves (runOpAsync), in completion order.
import type { Tensor } from '../tensor/tensor.js';
import { eagerScope, isRecording, recordableScope } from './deferred.js';

export { runDeferred, launchDeferred, settleDeferred, isRecording, recordableScope, deferredStats, setDeferredExecution } from './deferred.js';

export type OpAttrs = Readonly<Record<string, unknown>>;

export interface OpRecord {
  readonly name: string;
  readonly inputs: readonly Tensor[];
  readonly attrs: OpAttrs;
  readonly outputs: readonly Tensor[];
}

export type OpRecorder = (record: OpRecord) => void;

let recorder: OpRecorder | null = null;

/** Installs (or, with null, removes) the op recorder; returns the previous one so callers can nest. */
export function setOpRecorder(fn: OpRecorder | null): OpRecorder | null {
  const prev = recorder;
  recorder = fn;
  return prev;
}

export function getOpRecorder(): OpRecorder | null {
  return recorder;
}

/** Runs fn with recording switched off (e.g. while computing gradients), restoring it after. */
export function withoutRecording<T>(fn: () => T): T {
  const prev = setOpRecorder(null);
  try {
    return fn();
  } finally {
    setOpRecorder(prev);
  }
}

function checkInputs(name: string, inputs: readonly Tensor[]): void {
  for (let i = 0; i < inputs.length; i++) inputs[i]!.assertAlive(`${name}(): input ${i}`);
}

function outputsOf(result: Tensor | readonly Tensor[]): readonly Tensor[] {
  return Array.isArray(result) ? (result as readonly Tensor[]) : [result as Tensor];
}

function run<T extends Tensor | readonly Tensor[]>(
  name: string,
  inputs: readonly Tensor[],
  attrs: OpAttrs,
  forward: () => T,
  nativeOnly: boolean,
): T {
  checkInputs(name, inputs);
  // Under deferred execution (lib/engine/deferred.ts) a native-only op's kernels are queued; any
  // other op (it may touch tensor memory from JavaScript) runs eagerly, after everything queued.
  const result = !isRecording() ? forward() : nativeOnly ? recordableScope(forward) : eagerScope(forward);
  if (recorder) recorder({ name, inputs, attrs, outputs: outputsOf(result) });
  return result;
}

export function runOp<T extends Tensor | readonly Tensor[]>(name: string, inputs: readonly Tensor[], attrs: OpAttrs, forward: () => T): T {
  return run(name, inputs, attrs, forward, false);
}

/**
 * runOp for ops whose forward only allocates outputs and hands tensor memory to native kernels
 * (no JavaScript reads or writes of it): under deferred execution their kernels are queued.
 */
export function runNativeOp<T extends Tensor | readonly Tensor[]>(name: string, inputs: readonly Tensor[], attrs: OpAttrs, forward: () => T): T {
  return run(name, inputs, attrs, forward, true);
}

export async function runOpAsync<T extends Tensor | readonly Tensor[]>(
  name: string,
  inputs: readonly Tensor[],
  attrs: OpAttrs,
  forward: () => Promise<T>,
): Promise<T> {
  checkInputs(name, inputs);
  const rec = recorder;
  const result = await forward();
  if (rec) rec({ name, inputs, attrs, outputs: outputsOf(result) });
  return result;
}
