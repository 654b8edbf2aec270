// The benchmark cases file (the format of /work/shared/bench/cases.json) and --filter.
import { readFileSync } from 'node:fs';

import { native } from '../native/index.js';

export interface BenchCase {
  id: string;
  group: string;
  kind: string;
  desc?: string;
  params: Record<string, unknown>;
  flops: number;
}

export interface CasesFile {
  cases: BenchCase[];
  [key: string]: unknown;
}

/** Reads `path` and keeps the cases whose id matches `filter` (a regex searched, not anchored). */
export function loadCases(path: string, filter?: string): { doc: CasesFile; cases: BenchCase[] } {
  let doc: CasesFile;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8')) as CasesFile;
  } catch (e) {
    throw new Error(`bench: cannot read cases file '${path}': ${(e as Error).message}`);
  }
  if (!doc || !Array.isArray(doc.cases)) throw new Error(`bench: '${path}' has no "cases" array`);
  let rx: RegExp | null = null;
  if (filter) {
    try {
      rx = new RegExp(filter);
    } catch (e) {
      throw new Error(`bench: --filter '${filter}' is not a valid regular expression: ${(e as Error).message}`);
    }
  }
  return { doc, cases: doc.cases.filter((c) => !rx || rx.test(c.id)) };
}

/** A positive integer parameter of a case, or an error naming it. */
export function intParam(c: BenchCase, name: string): number {
  const v = c.params[name];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0)
    throw new Error(`case ${c.id}: params.${name} must be a non-negative integer, got ${JSON.stringify(v)}`);
  return v;
}

/** Deterministic pseudo-random float32 data in [-1, 1) (xorshift32, as benchlib's randomFloat32). */
export function randomFloat32(size: number, seed = 1): Float32Array {
  const a = new Float32Array(size);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    a[i] = ((s >>> 0) / 4294967296) * 2 - 1;
  }
  return a;
}

/**
 * Bench inputs and outputs in the library's own tensor storage (native().alloc: 64-byte aligned, as
 * every Tensor is). A plain Float32Array is only 16-byte aligned in V8, which splits every 64-byte
 * vector load across two cache lines: the memory-bound depthwise case measured 25% slow that way
 * (busy machine). `free()` returns every buffer it handed out.
 */
export class TensorStorage {
  private readonly buffers: ArrayBuffer[] = [];

  /** A copy of `a` in aligned native memory. */
  copy(a: Float32Array): Float32Array {
    const buffer = native().alloc(a.byteLength, false);
    this.buffers.push(buffer);
    const s = new Float32Array(buffer);
    s.set(a);
    return s;
  }

  /** Zero-filled aligned native memory for `size` floats. */
  zeros(size: number): Float32Array {
    const buffer = native().alloc(size * 4, true);
    this.buffers.push(buffer);
    return new Float32Array(buffer);
  }

  free(): void {
    for (const b of this.buffers.splice(0)) native().free(b);
  }
}
