// Helpers for the async form of native ops: AbortSignal -> cancel cell, pinning, cleanup.
import type { CancelCell } from '../native/binding.js';
import { withPinned } from '../tensor/internal.js';
import type { Tensor } from '../tensor/tensor.js';

export interface AsyncOptions {
  /** Aborts the native work at its next check (between tiles/chunks); the promise rejects with an AbortError. */
  signal?: AbortSignal;
}

function abortError(signal: AbortSignal, cause?: unknown): Error {
  const err = new Error('The operation was aborted', { cause: signal.reason ?? cause });
  err.name = 'AbortError';
  (err as Error & { code: string }).code = 'ABORT_ERR';
  return err;
}

/**
 * Runs `launch` with a cancel cell (Int32Array(1)) wired to `signal`: when the signal aborts, the
 * cell is set to 1 and the native code (convkit::CancelToken) stops at its next check. Rejects at
 * once if the signal is already aborted.
 */
export async function cancelCell<T>(signal: AbortSignal | undefined, launch: (cell: CancelCell) => Promise<T>): Promise<T> {
  if (signal === undefined) return launch(undefined);
  if (!(signal instanceof AbortSignal)) throw new TypeError('options.signal must be an AbortSignal');
  if (signal.aborted) throw abortError(signal);
  const cell = new Int32Array(1);
  const onAbort = (): void => {
    cell[0] = 1;
  };
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    return await launch(cell);
  } catch (e) {
    if (signal.aborted && e instanceof Error && e.name === 'AbortError') throw abortError(signal, e);
    throw e;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/**
 * The body of an async native op: pins inputs and outputs while `launch` runs (so a concurrent
 * dispose() cannot free memory the native code uses), wires the AbortSignal, and disposes the
 * outputs if the work fails. Resolves to `outputs`.
 */
export async function nativeAsync<T extends Tensor | readonly Tensor[]>(
  inputs: readonly Tensor[],
  outputs: T,
  launch: (cell: CancelCell) => Promise<void>,
  opts?: AsyncOptions,
): Promise<T> {
  const outs: readonly Tensor[] = Array.isArray(outputs) ? (outputs as readonly Tensor[]) : [outputs as Tensor];
  try {
    await withPinned([...inputs, ...outs], () => cancelCell(opts?.signal, launch));
  } catch (e) {
    for (const o of outs) o.dispose();
    throw e;
  }
  return outputs;
}
