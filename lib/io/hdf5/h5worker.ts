/**
 * Main-thread client of the HDF5 reading worker (see worker_source.ts). One worker is kept alive
 * (unref'd, so it never holds the process open) and reused. Every request has a deadline: a corrupt
 * file that sends HDF5 into an endless loop, or a WebAssembly trap, costs that worker — it is terminated
 * and the next request starts a fresh one — never the process.
 */
import { Worker } from 'node:worker_threads';
import { ModelFormatError, type ModelFormatErrorCode } from '../errors.js';
import { h5EntryUrl } from './h5module.js';
import { H5_WORKER_SOURCE } from './worker_source.js';

export type SnapValue = string | number | boolean | null | SnapValue[] | { __tooLarge: number };

export interface SnapGroup {
  kind: 'group';
  attrs: Record<string, SnapValue>;
  children: Record<string, SnapNode>;
  skipped?: boolean;
}
export interface SnapDataset {
  kind: 'dataset';
  shape: number[];
  /** HDF5 type class: 0 integer, 1 float, 3 string, … */
  type: number;
  /** Bytes per element. */
  size: number;
  filtered: boolean;
  /** The dataset's own attributes (Keras 3 marks bfloat16 data with dtype="bfloat16"). */
  attrs: Record<string, SnapValue>;
}
export type SnapNode = SnapGroup | SnapDataset | { kind: 'other' };

interface Reply {
  id: number;
  ok: boolean;
  value?: unknown;
  fatal?: boolean;
  code?: string;
  name?: string;
  message?: string;
}

let worker: Worker | null = null;
let nextId = 0;
const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
let restarts = 0;

function killWorker(reason: Error): void {
  const w = worker;
  worker = null;
  if (w) void w.terminate();
  for (const p of pending.values()) p.reject(reason);
  pending.clear();
}

function getWorker(): Worker {
  if (worker) return worker;
  const w = new Worker(H5_WORKER_SOURCE, { eval: true });
  w.on('message', (r: Reply) => {
    const p = pending.get(r.id);
    if (!p) return;
    pending.delete(r.id);
    idle();
    if (r.ok) p.resolve(r.value);
    else {
      if (r.fatal) killWorker(new Error('HDF5 worker restarted'));
      p.reject(Object.assign(new Error(r.message ?? 'HDF5 error'), { code: r.code, fatal: r.fatal }));
    }
  });
  w.on('error', (e) => killWorker(e));
  w.on('exit', () => {
    if (worker === w) killWorker(new Error('HDF5 worker exited'));
  });
  // Idle workers must not keep the process alive; a busy one must (a pending load is awaited).
  // (unref after attaching listeners: adding a 'message' listener re-refs the port.)
  w.unref();
  worker = w;
  return w;
}

function idle(): void {
  if (worker && pending.size === 0) worker.unref();
}

/** Number of times the worker was torn down after a timeout or crash (for tests). */
export function h5WorkerRestarts(): number {
  return restarts;
}

async function request<T>(msg: Record<string, unknown>, timeoutMs: number, what: string, transfer: ArrayBuffer[] = []): Promise<T> {
  const h5url = await h5EntryUrl();
  const w = getWorker();
  const id = ++nextId;
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      if (!pending.has(id)) return;
      pending.delete(id);
      idle();
      restarts++;
      killWorker(new Error('HDF5 worker stopped after another request timed out'));
      reject(new ModelFormatError('CORRUPT', `${what}: HDF5 parsing did not finish within ${timeoutMs} ms (corrupt or hostile file); the reader was stopped`));
    }, timeoutMs);
    timer.unref();
    pending.set(id, {
      resolve: (v) => {
        clearTimeout(timer);
        resolve(v as T);
      },
      reject: (e) => {
        clearTimeout(timer);
        reject(e);
      },
    });
    w.ref();
    w.postMessage({ ...msg, id, h5url }, transfer);
  });
}

function cleanHdf5Message(raw: string): string {
  const lines = raw
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /\(\):/.test(l))
    .map((l) => l.replace(/^#\d+:\s*\S+ line \d+ in /, ''));
  if (lines.length === 0) return raw.split('\n')[0] ?? raw;
  return lines.slice(-2).join('; ');
}

function asFormatError(e: unknown, what: string, stage: string): never {
  if (e instanceof ModelFormatError) throw e;
  const err = e as { code?: string; message?: string; fatal?: boolean };
  if (err.code === 'LIMIT') throw new ModelFormatError('LIMIT', `${what}: ${err.message}`);
  if (err.fatal) throw new ModelFormatError('CORRUPT', `${what}: the HDF5 library aborted while ${stage} (${(err.message ?? '').slice(0, 200)}); the reader was restarted`, { cause: e });
  throw new ModelFormatError('CORRUPT', `${what}: ${stage} failed (${cleanHdf5Message(err.message ?? String(e))})`, { cause: e });
}

export interface H5Session {
  tree: SnapGroup;
  /** Values of the named datasets: float32, or float64 where `f64[i]` (exact step counts, optimizer scalars). */
  read(paths: string[], f64?: boolean[]): Promise<(Float32Array | Float64Array)[]>;
  close(): Promise<void>;
}

export interface SessionLimits {
  timeoutMs: number;
  maxNodes: number;
  maxAttrBytes: number;
  maxDepth: number;
}

/** Open untrusted HDF5 bytes in the worker; returns the metadata tree and a reader for dataset values. */
export async function openH5Session(bytes: Uint8Array, lim: SessionLimits, what: string): Promise<H5Session> {
  let opened: { handle: number; tree: SnapGroup };
  try {
    // Copy: the caller's buffer stays usable (and may be a Buffer slice of a larger pool).
    const copy = new Uint8Array(bytes); // a real copy (Buffer#slice would share, and transfer would detach, the pool)
    opened = await request({ op: 'open', bytes: copy, maxNodes: lim.maxNodes, maxAttrBytes: lim.maxAttrBytes, maxDepth: lim.maxDepth }, lim.timeoutMs, what, [copy.buffer as ArrayBuffer]);
  } catch (e) {
    asFormatError(e, what, 'opening the HDF5 file');
  }
  const { handle, tree } = opened;
  return {
    tree,
    async read(paths: string[], f64?: boolean[]): Promise<(Float32Array | Float64Array)[]> {
      if (paths.length === 0) return [];
      try {
        return await request<(Float32Array | Float64Array)[]>({ op: 'read', handle, paths, f64: f64 ?? null }, lim.timeoutMs, what);
      } catch (e) {
        asFormatError(e, what, 'reading weights');
      }
    },
    async close(): Promise<void> {
      await request({ op: 'close', handle }, lim.timeoutMs, what).catch(() => undefined);
    },
  };
}

/** Stop the worker (tests; also lets a process that is done with models drop the memory). */
export async function shutdownH5Worker(): Promise<void> {
  killWorker(new Error('shutdown'));
}

export function toCode(c: string | undefined): ModelFormatErrorCode {
  return (c as ModelFormatErrorCode) ?? 'CORRUPT';
}
