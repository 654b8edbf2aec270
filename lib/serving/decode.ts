/**
 * Request bodies → float32 samples: nested JSON arrays (TF Serving "instances"/"inputs", KServe v2
 * "data"), raw little-endian float32 bytes, and PNG/JPEG images. Every failure is a BadInputError
 * (HTTP 400) that says what was expected and what came.
 */
import { decodeImage, resizeBilinear, sniffImageFormat } from '../data/image.js';
import { endianness } from 'node:os';
import { BadInputError } from './errors.js';

export interface Samples {
  readonly data: Float32Array;
  readonly n: number;
  readonly sampleShape: number[];
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'string') return `a string`;
  return `a ${typeof v}`;
}

/** Shape of a rectangular nested array (checked), and its values flattened in row-major order. */
export function flattenNested(v: unknown, what: string): { shape: number[]; values: number[] } {
  const shape: number[] = [];
  let p: unknown = v;
  while (Array.isArray(p)) {
    shape.push(p.length);
    p = p[0];
  }
  const values: number[] = [];
  const walk = (x: unknown, depth: number, path: string): void => {
    if (depth === shape.length) {
      if (typeof x !== 'number' || !Number.isFinite(x)) throw new BadInputError(`${what}${path}: expected a finite number, got ${describe(x)}`);
      values.push(x);
      return;
    }
    if (!Array.isArray(x) || x.length !== shape[depth]) throw new BadInputError(`${what}${path}: expected an array of ${shape[depth]} (the array is not rectangular), got ${describe(x)}`);
    for (let i = 0; i < x.length; i++) walk(x[i], depth + 1, `${path}[${i}]`);
  };
  walk(v, 0, '');
  return { shape, values };
}

/** Fills unknown (null) dimensions of the model's sample shape from a given one, checking the rest. */
function resolveShape(got: readonly number[], want: readonly (number | null)[] | undefined, what: string): number[] {
  if (!want) return [...got];
  if (got.length !== want.length || got.some((d, i) => want[i] !== null && want[i] !== d)) {
    throw new BadInputError(`${what}: each instance must have shape [${want.map((d) => d ?? '?').join(', ')}], got [${got.join(', ')}]`);
  }
  return [...got];
}

/** TF Serving row format: `instances` is a list of samples (each a nested array or {"name": nested}). */
export function samplesFromInstances(instances: unknown, want: readonly (number | null)[] | undefined): Samples {
  if (!Array.isArray(instances) || instances.length === 0) throw new BadInputError(`"instances": expected a non-empty list of samples, got ${describe(instances)}`);
  const rows = instances.map((inst) => {
    if (inst !== null && typeof inst === 'object' && !Array.isArray(inst)) {
      const vals = Object.values(inst as Record<string, unknown>);
      if (vals.length !== 1) throw new BadInputError(`"instances": a named instance must have exactly one input (convkit models served here take one), got ${vals.length}`);
      return vals[0];
    }
    return inst;
  });
  const { shape, values } = flattenNested(rows, '"instances"');
  const sampleShape = resolveShape(shape.slice(1), want, '"instances"');
  return { data: Float32Array.from(values), n: shape[0]!, sampleShape };
}

/** TF Serving columnar format: `inputs` is the whole batch as one nested array (or {"name": batch}). */
export function samplesFromInputs(inputs: unknown, want: readonly (number | null)[] | undefined): Samples {
  let v = inputs;
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    const vals = Object.values(v as Record<string, unknown>);
    if (vals.length !== 1) throw new BadInputError(`"inputs": expected one named input, got ${vals.length}`);
    v = vals[0];
  }
  const { shape, values } = flattenNested(v, '"inputs"');
  if (shape.length < 1 || shape[0] === 0) throw new BadInputError(`"inputs": expected a batch [n, ...], got ${describe(v)}`);
  return { data: Float32Array.from(values), n: shape[0]!, sampleShape: resolveShape(shape.slice(1), want, '"inputs"') };
}

/** KServe v2 tensor: {name, shape, datatype: "FP32", data: flat or nested}. */
export function samplesFromV2(input: unknown, want: readonly (number | null)[] | undefined): Samples {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) throw new BadInputError(`"inputs[0]": expected an object {name, shape, datatype, data}, got ${describe(input)}`);
  const t = input as { shape?: unknown; datatype?: unknown; data?: unknown };
  if (!Array.isArray(t.shape) || t.shape.length < 1 || !t.shape.every((d) => Number.isInteger(d) && d >= 1)) {
    throw new BadInputError(`"inputs[0].shape": expected a list of positive integers [n, ...], got ${JSON.stringify(t.shape)}`);
  }
  if (t.datatype !== 'FP32' && t.datatype !== 'FP64' && t.datatype !== 'INT32' && t.datatype !== 'UINT8') {
    throw new BadInputError(`"inputs[0].datatype": expected FP32 (or FP64, INT32, UINT8), got ${JSON.stringify(t.datatype)}`);
  }
  const shape = t.shape as number[];
  const { values } = flattenNested(t.data, '"inputs[0].data"');
  const need = shape.reduce((a, b) => a * b, 1);
  if (values.length !== need) throw new BadInputError(`"inputs[0].data": shape [${shape.join(', ')}] needs ${need} values, got ${values.length}`);
  return { data: Float32Array.from(values), n: shape[0]!, sampleShape: resolveShape(shape.slice(1), want, '"inputs[0]"') };
}

/** A raw body of little-endian float32 values: n = bytes / (4 · sample size). */
export function samplesFromRaw(body: Buffer, want: readonly (number | null)[] | undefined): Samples {
  if (!want || want.some((d) => d === null)) throw new BadInputError('raw float32 bodies need a model with a fully known input shape; send JSON instead');
  const shape = want as number[];
  const per = shape.reduce((a, b) => a * b, 1);
  if (body.length === 0 || body.length % (4 * per) !== 0) {
    throw new BadInputError(`raw float32 body: expected a multiple of ${4 * per} bytes (samples of [${shape.join(', ')}] float32), got ${body.length} bytes`);
  }
  const n = body.length / (4 * per);
  // On a little-endian host the bytes are the floats: the body is viewed in place when it sits at
  // a 4-byte aligned offset (the request owns it; a fresh buffer for a large body, an 8-aligned
  // slice of Node's pool for a small one), else copied once. A copy of a 600 KB ResNet sample
  // costs more in page faults than it saves. Big-endian hosts convert value by value.
  let data: Float32Array;
  if (LITTLE_ENDIAN && body.byteOffset % 4 === 0) data = new Float32Array(body.buffer, body.byteOffset, n * per);
  else {
    data = new Float32Array(n * per);
    if (LITTLE_ENDIAN) new Uint8Array(data.buffer).set(body);
    else for (let i = 0; i < data.length; i++) data[i] = body.readFloatLE(4 * i);
  }
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    // v - v is 0 for finite v and NaN for ±Infinity and NaN.
    if (v - v !== 0) throw new BadInputError(`raw float32 body: value ${i} is not finite`);
  }
  return { data, n, sampleShape: [...shape] };
}

const LITTLE_ENDIAN = endianness() === 'LE';

/** A PNG/JPEG body for an image model [h, w, 1|3]: decoded, resized (bilinear), scaled to [0, 1]. */
export function samplesFromImage(body: Buffer, want: readonly (number | null)[] | undefined): Samples {
  if (!sniffImageFormat(body)) throw new BadInputError('image body: expected PNG or JPEG bytes');
  if (!want || want.length !== 3 || want.some((d) => d === null) || (want[2] !== 1 && want[2] !== 3)) {
    throw new BadInputError(`image bodies need an image model with input [height, width, 1 or 3], this model takes [${want?.map((d) => d ?? '?').join(', ') ?? '?'}]`);
  }
  const [h, w, c] = want as [number, number, 1 | 3];
  let img;
  try {
    img = decodeImage(body, c, 'request body');
  } catch (e) {
    throw new BadInputError((e as Error).message);
  }
  img = resizeBilinear(img, w, h);
  return { data: Float32Array.from(img.data), n: 1, sampleShape: [h, w, c] };
}

/** Shape of row i of a flat [n, ...shape] array as nested arrays (for JSON responses). */
export function nestRows(data: Float32Array, shape: readonly number[]): unknown[] {
  const [n, ...rest] = shape;
  const per = rest.reduce((a, b) => a * b, 1);
  const nest = (off: number, dims: readonly number[]): unknown => {
    if (dims.length === 0) return data[off];
    const step = dims.slice(1).reduce((a, b) => a * b, 1);
    return Array.from({ length: dims[0]! }, (_, i) => nest(off + i * step, dims.slice(1)));
  };
  return Array.from({ length: n! }, (_, i) => nest(i * per, rest));
}
