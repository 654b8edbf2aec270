/**
 * Zip reading and writing for `.keras` archives, through fflate (pure JS, no dependencies, synchronous,
 * widely used and maintained). Chosen over yauzl/yazl because it works on in-memory bytes (we load from
 * Buffers as well as paths), its unzip filter exposes every entry's declared sizes BEFORE anything is
 * inflated (so bomb limits are checked up front), and when given an output buffer of the declared size it
 * never grows it, so a member that lies about its size cannot expand past the cap either.
 *
 * Keras writes every member STORED (docs/KERAS_FORMATS §5); we write the same way.
 */
import { unzipSync, zipSync, type Unzipped } from 'fflate';
import { fail, ModelFormatError } from './errors.js';
import type { LoadLimits } from './limits.js';

export const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04] as const;

/**
 * Extract the members named in `wanted` (others are skipped, never inflated), enforcing: entry count,
 * per-archive uncompressed total, and compression ratio. Missing wanted members are simply absent.
 */
export function readZip(bytes: Uint8Array, wanted: ReadonlySet<string>, limits: LoadLimits, what: string): Map<string, Uint8Array> {
  let entries = 0;
  let total = 0;
  let files: Unzipped;
  const declared = new Map<string, number>();
  try {
    files = unzipSync(bytes, {
      filter(f) {
        entries++;
        if (entries > limits.maxZipEntries) fail('LIMIT', `${what}: zip has more than ${limits.maxZipEntries} entries (zip bomb?)`);
        if (!wanted.has(f.name)) return false;
        if (f.compression !== 0 && f.compression !== 8) fail('UNSUPPORTED', `${what}: member ${f.name} uses zip compression method ${f.compression} (only stored and deflate are supported)`);
        if (f.compression === 0 && f.size !== f.originalSize) fail('CORRUPT', `${what}: stored member ${f.name} has compressed size ${f.size} ≠ size ${f.originalSize}`);
        total += f.originalSize;
        if (total > limits.maxZipUncompressedBytes) fail('LIMIT', `${what}: members expand to more than ${limits.maxZipUncompressedBytes} bytes (zip bomb?)`);
        if (f.compression === 8 && f.originalSize > 1 << 20 && f.originalSize / Math.max(1, f.size) > limits.maxZipRatio)
          fail('LIMIT', `${what}: member ${f.name} has compression ratio ${(f.originalSize / Math.max(1, f.size)).toFixed(0)}:1 above ${limits.maxZipRatio}:1 (zip bomb?)`);
        if (f.size > bytes.length) fail('TRUNCATED', `${what}: member ${f.name} claims ${f.size} bytes in a ${bytes.length}-byte archive`);
        declared.set(f.name, f.originalSize);
        return true;
      },
    });
  } catch (e) {
    if (e instanceof ModelFormatError) throw e;
    return fail('CORRUPT', `${what}: not a readable zip archive (${(e as Error).message})`, e);
  }
  for (const [name, data] of Object.entries(files)) {
    if (data.length !== declared.get(name)) fail('TRUNCATED', `${what}: member ${name} holds ${data.length} bytes, its header says ${declared.get(name)}`);
  }
  return new Map(Object.entries(files));
}

/** A zip with every member STORED, in the given order (Keras's own layout). */
export function writeZipStored(members: [string, Uint8Array][]): Uint8Array {
  const obj: Record<string, [Uint8Array, { level: 0 }]> = {};
  for (const [name, data] of members) obj[name] = [data, { level: 0 }];
  // Fixed timestamp keeps saves reproducible (byte-identical for identical models).
  return zipSync(obj, { level: 0, mtime: new Date('2000-01-01T00:00:00Z') });
}
