/**
 * Reshaping layers: Flatten, Reshape (one -1 allowed), Permute (1-based dims, batch fixed),
 * ZeroPadding1D/2D/3D, Cropping2D and UpSampling2D (nearest or bilinear).
 */
import type { Tensor } from '../tensor/index.js';
import { checkRank, type CallArgs, Layer, type LayerArgs, type LayerConfig, type LayerInput, singleInput, singleShape } from './layer.js';
import { registerLayer } from './registry.js';
import { checkDataFormat, type DataFormat, normalizeTuple, type Shape, shapeToString } from './shape.js';
import * as K from './backend.js';

export class Flatten extends Layer {
  static override readonly className: string = 'Flatten';
  readonly dataFormat: DataFormat;
  constructor(args: LayerArgs & { dataFormat?: DataFormat } = {}) {
    super(args);
    this.dataFormat = checkDataFormat(args.dataFormat);
  }
  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = singleShape(this, inputShape);
    checkRank(s, { min: 2 });
    const rest = s.slice(1);
    return [s[0]!, rest.some((d) => d === null) ? null : rest.reduce<number>((a, b) => a * b!, 1)];
  }
  override call(inputs: LayerInput, _kwargs: CallArgs): Tensor {
    let x = singleInput(inputs);
    // Keras flattens channels-first inputs in channels-last order so Dense weights stay portable.
    if (this.dataFormat === 'channelsFirst' && x.shape.length > 2) x = K.toChannelsLast(x);
    return K.reshape(x, [x.shape[0]!, -1]);
  }
  override getConfig(): LayerConfig {
    return { ...super.getConfig(), dataFormat: this.dataFormat };
  }
}

export class Reshape extends Layer {
  static override readonly className: string = 'Reshape';
  readonly targetShape: number[];
  constructor(args: LayerArgs & { targetShape: number[] }) {
    super(args);
    if (!Array.isArray(args?.targetShape) || args.targetShape.some((d) => !Number.isInteger(d) || (d < 1 && d !== -1))) {
      throw new RangeError(`Reshape '${this.name}': targetShape must be an array of positive integers (one -1 allowed), got ${JSON.stringify(args?.targetShape)}`);
    }
    if (args.targetShape.filter((d) => d === -1).length > 1) throw new RangeError(`Reshape '${this.name}': at most one -1 in targetShape`);
    this.targetShape = [...args.targetShape];
  }
  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = singleShape(this, inputShape);
    const rest = s.slice(1);
    const known = this.targetShape.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
    if (rest.some((d) => d === null)) return [s[0]!, ...this.targetShape.map((d) => (d === -1 ? null : d))];
    const total = rest.reduce<number>((a, b) => a * b!, 1);
    if (this.targetShape.includes(-1) ? total % known !== 0 : total !== known) {
      throw new RangeError(`targetShape ${JSON.stringify(this.targetShape)}: cannot reshape an input of shape ${shapeToString(s)} (${total} elements per sample)`);
    }
    return [s[0]!, ...this.targetShape.map((d) => (d === -1 ? total / known : d))];
  }
  override call(inputs: LayerInput, _kwargs: CallArgs): Tensor {
    const x = singleInput(inputs);
    const out = this.computeOutputShape([null, ...x.shape.slice(1)]);
    return K.reshape(x, [x.shape[0]!, ...(out.slice(1) as number[])]);
  }
  override getConfig(): LayerConfig {
    return { ...super.getConfig(), targetShape: [...this.targetShape] };
  }
}

export class Permute extends Layer {
  static override readonly className: string = 'Permute';
  readonly dims: number[];
  constructor(args: LayerArgs & { dims: number[] }) {
    super(args);
    const d = args?.dims;
    const ok = Array.isArray(d) && [...d].sort((a, b) => a - b).every((v, i) => v === i + 1);
    if (!ok) throw new RangeError(`Permute '${this.name}': dims must be a permutation of 1..n (batch excluded), got ${JSON.stringify(d)}`);
    this.dims = [...d];
  }
  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = singleShape(this, inputShape);
    checkRank(s, this.dims.length + 1);
    return [s[0]!, ...this.dims.map((d) => s[d]!)];
  }
  override call(inputs: LayerInput, _kwargs: CallArgs): Tensor {
    return K.transpose(singleInput(inputs), [0, ...this.dims]);
  }
  override getConfig(): LayerConfig {
    return { ...super.getConfig(), dims: [...this.dims] };
  }
}

type PadSpec = number | number[] | number[][];

/** Normalises Keras padding specs: n, [a, b, ...] (symmetric per axis) or [[before, after], ...]. */
function normalizePadding(p: PadSpec, rank: number, argName: string): [number, number][] {
  if (typeof p === 'number') return new Array(rank).fill(0).map(() => [p, p] as [number, number]).map((x) => { normalizeTuple(x, 2, argName, true); return x; });
  // 1-D: [before, after] is one pair (Keras ZeroPadding1D/Cropping1D).
  if (rank === 1 && Array.isArray(p) && p.length === 2 && typeof p[0] === 'number') p = [p as number[]];
  if (!Array.isArray(p) || p.length !== rank) throw new RangeError(`${argName} must be a number, ${rank} numbers or ${rank} pairs, got ${JSON.stringify(p)}`);
  return p.map((e) => {
    const pair = (typeof e === 'number' ? [e, e] : e) as number[];
    return normalizeTuple(pair, 2, argName, true) as [number, number];
  });
}

export abstract class BaseZeroPadding extends Layer {
  readonly padding: [number, number][];
  readonly dataFormat: DataFormat;
  constructor(readonly rank: 1 | 2 | 3, args: LayerArgs & { padding?: PadSpec; dataFormat?: DataFormat }) {
    super(args);
    this.padding = normalizePadding(args.padding ?? 1, rank, `${this.getClassName()} '${this.name}': padding`);
    this.dataFormat = checkDataFormat(args.dataFormat);
  }
  private spatialStart(): number {
    return this.dataFormat === 'channelsLast' ? 1 : 2;
  }
  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = singleShape(this, inputShape);
    checkRank(s, this.rank + 2);
    const out = [...s];
    this.padding.forEach(([a, b], i) => {
      const k = this.spatialStart() + i;
      out[k] = out[k] === null ? null : out[k]! + a + b;
    });
    return out;
  }
  override call(inputs: LayerInput, _kwargs: CallArgs): Tensor {
    const x = singleInput(inputs);
    const pads: [number, number][] = x.shape.map(() => [0, 0]);
    this.padding.forEach((p, i) => (pads[this.spatialStart() + i] = p));
    return K.pad(x, pads);
  }
  override getConfig(): LayerConfig {
    return { ...super.getConfig(), padding: this.padding.map((p) => [...p]), dataFormat: this.dataFormat };
  }
}

export class ZeroPadding1D extends BaseZeroPadding {
  static override readonly className: string = 'ZeroPadding1D';
  constructor(args: LayerArgs & { padding?: PadSpec } = {}) { super(1, args); }
}
export class ZeroPadding2D extends BaseZeroPadding {
  static override readonly className: string = 'ZeroPadding2D';
  constructor(args: LayerArgs & { padding?: PadSpec; dataFormat?: DataFormat } = {}) { super(2, args); }
}
export class ZeroPadding3D extends BaseZeroPadding {
  static override readonly className: string = 'ZeroPadding3D';
  constructor(args: LayerArgs & { padding?: PadSpec; dataFormat?: DataFormat } = {}) { super(3, args); }
}

export class Cropping2D extends Layer {
  static override readonly className: string = 'Cropping2D';
  readonly cropping: [number, number][];
  readonly dataFormat: DataFormat;
  constructor(args: LayerArgs & { cropping?: PadSpec; dataFormat?: DataFormat } = {}) {
    super(args);
    this.cropping = normalizePadding(args.cropping ?? 0, 2, `Cropping2D '${this.name}': cropping`);
    this.dataFormat = checkDataFormat(args.dataFormat);
  }
  private start(): number {
    return this.dataFormat === 'channelsLast' ? 1 : 2;
  }
  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = singleShape(this, inputShape);
    checkRank(s, 4);
    const out = [...s];
    this.cropping.forEach(([a, b], i) => {
      const k = this.start() + i;
      if (out[k] !== null) {
        if (a + b >= out[k]!) throw new RangeError(`cropping ${JSON.stringify(this.cropping)} removes all of dimension ${k} (size ${out[k]})`);
        out[k] = out[k]! - a - b;
      }
    });
    return out;
  }
  override call(inputs: LayerInput, _kwargs: CallArgs): Tensor {
    const x = singleInput(inputs);
    this.computeOutputShape([null, ...x.shape.slice(1)]); // validates rank and cropping, naming them
    const begin = x.shape.map(() => 0);
    const size = [...x.shape];
    this.cropping.forEach(([a, b], i) => {
      const k = this.start() + i;
      begin[k] = a;
      size[k] = x.shape[k]! - a - b;
    });
    return K.slice(x, begin, size);
  }
  override getConfig(): LayerConfig {
    return { ...super.getConfig(), cropping: this.cropping.map((p) => [...p]), dataFormat: this.dataFormat };
  }
}

export class UpSampling2D extends Layer {
  static override readonly className: string = 'UpSampling2D';
  readonly size: number[];
  readonly dataFormat: DataFormat;
  readonly interpolation: 'nearest' | 'bilinear';
  constructor(args: LayerArgs & { size?: number | number[]; dataFormat?: DataFormat; interpolation?: 'nearest' | 'bilinear' } = {}) {
    super(args);
    this.size = normalizeTuple(args.size ?? 2, 2, `UpSampling2D '${this.name}': size`);
    this.dataFormat = checkDataFormat(args.dataFormat);
    this.interpolation = args.interpolation ?? 'nearest';
    if (this.interpolation !== 'nearest' && this.interpolation !== 'bilinear') {
      throw new RangeError(`UpSampling2D '${this.name}': interpolation must be 'nearest' or 'bilinear', got ${JSON.stringify(args.interpolation)}`);
    }
  }
  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = singleShape(this, inputShape);
    checkRank(s, 4);
    const out = [...s];
    const st = this.dataFormat === 'channelsLast' ? 1 : 2;
    for (let i = 0; i < 2; i++) out[st + i] = out[st + i] === null ? null : out[st + i]! * this.size[i]!;
    return out;
  }
  override call(inputs: LayerInput, _kwargs: CallArgs): Tensor {
    let x = singleInput(inputs);
    checkRank([null, ...x.shape.slice(1)], 4);
    if (this.dataFormat === 'channelsFirst') x = K.toChannelsLast(x);
    const y = this.interpolation === 'nearest' ? K.upsampleNearest2d(x, this.size) : K.upsampleBilinear2d(x, this.size);
    return this.dataFormat === 'channelsFirst' ? K.toChannelsFirst(y) : y;
  }
  override getConfig(): LayerConfig {
    return { ...super.getConfig(), size: [...this.size], dataFormat: this.dataFormat, interpolation: this.interpolation };
  }
}

for (const c of [Flatten, Reshape, Permute, ZeroPadding1D, ZeroPadding2D, ZeroPadding3D, Cropping2D, UpSampling2D]) registerLayer(c);
