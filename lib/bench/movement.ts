// 'movement' cases: the layers' backend data movement and masks on native/ops/movement.cc
// (broadcastTo, pad, nearest/bilinear upsampling, dropout mask), through the same binding calls
// lib/layers/backend.ts makes, on preallocated arrays. A second column, `convkit-js-loop`, times
// the plain JavaScript loops these replaced (kept here only as the comparison), so the gain of
// moving them native is measured in the same run. Cases: docs/bench/movement-cases.json.
import { native } from '../native/index.js';
import '../layers/backend.js'; // brings in the movement binding's typings
import { Rng } from '../random/index.js';
import { randomFloat32, type BenchCase } from './cases.js';
import { registerKind, type PreparedCase } from './registry.js';

function shapeParam(c: BenchCase, name: string): number[] {
  const v = c.params[name];
  if (!Array.isArray(v) || !v.every((x) => Number.isInteger(x) && x >= 0)) throw new Error(`case ${c.id}: params.${name} must be a shape`);
  return v as number[];
}
const size = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

/** The JavaScript broadcast loop (odometer over the output, stride 0 on broadcast axes). */
function jsBroadcast(x: Float32Array, xs: number[], o: Float32Array, os: number[]): void {
  const off = os.length - xs.length;
  const st: number[] = os.map(() => 0);
  let acc = 1;
  for (let d = xs.length - 1; d >= 0; d--) {
    st[d + off] = xs[d] === 1 ? 0 : acc;
    acc *= xs[d]!;
  }
  const idx = os.map(() => 0);
  let ix = 0;
  for (let i = 0; i < o.length; i++) {
    o[i] = x[ix]!;
    for (let d = os.length - 1; d >= 0; d--) {
      idx[d]!++;
      ix += st[d]!;
      if (idx[d]! < os[d]!) break;
      ix -= st[d]! * os[d]!;
      idx[d] = 0;
    }
  }
}

function setup(c: BenchCase): PreparedCase[] {
  const n = native();
  const op = c.params['op'];
  const xs = shapeParam(c, 'shape');
  const x = randomFloat32(size(xs), 1);
  if (op === 'broadcastTo') {
    const os = shapeParam(c, 'to');
    const o = new Float32Array(size(os));
    return [
      { run: () => n.broadcastTo(x, xs, o, os) },
      { run: () => jsBroadcast(x, xs, o, os), peer: 'convkit-js-loop' },
    ];
  }
  if (op === 'pad') {
    const pads = c.params['pads'] as [number, number][];
    const os = xs.map((d, i) => d + pads[i]![0] + pads[i]![1]);
    const o = new Float32Array(size(os));
    const before = pads.map((p) => p[0]);
    return [{ run: () => n.padConstant(x, xs, before, 0, o, os) }];
  }
  if (op === 'upsampleNearest' || op === 'upsampleBilinear') {
    const f = c.params['size'] as [number, number];
    const [b, h, w, ch] = xs as [number, number, number, number];
    const o = new Float32Array(b * h * f[0] * w * f[1] * ch);
    const cases: PreparedCase[] = [
      { run: () => (op === 'upsampleNearest' ? n.upsampleNearest2d(x, xs, f, o) : n.upsampleBilinear2d(x, xs, f, o)) },
    ];
    if (op === 'upsampleNearest') {
      cases.push({
        peer: 'convkit-js-loop',
        run: () => {
          for (let q = 0; q < b; q++) for (let i = 0; i < h * f[0]; i++) for (let j = 0; j < w * f[1]; j++) {
            const src = ((q * h + Math.floor(i / f[0])) * w + Math.floor(j / f[1])) * ch;
            o.set(x.subarray(src, src + ch), ((q * h * f[0] + i) * w * f[1] + j) * ch);
          }
        },
      });
    }
    return cases;
  }
  if (op === 'dropoutMask') {
    const rate = c.params['rate'] as number;
    const o = new Float32Array(size(xs));
    const rng = new Rng(1);
    const state = new Int32Array(4);
    const keep = 1 / (1 - rate);
    return [
      { run: () => { rng.saveState(state); n.randomMask(state, rate, o); rng.loadState(state); } },
      { run: () => { for (let i = 0; i < o.length; i++) o[i] = rng.random() >= rate ? keep : 0; }, peer: 'convkit-js-loop' },
    ];
  }
  throw new Error(`case ${c.id}: unknown movement op ${JSON.stringify(op)}`);
}

registerKind('movement', setup);
