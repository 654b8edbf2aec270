/**
 * Atomic file replacement: write to a temporary file in the SAME directory (so rename(2) never crosses a
 * filesystem), fsync it, then rename over the target. A failure at any point removes the temporary file
 * and leaves an existing target untouched.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import path from 'node:path';

export interface AtomicOptions {
  /** Test hook: runs after the data is written and synced, before the rename. Throwing aborts the save. */
  beforeRename?: () => void | Promise<void>;
}

function tempName(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

async function writeTemp(target: string, data: Uint8Array): Promise<string> {
  const tmp = tempName(target);
  const fh = await open(tmp, 'wx', 0o644);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } catch (e) {
    await fh.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  await fh.close();
  return tmp;
}

export async function atomicWriteFile(target: string, data: Uint8Array, opts: AtomicOptions = {}): Promise<void> {
  await atomicWriteFiles([[target, data]], opts);
}

/**
 * Several files that belong together (TF.js model.json + shards): all are written to temporaries first;
 * only when every one succeeded are they renamed, in the given order (put the index file last).
 */
export async function atomicWriteFiles(files: [string, Uint8Array][], opts: AtomicOptions = {}): Promise<void> {
  const temps: [string, string][] = [];
  try {
    for (const [target, data] of files) temps.push([await writeTemp(target, data), target]);
    if (opts.beforeRename) await opts.beforeRename();
  } catch (e) {
    await Promise.all(temps.map(([t]) => unlink(t).catch(() => undefined)));
    throw e;
  }
  for (const [tmp, target] of temps) await rename(tmp, target);
}
