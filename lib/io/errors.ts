/**
 * One error type for everything the file-format layer rejects, so callers can tell "your file is bad or
 * unsupported" (ModelFormatError) apart from programming errors (TypeError) and I/O errors (ENOENT...).
 * `code` is stable and meant for programs; `message` is for people and names the file part at fault.
 */
export type ModelFormatErrorCode =
  | 'BAD_MAGIC'
  | 'TRUNCATED'
  | 'CORRUPT'
  | 'BAD_CONFIG'
  | 'UNSUPPORTED'
  | 'UNSAFE'
  | 'LIMIT'
  | 'MISMATCH'
  | 'MISSING';

export class ModelFormatError extends Error {
  readonly code: ModelFormatErrorCode;
  constructor(code: ModelFormatErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ModelFormatError';
    this.code = code;
  }
}

export function fail(code: ModelFormatErrorCode, message: string, cause?: unknown): never {
  throw new ModelFormatError(code, message, cause === undefined ? undefined : { cause });
}

/** Short description of a JSON value's type for "expected X, got Y" messages. */
export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `array(${v.length})`;
  if (typeof v === 'string') return `string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`;
  return typeof v;
}
