/**
 * `convkit predict MODEL INPUT…`: images are decoded, converted to the model's channels, resized to its
 * input size and scaled; .npy holds one sample or a batch; .json holds one nested array or a list.
 * Prints the top-k classes per input, or writes every output row to --output (.json or .npy).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { existsSync } from 'node:fs';
import { extname } from 'node:path';
import type { ParsedArgs } from '../args.js';
import { bool, choice, int, str } from '../args.js';
import type { CliIO } from '../io.js';
import { EXIT_OK, UsageError } from '../errors.js';
import { modelSampleShape, resolveModel } from '../model_source.js';
import { DatasetError, decodeImage, encodeNpy, parseNpy, resizeBilinear, sniffImageFormat } from '../../data/index.js';
import { setNumThreads } from '../../backend.js';
import { tensor } from '../../tensor/index.js';
import { shapesEqual } from '../../tensor/shape.js';

type Scale = 'unit' | 'byte' | 'symmetric' | 'invert';

interface Sample {
  readonly source: string;
  readonly data: Float32Array;
}

function scaleInPlace(x: Float32Array, mode: Scale): void {
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    x[i] = mode === 'byte' ? v * 255 : mode === 'symmetric' ? v * 2 - 1 : mode === 'invert' ? 1 - v : v;
  }
}

/** Samples from one input file; `shape` is the model's sample shape (all sizes known). */
export function readInputs(file: string, shape: readonly number[], opts: { scale: Scale; resize: 'bilinear' | 'none' }): Sample[] {
  if (!existsSync(file)) throw new DatasetError(file, 'an input file (PNG/JPEG image, .npy or .json)', 'no such file');
  const buf = readFileSync(file);
  const per = shape.reduce((a, b) => a * b, 1);
  if (sniffImageFormat(buf)) {
    if (shape.length !== 3 || (shape[2] !== 1 && shape[2] !== 3)) {
      throw new DatasetError(file, `an input matching the model's sample shape [${shape.join(', ')}]`, 'an image (the model does not take H×W×1 or H×W×3 images)');
    }
    const [h, w, c] = shape as [number, number, 1 | 3];
    let img = decodeImage(buf, c, file);
    if (img.width !== w || img.height !== h) {
      if (opts.resize === 'none') throw new DatasetError(file, `a ${w}×${h} image (--resize none)`, `${img.width}×${img.height}`);
      img = resizeBilinear(img, w, h);
    }
    const data = Float32Array.from(img.data);
    scaleInPlace(data, opts.scale);
    return [{ source: file, data }];
  }
  const ext = extname(file).toLowerCase();
  let values: Float32Array;
  let arrShape: number[];
  if (ext === '.npy') {
    const a = parseNpy(buf, file);
    values = a.data instanceof Float32Array ? a.data : Float32Array.from(a.data);
    arrShape = a.shape;
  } else if (ext === '.json') {
    let json: unknown;
    try {
      json = JSON.parse(buf.toString('utf8'));
    } catch (e) {
      throw new DatasetError(file, 'valid JSON (a nested array of numbers)', `a parse error: ${(e as Error).message}`);
    }
    const flat: number[] = [];
    const dims: number[] = [];
    const walk = (v: unknown, depth: number): void => {
      if (Array.isArray(v)) {
        if (dims[depth] === undefined) dims[depth] = v.length;
        else if (dims[depth] !== v.length) throw new DatasetError(file, 'a rectangular nested array', `rows of lengths ${dims[depth]} and ${v.length} at depth ${depth}`);
        for (const x of v) walk(x, depth + 1);
      } else if (typeof v === 'number' && Number.isFinite(v)) flat.push(v);
      else throw new DatasetError(file, 'a nested array of finite numbers', `${JSON.stringify(v)?.slice(0, 40)}`);
    };
    walk(json, 0);
    values = Float32Array.from(flat);
    arrShape = dims;
  } else {
    throw new DatasetError(file, 'a PNG or JPEG image, an .npy array or a .json array', `a file with extension ${ext || '(none)'} that is not an image`);
  }
  // One sample ([...shape]) or a batch ([n, ...shape]).
  let n: number;
  if (shapesEqual(arrShape, shape)) n = 1;
  else if (shapesEqual(arrShape.slice(1), shape)) n = arrShape[0]!;
  else if (values.length === per) n = 1;
  else throw new DatasetError(file, `one sample of shape [${shape.join(', ')}] or a batch [n, ${shape.join(', ')}]`, `shape [${arrShape.join(', ')}]`);
  return Array.from({ length: n }, (_, i) => ({ source: n === 1 ? file : `${file}[${i}]`, data: values.slice(i * per, (i + 1) * per) }));
}

function readLabels(spec: string | undefined): string[] | undefined {
  if (spec === undefined) return undefined;
  if (existsSync(spec)) return readFileSync(spec, 'utf8').split(/\r?\n/).map((s) => s.trim()).filter((s) => s.length > 0);
  return spec.split(',').map((s) => s.trim());
}

export async function runPredict(args: ParsedArgs, io: CliIO): Promise<number> {
  const k = int(args, 'top', { min: 1 }) ?? 3;
  const scale = choice(args, 'scale', ['unit', 'byte', 'symmetric', 'invert'] as const) ?? 'unit';
  const resize = choice(args, 'resize', ['bilinear', 'none'] as const) ?? 'bilinear';
  const output = str(args, 'output');
  const threads = int(args, 'threads', { min: 1, max: 1024 });
  if (output && !/\.(json|npy)$/i.test(output)) throw new UsageError(`--output expects a .json or .npy path, got ${JSON.stringify(output)}`);
  if (threads !== undefined) setNumThreads(threads);
  const labels = readLabels(str(args, 'labels'));
  const [modelSpec, ...inputs] = args.positionals as [string, ...string[]];

  const { model } = await resolveModel(modelSpec);
  const shape = modelSampleShape(model);
  if (!shape || shape.some((d) => d === null)) throw new Error(`the model's input shape [${shape?.map((d) => d ?? '?').join(', ')}] is not fully known; predict needs a fixed sample shape`);
  const sampleShape = shape as number[];
  const samples = inputs.flatMap((f) => readInputs(f, sampleShape, { scale, resize }));
  const per = sampleShape.reduce((a, b) => a * b, 1);
  const x = new Float32Array(samples.length * per);
  samples.forEach((s, i) => x.set(s.data, i * per));
  const xt = tensor(x, [samples.length, ...sampleShape]);
  let outData: Float32Array;
  let outShape: number[];
  try {
    const y = await model.predict(xt, { batchSize: 64 });
    const t = Array.isArray(y) ? y[0]! : y;
    outData = Float32Array.from(t.dataSync() as Float32Array);
    outShape = [...t.shape];
    if (Array.isArray(y)) y.forEach((q) => q.dispose());
    else y.dispose();
  } finally {
    xt.dispose();
  }
  const width = outData.length / samples.length;
  if (output) {
    if (output.toLowerCase().endsWith('.npy')) writeFileSync(output, encodeNpy(outData, outShape));
    else writeFileSync(output, JSON.stringify(samples.map((s, i) => ({ input: s.source, output: [...outData.subarray(i * width, (i + 1) * width)] }))) + '\n');
    io.out(`wrote ${samples.length} output row${samples.length === 1 ? '' : 's'} of shape [${outShape.slice(1).join(', ')}] to ${output}\n`);
    return EXIT_OK;
  }
  samples.forEach((s, i) => {
    const row = outData.subarray(i * width, (i + 1) * width);
    const top = [...row.keys()].sort((a, b) => row[b]! - row[a]!).slice(0, Math.min(k, width));
    const name = (c: number): string => labels?.[c] ?? String(c);
    if (bool(args, 'json')) io.out(JSON.stringify({ input: s.source, top: top.map((c) => ({ class: c, label: name(c), score: row[c] })) }) + '\n');
    else io.out(`${s.source}: ${top.map((c) => `${name(c)} (${row[c]!.toFixed(4)})`).join(', ')}\n`);
  });
  return EXIT_OK;
}
