/**
 * Convolutions over 1, 2 or 3 spatial axes (Keras BaseConv): kernel [...kernelSize, inC/groups,
 * filters], channels-last by default. Conv1D/2D/3D are thin subclasses fixing the rank.
 */
import type { Tensor } from '../tensor/index.js';
import { type Activation, type ActivationIdentifier, getActivation } from '../activations/index.js';
import type { Initializer, SerializedInitializer } from '../initializers/index.js';
import { getRegularizer, type Regularizer, serializeRegularizer, type SerializedRegularizer } from '../regularizers/index.js';
import { checkRank, type CallArgs, Layer, type LayerArgs, type LayerConfig, type LayerInput, singleInput, singleShape } from './layer.js';
import { registerLayer } from './registry.js';
import {
  checkDataFormat, checkPadding, checkPositiveInt, convOutputLength, type DataFormat, normalizeTuple, type PaddingMode, type Shape,
} from './shape.js';
import type { LayerVariable } from './variable.js';
import { initConfig } from './config_util.js';
import * as K from './backend.js';

export type ConvAlgorithmChoice = 'auto' | 'direct' | 'im2col' | 'winograd' | 'fft';
const ALGORITHMS: readonly ConvAlgorithmChoice[] = ['auto', 'direct', 'im2col', 'winograd', 'fft'];

export interface BaseConvArgs extends LayerArgs {
  filters: number;
  kernelSize: number | number[];
  strides?: number | number[];
  padding?: PaddingMode;
  dataFormat?: DataFormat;
  dilationRate?: number | number[];
  groups?: number;
  activation?: ActivationIdentifier | null;
  useBias?: boolean;
  kernelInitializer?: Initializer | string | SerializedInitializer;
  biasInitializer?: Initializer | string | SerializedInitializer;
  kernelRegularizer?: Regularizer | string | SerializedRegularizer | null;
  biasRegularizer?: Regularizer | string | SerializedRegularizer | null;
  /** Convolution algorithm ('auto' picks by cost model); forcing one that cannot run throws. */
  algorithm?: ConvAlgorithmChoice;
}

export abstract class BaseConv extends Layer {
  abstract readonly rank: 1 | 2 | 3;
  readonly filters: number;
  readonly kernelSize: number[];
  readonly strides: number[];
  readonly padding: PaddingMode;
  readonly dataFormat: DataFormat;
  readonly dilationRate: number[];
  readonly groups: number;
  readonly activation: Activation;
  readonly useBias: boolean;
  readonly algorithm: ConvAlgorithmChoice;
  protected readonly args: BaseConvArgs;
  kernel: LayerVariable | null = null;
  bias: LayerVariable | null = null;
  /** The algorithm the last forward call used (for profile()), when the op reports it. */
  lastAlgorithm: string | null = null;

  constructor(rank: 1 | 2 | 3, args: BaseConvArgs) {
    super(args);
    const who = `${this.getClassName()} '${this.name}'`;
    this.filters = checkPositiveInt(args?.filters, `${who}: filters`);
    this.kernelSize = normalizeTuple(args.kernelSize, rank, `${who}: kernelSize`);
    this.strides = normalizeTuple(args.strides ?? 1, rank, `${who}: strides`);
    this.padding = checkPadding(args.padding ?? 'valid', `${who}: padding`, rank === 1);
    this.dataFormat = checkDataFormat(args.dataFormat);
    this.dilationRate = normalizeTuple(args.dilationRate ?? 1, rank, `${who}: dilationRate`);
    this.groups = checkPositiveInt(args.groups ?? 1, `${who}: groups`);
    if (this.filters % this.groups !== 0) {
      throw new RangeError(`${who}: filters (${this.filters}) must be divisible by groups (${this.groups})`);
    }
    if (this.strides.some((s) => s > 1) && this.dilationRate.some((d) => d > 1)) {
      throw new RangeError(`${who}: strides > 1 together with dilationRate > 1 is not supported (as in Keras)`);
    }
    this.activation = getActivation(args.activation, `${who}: activation`);
    this.useBias = args.useBias ?? true;
    this.algorithm = args.algorithm ?? 'auto';
    if (!ALGORITHMS.includes(this.algorithm)) {
      throw new RangeError(`${who}: algorithm must be one of ${ALGORITHMS.join('|')}, got ${JSON.stringify(args.algorithm)}`);
    }
    this.args = args;
  }

  protected channelAxis(rankWithBatch: number): number {
    return this.dataFormat === 'channelsLast' ? rankWithBatch - 1 : 1;
  }

  protected spatialDims(s: Shape): (number | null)[] {
    return this.dataFormat === 'channelsLast' ? s.slice(1, -1) : s.slice(2);
  }

  protected inputChannels(s: Shape): number {
    const c = s[this.channelAxis(s.length)];
    if (c === null || c === undefined) throw new RangeError('the channel dimension of the input must be known');
    return c;
  }

  override build(inputShape: Shape | Shape[]): void {
    const s = singleShape(this, inputShape);
    checkRank(s, this.rank + 2);
    const inC = this.inputChannels(s);
    if (inC % this.groups !== 0) {
      throw new RangeError(`groups: the input channels (${inC}) must be divisible by groups (${this.groups})`);
    }
    this.kernel = this.addWeight('kernel', [...this.kernelSize, inC / this.groups, this.filters], this.args.kernelInitializer, {
      regularizer: getRegularizer(this.args.kernelRegularizer, 'kernelRegularizer'),
    });
    if (this.useBias) {
      this.bias = this.addWeight('bias', [this.filters], this.args.biasInitializer, {
        defaultInitializer: 'zeros',
        regularizer: getRegularizer(this.args.biasRegularizer, 'biasRegularizer'),
      });
    }
    super.build(inputShape);
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = singleShape(this, inputShape);
    checkRank(s, this.rank + 2);
    const spatial = this.spatialDims(s).map((d, i) => {
      const out = convOutputLength(d, this.kernelSize[i]!, this.padding, this.strides[i]!, this.dilationRate[i]!);
      if (out === 0) {
        throw new RangeError(
          `kernelSize ${JSON.stringify(this.kernelSize)} (dilation ${JSON.stringify(this.dilationRate)}) is larger than the input's spatial size ${JSON.stringify(this.spatialDims(s))} with padding 'valid'`,
        );
      }
      return out;
    });
    return this.dataFormat === 'channelsLast' ? [s[0]!, ...spatial, this.filters] : [s[0]!, this.filters, ...spatial];
  }

  override call(inputs: LayerInput, _kwargs: CallArgs): Tensor {
    let x = singleInput(inputs);
    if (x.shape.length !== this.rank + 2) {
      throw new RangeError(`expected an input of rank ${this.rank + 2}, got shape [${x.shape.join(', ')}]`);
    }
    if (this.dataFormat === 'channelsFirst') x = K.toChannelsLast(x);
    if (this.padding === 'causal') x = K.causalPad1d(x, (this.kernelSize[0]! - 1) * this.dilationRate[0]!);
    // Bias and the common activations run fused in the conv kernel (and are differentiated through
    // the output); other activations apply afterwards.
    const fusable = ['linear', 'relu', 'relu6', 'sigmoid', 'tanh'].includes(this.activation.name);
    const conv = K.convNd(x, this.kernel!.read(), {
      strides: this.strides,
      padding: this.padding === 'causal' ? 'valid' : this.padding,
      dilations: this.dilationRate,
      groups: this.groups,
      algorithm: this.algorithm,
      bias: this.bias ? this.bias.read() : null,
      activation: fusable ? (this.activation.name === 'linear' ? 'none' : (this.activation.name as 'relu' | 'relu6' | 'sigmoid' | 'tanh')) : 'none',
    });
    this.lastAlgorithm = conv.algorithm;
    let y = conv.output;
    if (!fusable) y = this.activation.apply(y);
    return this.dataFormat === 'channelsFirst' ? K.toChannelsFirst(y) : y;
  }

  override getConfig(): LayerConfig {
    return {
      ...super.getConfig(),
      filters: this.filters,
      kernelSize: [...this.kernelSize],
      strides: [...this.strides],
      padding: this.padding,
      dataFormat: this.dataFormat,
      dilationRate: [...this.dilationRate],
      groups: this.groups,
      activation: this.activation.name,
      useBias: this.useBias,
      algorithm: this.algorithm,
      ...initConfig(this.args, ['kernelInitializer', 'glorotUniform'], ['biasInitializer', 'zeros']),
      kernelRegularizer: serializeRegularizer(getRegularizer(this.args.kernelRegularizer)),
      biasRegularizer: serializeRegularizer(getRegularizer(this.args.biasRegularizer)),
    };
  }
}

export class Conv1D extends BaseConv {
  static override readonly className: string = 'Conv1D';
  readonly rank = 1 as const;
  constructor(args: BaseConvArgs) {
    super(1, args);
  }
}

export class Conv2D extends BaseConv {
  static override readonly className: string = 'Conv2D';
  readonly rank = 2 as const;
  constructor(args: BaseConvArgs) {
    super(2, args);
  }
}

export class Conv3D extends BaseConv {
  static override readonly className: string = 'Conv3D';
  readonly rank = 3 as const;
  constructor(args: BaseConvArgs) {
    super(3, args);
  }
}

registerLayer(Conv1D);
registerLayer(Conv2D);
registerLayer(Conv3D);
