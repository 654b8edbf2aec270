/**
 * Pooling: max and average over 1, 2 or 3 spatial axes (strides default to poolSize, Keras
 * semantics for 'same' padding: average pooling divides by the count of in-bounds elements), and
 * global max/average pooling.
 */
import type { Tensor } from '../tensor/index.js';
import { checkRank, type CallArgs, Layer, type LayerArgs, type LayerConfig, type LayerInput, singleInput, singleShape } from './layer.js';
import { registerLayer } from './registry.js';
import { checkDataFormat, checkPadding, convOutputLength, type DataFormat, normalizeTuple, type PaddingMode, type Shape } from './shape.js';
import * as K from './backend.js';

export type PoolMode = 'max' | 'avg';

export interface PoolingArgs extends LayerArgs {
  poolSize?: number | number[];
  strides?: number | number[] | null;
  padding?: 'valid' | 'same';
  dataFormat?: DataFormat;
}

export abstract class BasePooling extends Layer {
  readonly poolSize: number[];
  readonly strides: number[];
  readonly padding: 'valid' | 'same';
  readonly dataFormat: DataFormat;

  constructor(
    readonly rank: 1 | 2 | 3,
    readonly mode: PoolMode,
    args: PoolingArgs = {},
  ) {
    super(args);
    const who = `${this.getClassName()} '${this.name}'`;
    this.poolSize = normalizeTuple(args.poolSize ?? 2, rank, `${who}: poolSize`);
    this.strides = normalizeTuple(args.strides ?? this.poolSize, rank, `${who}: strides`);
    this.padding = checkPadding(args.padding ?? 'valid', `${who}: padding`);
    this.dataFormat = checkDataFormat(args.dataFormat);
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = singleShape(this, inputShape);
    checkRank(s, this.rank + 2);
    const sp = this.dataFormat === 'channelsLast' ? s.slice(1, -1) : s.slice(2);
    const out = sp.map((d, i) => {
      const o = convOutputLength(d, this.poolSize[i]!, this.padding, this.strides[i]!);
      if (o === 0) throw new RangeError(`poolSize ${JSON.stringify(this.poolSize)} is larger than the input's spatial size ${JSON.stringify(sp)} with padding 'valid'`);
      return o;
    });
    return this.dataFormat === 'channelsLast' ? [s[0]!, ...out, s[s.length - 1]!] : [s[0]!, s[1]!, ...out];
  }

  override call(inputs: LayerInput, _kwargs: CallArgs): Tensor {
    let x = singleInput(inputs);
    this.computeOutputShape([null, ...x.shape.slice(1)]); // validates rank and poolSize, naming them
    if (this.dataFormat === 'channelsFirst') x = K.toChannelsLast(x);
    const y = K.poolNd(x, this.mode, { poolSize: this.poolSize, strides: this.strides, padding: this.padding });
    return this.dataFormat === 'channelsFirst' ? K.toChannelsFirst(y) : y;
  }

  override getConfig(): LayerConfig {
    return { ...super.getConfig(), poolSize: [...this.poolSize], strides: [...this.strides], padding: this.padding, dataFormat: this.dataFormat };
  }
}

export class MaxPooling1D extends BasePooling {
  static override readonly className: string = 'MaxPooling1D';
  constructor(args: PoolingArgs = {}) { super(1, 'max', args); }
}
export class MaxPooling2D extends BasePooling {
  static override readonly className: string = 'MaxPooling2D';
  constructor(args: PoolingArgs = {}) { super(2, 'max', args); }
}
export class MaxPooling3D extends BasePooling {
  static override readonly className: string = 'MaxPooling3D';
  constructor(args: PoolingArgs = {}) { super(3, 'max', args); }
}
export class AveragePooling1D extends BasePooling {
  static override readonly className: string = 'AveragePooling1D';
  constructor(args: PoolingArgs = {}) { super(1, 'avg', args); }
}
export class AveragePooling2D extends BasePooling {
  static override readonly className: string = 'AveragePooling2D';
  constructor(args: PoolingArgs = {}) { super(2, 'avg', args); }
}
export class AveragePooling3D extends BasePooling {
  static override readonly className: string = 'AveragePooling3D';
  constructor(args: PoolingArgs = {}) { super(3, 'avg', args); }
}

export interface GlobalPoolingArgs extends LayerArgs {
  dataFormat?: DataFormat;
  keepdims?: boolean;
}

/** Global pooling: max or mean over all spatial axes. */
export abstract class BaseGlobalPooling extends Layer {
  readonly dataFormat: DataFormat;
  readonly keepdims: boolean;
  constructor(
    readonly rank: 1 | 2 | 3,
    readonly mode: PoolMode,
    args: GlobalPoolingArgs = {},
  ) {
    super(args);
    this.dataFormat = checkDataFormat(args.dataFormat);
    this.keepdims = args.keepdims ?? false;
  }
  private axes(): number[] {
    const first = this.dataFormat === 'channelsLast' ? 1 : 2;
    return Array.from({ length: this.rank }, (_, i) => first + i);
  }
  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = singleShape(this, inputShape);
    checkRank(s, this.rank + 2);
    const axes = this.axes();
    if (this.keepdims) return s.map((d, i) => (axes.includes(i) ? 1 : d));
    return s.filter((_, i) => !axes.includes(i));
  }
  override call(inputs: LayerInput, _kwargs: CallArgs): Tensor {
    const x = singleInput(inputs);
    if (x.shape.length !== this.rank + 2) throw new RangeError(`expected an input of rank ${this.rank + 2}, got shape [${x.shape.join(', ')}]`);
    if (this.dataFormat === 'channelsLast' && !this.keepdims) return K.globalPoolNd(x, this.mode);
    return this.mode === 'max' ? K.max(x, this.axes(), this.keepdims) : K.mean(x, this.axes(), this.keepdims);
  }
  override getConfig(): LayerConfig {
    return { ...super.getConfig(), dataFormat: this.dataFormat, keepdims: this.keepdims };
  }
}

export class GlobalMaxPooling1D extends BaseGlobalPooling {
  static override readonly className: string = 'GlobalMaxPooling1D';
  constructor(args: GlobalPoolingArgs = {}) { super(1, 'max', args); }
}
export class GlobalMaxPooling2D extends BaseGlobalPooling {
  static override readonly className: string = 'GlobalMaxPooling2D';
  constructor(args: GlobalPoolingArgs = {}) { super(2, 'max', args); }
}
export class GlobalMaxPooling3D extends BaseGlobalPooling {
  static override readonly className: string = 'GlobalMaxPooling3D';
  constructor(args: GlobalPoolingArgs = {}) { super(3, 'max', args); }
}
export class GlobalAveragePooling1D extends BaseGlobalPooling {
  static override readonly className: string = 'GlobalAveragePooling1D';
  constructor(args: GlobalPoolingArgs = {}) { super(1, 'avg', args); }
}
export class GlobalAveragePooling2D extends BaseGlobalPooling {
  static override readonly className: string = 'GlobalAveragePooling2D';
  constructor(args: GlobalPoolingArgs = {}) { super(2, 'avg', args); }
}
export class GlobalAveragePooling3D extends BaseGlobalPooling {
  static override readonly className: string = 'GlobalAveragePooling3D';
  constructor(args: GlobalPoolingArgs = {}) { super(3, 'avg', args); }
}

for (const c of [MaxPooling1D, MaxPooling2D, MaxPooling3D, AveragePooling1D, AveragePooling2D, AveragePooling3D,
  GlobalMaxPooling1D, GlobalMaxPooling2D, GlobalMaxPooling3D, GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalAveragePooling3D]) {
  registerLayer(c);
}
