import { readFileSync } from 'node:fs';

/**
 * The one error type for dataset files that cannot be read: missing, truncated, wrong magic number,
 * inconsistent sizes. The message always names the file, what was expected and what was found, so a
 * person can fix the path or the download without reading the source.
 */
export class DatasetError extends Error {
  readonly file: string;
  readonly expected: string;
  readonly found: string;
  constructor(file: string, expected: string, found: string, options?: { cause?: unknown }) {
    super(`${file}: expected ${expected}, found ${found}`, options);
    this.name = 'DatasetError';
    this.file = file;
    this.expected = expected;
    this.found = found;
  }
}

/** Reads a whole file, turning ENOENT/EISDIR into a DatasetError that says what the file should be. */
export function readDatasetFile(file: string, expected: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const found =
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'a directory' : `an unreadable file (${code ?? String(e)})`;
    throw new DatasetError(file, expected, found, { cause: e });
  }
}
