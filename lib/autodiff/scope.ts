/**
 * Tensor lifetimes without a garbage-collection wait. Every op reports its outputs through the
 * engine's recorder; a scope installs a recorder that collects them and disposes, when the scope
 * ends, every collected tensor that is not returned. While a gradient tape is recording, scopes
 * leave lifetimes to the tape (which needs the intermediates for backward).
 */
import { getOpRecorder, type OpRecord, setOpRecorder } from '../engine/index.js';
import { Tensor } from '../tensor/index.js';

let tapeDepth = 0;

/** @internal The tape marks itself active so that scopes inside a taped function do not dispose. */
export function enterTape(): void {
  tapeDepth++;
}
/** @internal */
export function exitTape(): void {
  tapeDepth--;
}
export function isTaping(): boolean {
  return tapeDepth > 0;
}


function collectKept(v: unknown, out: Set<Tensor>): void {
  if (v instanceof Tensor) out.add(v);
  else if (Array.isArray(v)) for (const x of v) collectKept(x, out);
  else if (v && typeof v === 'object') for (const x of Object.values(v)) collectKept(x, out);
}

/**
 * Runs fn and disposes every tensor created by ops inside it except those returned (found in the
 * result, also inside arrays/objects) and those passed in `keep`. Like tf.tidy, for internal use.
 */
export function tidy<T>(fn: () => T, keep: readonly Tensor[] = []): T {
  if (isTaping()) return fn();
  const created: Tensor[] = [];
  const prev = getOpRecorder();
  setOpRecorder((rec: OpRecord) => {
    for (const t of rec.outputs) created.push(t);
    prev?.(rec);
  });
  let result: T;
  try {
    result = fn();
  } finally {
    setOpRecorder(prev);
  }
  const kept = new Set<Tensor>(keep);
  collectKept(result, kept);
  for (const t of created) if (!kept.has(t)) t.dispose();
  return result;
}
