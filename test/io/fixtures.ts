/**
 * Locate the shared Keras fixtures (never copied into the project). They live in `shared/` beside the
 * repository: ../shared from /work/main or a CI clone, ../../shared from a worktree under /work/wt/<x>.
 * Under CI (CI=true) a missing folder fails the run; locally the fixture tests skip with a message.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function locate(): string | null {
  const cands = [
    process.env.CONVKIT_KERAS_FIXTURES,
    process.env.CONVKIT_FIXTURES,
    path.resolve(repoRoot, '..', 'shared', 'fixtures', 'keras'),
    path.resolve(repoRoot, '..', '..', 'shared', 'fixtures', 'keras'),
  ].filter((x): x is string => typeof x === 'string' && x.length > 0);
  for (const c of cands) if (existsSync(path.join(c, 'README.md'))) return c;
  return null;
}

export const FIXTURES: string | null = locate();
export const IN_CI = process.env.CI === 'true' || process.env.CI === '1';

if (!FIXTURES) {
  const msg = `Keras fixtures not found beside the repository (looked in ../shared/fixtures/keras and ../../shared/fixtures/keras from ${repoRoot})`;
  if (IN_CI) throw new Error(`${msg}: they are required under CI`);
  // eslint-disable-next-line no-console
  console.warn(`${msg}: skipping fixture tests`);
}

export function fx(...p: string[]): string {
  if (!FIXTURES) throw new Error('fixtures missing');
  return path.join(FIXTURES, ...p);
}

export interface ManifestLayer {
  name: string;
  class_name: string;
  params: number;
  output_shape: (number | null)[];
}
export interface ManifestOutputRef {
  file: string;
  name: string;
  shape: number[];
}
export interface Manifest {
  name: string;
  variants: { id: string; format: string; files: Record<string, string> }[];
  input_shape: (number | null)[];
  outputs: { name: string; shape: (number | null)[] }[];
  params_total: number;
  layers: ManifestLayer[];
  reference?: {
    cases: {
      id: string;
      input: { file?: string; shared_file?: string; transform?: string; shape?: number[]; reshape_to?: number[] };
      expected: { variants: string[]; outputs: ManifestOutputRef[] }[];
    }[];
    suggested_tolerance: { atol: number; rtol: number };
  };
}

export function fixtureNames(): string[] {
  if (!FIXTURES) return [];
  return [
    'k2-acgan-disc-mnist', 'k2-conv1d', 'k2-jettagger-bn', 'k2-mini-xception-fer', 'k2-mixed-dataformat-mnist', 'k2-unet-mnist',
    'k2-vww-mobilenet', 'k3-mlp-mnist-3formats', 'k3-resnet-mnist', 'k3h5-ecg-conv1d', 'kv3-k215-mnist-cnn', 'tfjs-mnist-cnn',
  ];
}

export function manifest(name: string): Manifest {
  return JSON.parse(readFileSync(fx(name, 'manifest.json'), 'utf8')) as Manifest;
}

export function readF32(file: string): Float32Array {
  const b = readFileSync(file);
  const out = new Float32Array(b.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = b.readFloatLE(i * 4);
  return out;
}

/** Arguments for readModelFile for one manifest variant: [main source, {weights?}] */
export function variantSources(name: string, v: Manifest['variants'][number]): { src: string; weights?: string } {
  const f = v.files;
  if (f.model) return { src: fx(name, f.model) };
  if (f.json) return { src: fx(name, f.json), weights: fx(name, f.weights!) };
  if (f.topology_from) return { src: fx(name, f.topology_from), weights: fx(name, f.weights!) };
  if (f.config_from) return { src: fx(name, f.config_from), weights: fx(name, f.weights!) };
  throw new Error(`unknown variant layout ${JSON.stringify(f)}`);
}

export function refCases(name: string, m: Manifest): { variant: string; input: Float32Array; shape: number[]; outputs: { data: Float32Array; shape: number[] }[] }[] {
  const out: ReturnType<typeof refCases> = [];
  for (const c of m.reference?.cases ?? []) {
    let input: Float32Array;
    let shape: number[];
    if (c.input.file) {
      input = readF32(fx(name, c.input.file));
      shape = c.input.shape!;
    } else {
      input = readF32(path.join(FIXTURES!, '_mnist200', 'images.bin'));
      if (c.input.transform?.startsWith('2*x - 1')) input = input.map((v) => 2 * v - 1);
      shape = c.input.reshape_to!;
    }
    for (const e of c.expected)
      for (const v of e.variants) out.push({ variant: v, input, shape, outputs: e.outputs.map((o) => ({ data: readF32(fx(name, o.file)), shape: o.shape })) });
  }
  return out;
}

export function maxErr(got: Float32Array, want: Float32Array, atol: number, rtol: number): { maxAbs: number; ok: boolean } {
  let maxAbs = 0;
  let ok = got.length === want.length;
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i]! - want[i]!);
    if (!(d <= atol + rtol * Math.abs(want[i]!))) ok = false;
    if (d > maxAbs || Number.isNaN(d)) maxAbs = Number.isNaN(d) ? Infinity : d;
  }
  return { maxAbs, ok };
}

