// Native tensor storage shared by one or more Tensors (a tensor and its reshaped views).
//
// Memory lives in a 64-byte aligned native block exposed as an external ArrayBuffer (see
// native/binding/memory_binding.cc). It is freed when the last Tensor using it is disposed, or by
// the garbage collector if nobody disposes. While native async work reads or writes it, the
// storage is pinned: a dispose() during that time is deferred until the work completes, so native
// code never sees freed memory.
import { native } from '../native/index.js';
import { deferFree } from '../engine/deferred.js';

export class Storage {
  readonly buffer: ArrayBuffer;
  readonly byteLength: number;
  private refs = 1;
  private pins = 0;
  private released = false;

  constructor(byteLength: number, zero: boolean) {
    this.byteLength = byteLength;
    this.buffer = native().alloc(byteLength, zero);
  }

  get freed(): boolean {
    return this.released;
  }

  retain(): void {
    if (this.refs <= 0) throw new Error('convkit internal error: retain() on released storage');
    this.refs++;
  }

  /** Drops one user; frees the native block when none is left and no async work is running. */
  release(): void {
    if (this.refs <= 0) return;
    this.refs--;
    this.maybeFree();
  }

  pin(): void {
    this.pins++;
  }

  unpin(): void {
    this.pins--;
    this.maybeFree();
  }

  private maybeFree(): void {
    if (this.refs === 0 && this.pins === 0 && !this.released) {
      this.released = true;
      const buffer = this.buffer;
      // Queued native work may still use the memory: then it is freed once that work has run.
      if (!deferFree(() => native().free(buffer))) native().free(buffer);
    }
  }
}
