/**
 * NumPy `.npy` arrays (format spec: numpy/lib/format.py, "NPY format" v1.0–3.0):
 * "\x93NUMPY" <major> <minor> <header length: uint16 LE (v1) | uint32 LE (v2, v3)> <header: a Python
 * dict literal {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }> <raw data>.
 * The header block is padded with spaces so that the data starts at a multiple of 64 bytes.
 */
import { DatasetError } from './errors.js';

export type NumericArray = Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array;

export interface NpyArray {
  /** NumPy descr without byte order, e.g. 'f4', 'u1', 'i8', 'b1'. */
  readonly dtype: string;
  readonly shape: number[];
  /** C-order values. int64/uint64 arrive as Float64Array (exact below 2^53); bool as Uint8Array. */
  readonly data: NumericArray;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const EXPECTED = 'a NumPy .npy array (magic \\x93NUMPY)';

function parseHeader(text: string, file: string): { descr: string; fortran: boolean; shape: number[] } {
  const descr = /'descr'\s*:\s*'([^']+)'/.exec(text)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new DatasetError(file, "an .npy header dict with 'descr', 'fortran_order' and 'shape'", JSON.stringify(text.trim().slice(0, 120)));
  }
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => Number(s.replace(/L$/, '')));
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw new DatasetError(file, 'an .npy shape of non-negative integers', `(${shapeText})`);
  return { descr, fortran: fortran === 'True', shape };
}

function readValues(bytes: Uint8Array, descr: string, n: number, file: string): NumericArray {
  const order = descr[0];
  const kind = descr.slice(1);
  const little = order !== '>';
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const need = (size: number): void => {
    if (bytes.byteLength < n * size) throw new DatasetError(file, `${n * size} data bytes for ${n} values of ${descr}`, `${bytes.byteLength} bytes (truncated)`);
  };
  const fill = <T extends NumericArray>(out: T, size: number, get: (off: number) => number): T => {
    need(size);
    for (let i = 0; i < n; i++) out[i] = get(i * size);
    return out;
  };
  switch (kind) {
    case 'f4': return fill(new Float32Array(n), 4, (o) => dv.getFloat32(o, little));
    case 'f8': return fill(new Float64Array(n), 8, (o) => dv.getFloat64(o, little));
    case 'u1': case 'b1': return fill(new Uint8Array(n), 1, (o) => dv.getUint8(o));
    case 'i1': return fill(new Int8Array(n), 1, (o) => dv.getInt8(o));
    case 'i2': return fill(new Int16Array(n), 2, (o) => dv.getInt16(o, little));
    case 'u2': return fill(new Uint16Array(n), 2, (o) => dv.getUint16(o, little));
    case 'i4': return fill(new Int32Array(n), 4, (o) => dv.getInt32(o, little));
    case 'u4': return fill(new Uint32Array(n), 4, (o) => dv.getUint32(o, little));
    case 'i8': return fill(new Float64Array(n), 8, (o) => Number(dv.getBigInt64(o, little)));
    case 'u8': return fill(new Float64Array(n), 8, (o) => Number(dv.getBigUint64(o, little)));
    default:
      throw new DatasetError(file, 'an .npy dtype among f4 f8 i1 u1 i2 u2 i4 u4 i8 u8 b1', `dtype '${descr}'`);
  }
}

/** Fortran (column-major) order → C order: element (i0..ik) sits at Σ i_j·Π_{l<j} d_l. */
function fortranToC(data: NumericArray, shape: number[]): NumericArray {
  const n = data.length;
  const out = new (data.constructor as new (n: number) => NumericArray)(n);
  const idx = new Array<number>(shape.length).fill(0);
  const fstride: number[] = [];
  let s = 1;
  for (const d of shape) {
    fstride.push(s);
    s *= d;
  }
  for (let c = 0; c < n; c++) {
    let f = 0;
    for (let j = 0; j < shape.length; j++) f += idx[j]! * fstride[j]!;
    out[c] = data[f]!;
    for (let j = shape.length - 1; j >= 0; j--) {
      if (++idx[j]! < shape[j]!) break;
      idx[j] = 0;
    }
  }
  return out;
}

export function parseNpy(buf: Uint8Array, file = '<npy>'): NpyArray {
  if (buf.length < 10 || MAGIC.some((m, i) => buf[i] !== m)) {
    const head = [...buf.subarray(0, 6)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new DatasetError(file, EXPECTED, `${buf.length} bytes starting ${head || '(empty)'}`);
  }
  const major = buf[6]!;
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let headerLen: number;
  let start: number;
  if (major === 1) {
    headerLen = dv.getUint16(8, true);
    start = 10;
  } else if (major === 2 || major === 3) {
    if (buf.length < 12) throw new DatasetError(file, EXPECTED, 'a truncated header');
    headerLen = dv.getUint32(8, true);
    start = 12;
  } else {
    throw new DatasetError(file, 'an .npy file of format version 1, 2 or 3', `version ${major}.${buf[7]}`);
  }
  if (buf.length < start + headerLen) throw new DatasetError(file, `a ${headerLen}-byte .npy header`, `${buf.length - start} bytes`);
  const text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(buf.subarray(start, start + headerLen));
  const { descr, fortran, shape } = parseHeader(text, file);
  const n = shape.reduce((a, b) => a * b, 1);
  let data = readValues(buf.subarray(start + headerLen), descr, n, file);
  if (fortran && shape.length > 1) data = fortranToC(data, shape);
  return { dtype: descr.slice(1), shape, data };
}

const DESCR: Record<string, string> = {
  Float32Array: '<f4', Float64Array: '<f8', Int8Array: '|i1', Uint8Array: '|u1', Int16Array: '<i2',
  Uint16Array: '<u2', Int32Array: '<i4', Uint32Array: '<u4',
};

/** Writes a C-order little-endian v1.0 .npy (header padded to a 64-byte boundary, ending in '\n'). */
export function encodeNpy(data: NumericArray, shape: readonly number[]): Buffer {
  const n = shape.reduce((a, b) => a * b, 1);
  if (n !== data.length) throw new RangeError(`encodeNpy: shape [${shape.join(', ')}] holds ${n} values, data has ${data.length}`);
  const descr = DESCR[data.constructor.name];
  if (!descr) throw new TypeError(`encodeNpy: unsupported array type ${data.constructor.name}`);
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const out = Buffer.alloc(10 + header.length + data.byteLength);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  out.writeUInt16LE(header.length, 8);
  out.write(header, 10, 'latin1');
  // Typed arrays are little-endian on every platform Node supports (x86-64, arm64).
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + header.length);
  return out;
}
