/** Transparent gunzip: files that start with the gzip magic (RFC 1952: 1f 8b) are inflated. */
import { gunzipSync } from 'node:zlib';
import { DatasetError } from './errors.js';

export function isGzip(buf: Uint8Array): boolean {
  return buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b;
}

export function maybeGunzip(buf: Buffer, file: string): Buffer {
  if (!isGzip(buf)) return buf;
  try {
    return gunzipSync(buf);
  } catch (e) {
    throw new DatasetError(file, 'a complete gzip stream', `a damaged gzip file (${(e as Error).message})`, { cause: e });
  }
}
