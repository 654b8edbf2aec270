/**
 * The one place that owns the h5wasm (HDF5 compiled to WebAssembly) instance.
 *
 * - We use the in-memory (MEMFS) build: bytes in, bytes out. Reading a path means fs.readFile + write into
 *   MEMFS; writing means building the file in MEMFS and handing the bytes to our atomic writer. That keeps
 *   Buffers, Uint8Arrays and paths on one code path and never lets HDF5 touch the real filesystem.
 * - HDF5's own error printer is replaced by h5wasm's throwing handler, so a corrupt file becomes a JS Error
 *   carrying the HDF5 error stack text instead of noise on stderr.
 * - A WebAssembly trap or an Emscripten abort() inside HDF5 leaves the library's global state unusable.
 *   We catch it, turn it into a ModelFormatError, and throw the instance away; the next call instantiates a
 *   fresh module (a new evaluation of h5wasm's ESM entry, made unique with a query string).
 */
import type * as H5 from 'h5wasm';
import { ModelFormatError } from '../errors.js';

export type H5Lib = typeof H5;

interface Instance {
  lib: H5Lib;
  generation: number;
}

let current: Promise<Instance> | null = null;
let generation = 0;
let fileCounter = 0;
let entryUrl: string | null = null;

async function resolveEntry(): Promise<string | null> {
  if (entryUrl) return entryUrl;
  const meta = import.meta as ImportMeta & { resolve?: (s: string) => string };
  if (typeof meta?.resolve === 'function') {
    try {
      entryUrl = meta.resolve('h5wasm');
      return entryUrl;
    } catch {
      /* fall through */
    }
  }
  // CJS build (no import.meta.resolve): look along the node_modules search paths of this module (tsup
  // shims import.meta.url in both formats) and of the working directory.
  const { createRequire } = await import('node:module');
  const fs = await import('node:fs');
  const path = await import('node:path');
  const url = await import('node:url');
  const bases = [typeof meta?.url === 'string' ? meta.url : null, path.join(process.cwd(), 'noop.js')].filter((b): b is string => b !== null);
  for (const base of bases) {
    let dirs: string[] = [];
    try {
      dirs = createRequire(base).resolve.paths('h5wasm') ?? [];
    } catch {
      continue;
    }
    for (const dir of dirs) {
      const cand = path.join(dir, 'h5wasm', 'dist', 'esm', 'hdf5_hl.js');
      if (fs.existsSync(cand)) {
        entryUrl = url.pathToFileURL(cand).href;
        return entryUrl;
      }
    }
  }
  return null;
}

/** file: URL of h5wasm's ESM entry (for fresh instances and for the reading worker). */
export async function h5EntryUrl(): Promise<string> {
  const u = await resolveEntry();
  if (!u) throw new Error('convkit: cannot locate the h5wasm package');
  return u;
}

async function instantiate(): Promise<Instance> {
  const gen = ++generation;
  let lib: H5Lib;
  if (gen === 1) {
    lib = (await import('h5wasm')) as H5Lib;
  } else {
    const entry = await resolveEntry();
    if (!entry) throw new Error('convkit: cannot locate h5wasm to re-instantiate it after an HDF5 abort');
    lib = (await import(/* @vite-ignore */ `${entry}?instance=${gen}`)) as H5Lib;
  }
  const mod = await lib.ready;
  (mod as unknown as { activate_throwing_error_handler(): number }).activate_throwing_error_handler();
  return { lib, generation: gen };
}

/** The live h5wasm library (instantiated on first use). */
export async function h5(): Promise<H5Lib> {
  if (!current) {
    current = instantiate();
    current.catch(() => {
      current = null;
    });
  }
  return (await current).lib;
}

/** Number of times the HDF5 module was (re)instantiated; exposed for tests of abort recovery. */
export function h5Generation(): number {
  return generation;
}

function isFatal(e: unknown): boolean {
  // WebAssembly.RuntimeError (traps, abort()): checked by name, the WebAssembly namespace is not in our TS lib.
  if (e instanceof Error && e.name === 'RuntimeError') return true;
  const msg = e instanceof Error ? e.message : String(e);
  return /Aborted\(|unreachable|memory access out of bounds|Program terminated/i.test(msg);
}

/** Drop the current instance so the next call builds a fresh one. */
export function discardH5Instance(): void {
  current = null;
}

function cleanHdf5Message(e: unknown): string {
  const raw = e instanceof Error ? e.message : String(e);
  // Keep the innermost (most specific) HDF5 lines: "... in H5F__super_read(): truncated file: ..."
  const lines = raw
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /\(\):/.test(l))
    .map((l) => l.replace(/^#\d+:\s*\S+ line \d+ in /, ''));
  if (lines.length === 0) return raw.split('\n')[0] ?? raw;
  return lines.slice(-2).join('; ');
}

/**
 * Run `fn` on the HDF5 file held in `bytes`. Any HDF5 failure or abort becomes a ModelFormatError naming
 * `what`; an abort also discards the module instance.
 */
export async function withH5Bytes<T>(bytes: Uint8Array, what: string, fn: (f: H5.File, lib: H5Lib) => T): Promise<T> {
  const lib = await h5();
  const name = `/convkit_in_${process.pid}_${++fileCounter}.h5`;
  let file: H5.File | null = null;
  try {
    lib.FS!.writeFile(name, bytes);
    try {
      file = new lib.File(name, 'r');
    } catch (e) {
      throw new ModelFormatError('CORRUPT', `${what}: not a readable HDF5 file (${cleanHdf5Message(e)})`, { cause: e });
    }
    return fn(file, lib);
  } catch (e) {
    if (isFatal(e)) {
      discardH5Instance();
      throw new ModelFormatError('CORRUPT', `${what}: HDF5 library aborted while reading the file (${String((e as Error).message ?? e).slice(0, 200)})`, { cause: e });
    }
    if (e instanceof ModelFormatError) throw e;
    if (e instanceof Error && /HDF5|error - name not defined|not supported/.test(e.message)) {
      throw new ModelFormatError('CORRUPT', `${what}: HDF5 read failed (${cleanHdf5Message(e)})`, { cause: e });
    }
    throw e;
  } finally {
    try {
      file?.close();
    } catch {
      /* closing a corrupt file may fail too; the MEMFS copy is removed below either way */
    }
    try {
      lib.FS!.unlink(name);
    } catch {
      /* ignore */
    }
  }
}

/** Build a new HDF5 file with `fn` and return its bytes. */
export async function buildH5Bytes(what: string, fn: (f: H5.File, lib: H5Lib) => void): Promise<Uint8Array> {
  const lib = await h5();
  const name = `/convkit_out_${process.pid}_${++fileCounter}.h5`;
  let file: H5.File | null = null;
  try {
    file = new lib.File(name, 'w');
    fn(file, lib);
    file.close();
    file = null;
    return new Uint8Array(lib.FS!.readFile(name));
  } catch (e) {
    if (isFatal(e)) discardH5Instance();
    if (e instanceof Error && !(e instanceof ModelFormatError) && /HDF5/.test(e.message)) {
      throw new Error(`${what}: HDF5 write failed (${cleanHdf5Message(e)})`, { cause: e });
    }
    throw e;
  } finally {
    try {
      file?.close();
    } catch {
      /* ignore */
    }
    try {
      lib.FS!.unlink(name);
    } catch {
      /* ignore */
    }
  }
}

/** Test hook: run `fn` against the raw module so a test can provoke a genuine abort. */
export async function _withRawModuleForTest<T>(fn: (mod: unknown) => T): Promise<T> {
  const lib = await h5();
  try {
    return fn(lib.Module);
  } catch (e) {
    if (isFatal(e)) discardH5Instance();
    throw e;
  }
}
