// The typed interface of the raw N-API binding (native/binding/*.cc).
//
// Conventions of every native op function:
//  - tensors travel as typed arrays over their native storage (Float32Array / Int32Array), shapes
//    as number arrays; outputs are preallocated by the caller (lib/tensor's allocation) and passed
//    in, so the binding never allocates per op;
//  - a function `foo(...args)` registered with def_job also has `fooAsync(...args, cancel?)` that
//    returns a Promise<void>; `cancel` is an Int32Array(1) the caller sets to 1 to abort.
//
// Op families owned by other teams add their functions by module augmentation in their own file,
// so this file is not a merge hotspot:
//
//   declare module '../native/binding.js' {
//     interface NativeBinding { sgemm(...): void }
//   }

export type IsaName = 'scalar' | 'avx2' | 'avx512';
export type CancelCell = Int32Array | undefined;

export interface NativeBackendInfo {
  isa: IsaName;
  detectedIsa: IsaName;
  availableIsas: IsaName[];
  threads: number;
  hardwareThreads: number;
  compiler: string;
  buildSystem: string;
  buildFlags: string;
  sanitizers: boolean;
  cpuVendor: string;
  cpuBrand: string;
  cpuFeatures: string[];
  napiVersion: number;
}

export interface NativeMemoryStats {
  /** Bytes of tensor storage currently allocated natively (process-wide, all threads). */
  liveBytes: number;
  liveBuffers: number;
  totalAllocations: number;
  peakBytes: number;
  /** Freed buffers kept by the allocator for reuse (not live, but resident). */
  cachedBytes: number;
  /** Allocations served from that cache since start. */
  cacheHits: number;
  /** Buffers allocated by this thread's addon instance. */
  instanceAllocations: number;
}

export type Shape = readonly number[];

export interface NativeBinding {
  readonly bindingFamilies: readonly string[];
  // core
  backendInfo(): NativeBackendInfo;
  setNumThreads(n: number): void;
  getNumThreads(): number;
  setIsa(isa: IsaName | null): void;
  getIsa(): IsaName;
  // memory
  alloc(bytes: number, zero: boolean): ArrayBuffer;
  free(buffer: ArrayBuffer): boolean;
  memoryStats(): NativeMemoryStats;
  // deferred execution (native/binding/recording_binding.cc, lib/engine/deferred.ts)
  recordBegin(): void;
  recordEnd(): number;
  recordPending(): number;
  recordFlush(): void;
  recordFlushAsync(): Promise<void>;
  recordWait(): void;
  releaseCachedMemory(): void;
  isAligned(buffer: ArrayBuffer): boolean;
  /** dst <- src (same byte length), a def_job: queued under deferred execution. */
  copyBuffer(src: Float32Array | Int32Array, dst: Float32Array | Int32Array): void;
}
