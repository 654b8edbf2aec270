// Internal tensor access for other lib/ modules (ops, layers, io, ...). NOT re-exported from
// lib/index.ts: users never see raw storage.
import { Storage } from './storage.js';
import { type AnyTypedArray, type DType, checkShape, sizeOf } from './shape.js';
import { Tensor, internals } from './tensor.js';

/** The live typed array over the tensor's native memory (no copy). Throws if disposed. */
export function viewOf(t: Tensor, what = 'tensor'): AnyTypedArray {
  return internals.view(t, what);
}

/**
 * The view of a tensor allocated in the calling function, for filling it. Unlike viewOf it does not
 * wait for queued native work (lib/engine/deferred.ts): no queued kernel can use memory that was
 * allocated after it was queued. Never use it on a tensor that came from elsewhere.
 */
export function freshViewOf(t: Tensor): AnyTypedArray {
  return internals.freshView(t);
}

/** The live Float32Array of a float32 tensor; TypeError naming `what` if it is not float32. */
export function f32(t: Tensor, what = 'tensor'): Float32Array {
  const v = internals.view(t, what);
  if (!(v instanceof Float32Array)) throw new TypeError(`${what} must have dtype float32, got ${t.dtype}`);
  return v;
}

/** The live Int32Array of an int32 tensor; TypeError naming `what` if it is not int32. */
export function i32(t: Tensor, what = 'tensor'): Int32Array {
  const v = internals.view(t, what);
  if (!(v instanceof Int32Array)) throw new TypeError(`${what} must have dtype int32, got ${t.dtype}`);
  return v;
}

/**
 * A new tensor with native storage, uninitialised unless `zero` (for op outputs that the kernel
 * overwrites entirely).
 */
export function allocTensor(shape: readonly number[], dtype: DType = 'float32', zero = false): Tensor {
  const s = checkShape(shape);
  return new Tensor(new Storage(sizeOf(s) * 4, zero), s, dtype);
}

/**
 * Keeps the storage of `tensors` alive while native async work runs (a dispose() during the work
 * is deferred to its end). Use: `await withPinned([a, b, out], () => native().fooAsync(...))`.
 */
export async function withPinned<T>(tensors: readonly Tensor[], work: () => Promise<T>): Promise<T> {
  const storages = tensors.map((t) => internals.storage(t));
  for (const s of storages) s.pin();
  try {
    return await work();
  } finally {
    for (const s of storages) s.unpin();
  }
}

/**
 * Keeps the storage of `t` alive (a dispose() only drops the tensor; the memory is freed later) until
 * the returned function is called: for native work recorded to run again (lib/training/step_capture.ts).
 */
export function pinStorage(t: Tensor): () => void {
  const s = internals.storage(t);
  s.pin();
  let pinned = true;
  return () => {
    if (pinned) {
      pinned = false;
      s.unpin();
    }
  };
}

export { Tensor };
