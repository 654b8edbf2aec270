// Backend information and control: version, ISA, threads, build, memory.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { addonPath, native, packageRoot, type IsaName } from './native/index.js';

export interface BackendInfo {
  version: string;
  /** The instruction set kernels dispatch on now. */
  isa: IsaName;
  /** Instruction sets this CPU can run, lowest first. */
  availableIsas: IsaName[];
  threads: number;
  hardwareThreads: number;
  compiler: string;
  buildSystem: string;
  buildFlags: string;
  sanitizers: boolean;
  cpu: { vendor: string; brand: string; features: string[] };
  napiVersion: number;
  addonPath: string;
  bindingFamilies: string[];
}

let version: string | undefined;
export function packageVersion(): string {
  return (version ??= (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version);
}

export function backendInfo(): BackendInfo {
  const n = native();
  const i = n.backendInfo();
  return {
    version: packageVersion(),
    isa: i.isa,
    availableIsas: i.availableIsas,
    threads: i.threads,
    hardwareThreads: i.hardwareThreads,
    compiler: i.compiler,
    buildSystem: i.buildSystem,
    buildFlags: i.buildFlags,
    sanitizers: i.sanitizers,
    cpu: { vendor: i.cpuVendor, brand: i.cpuBrand, features: i.cpuFeatures },
    napiVersion: i.napiVersion,
    addonPath: addonPath(),
    bindingFamilies: [...n.bindingFamilies],
  };
}

/** Sets the size of the native thread pool (1..1024), shared by all ops and threads of the process. */
export function setNumThreads(n: number): void {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 1024)
    throw new RangeError(`setNumThreads(): n must be an integer in [1, 1024], got ${String(n)}`);
  native().setNumThreads(n);
}

export function getNumThreads(): number {
  return native().getNumThreads();
}

/**
 * Forces the instruction set kernels use ('scalar' | 'avx2' | 'avx512'), or null for the best one
 * the CPU has (capped by $CONVKIT_ISA). Process-wide; meant for tests and benchmarks.
 */
export function setIsa(isa: IsaName | null): void {
  native().setIsa(isa);
}

export function getIsa(): IsaName {
  return native().getIsa();
}

export interface MemoryInfo {
  /** Bytes of native tensor memory live in the process (all threads). */
  numBytes: number;
  /** Native tensor buffers live in the process (all threads). */
  numBuffers: number;
  peakBytes: number;
  totalAllocations: number;
  /**
   * Bytes of freed tensor buffers the allocator keeps for reuse (at most 64 MiB by default, or
   * CONVKIT_ALLOC_CACHE_MB): resident, not live. `releaseCachedMemory()` returns them to the OS.
   */
  cachedBytes: number;
}

export function memory(): MemoryInfo {
  const s = native().memoryStats();
  return { numBytes: s.liveBytes, numBuffers: s.liveBuffers, peakBytes: s.peakBytes, totalAllocations: s.totalAllocations, cachedBytes: s.cachedBytes };
}

/** Returns the freed tensor buffers the allocator keeps for reuse to the operating system. */
export function releaseCachedMemory(): void {
  native().releaseCachedMemory();
}
