/**
 * DepthwiseConv2D: each input channel convolved with its own `depthMultiplier` filters; kernel
 * [kh, kw, inC, depthMultiplier], output channels inC·depthMultiplier (channel c·dm + m). Runs as
 * a grouped convolution with groups = inC (the kernel reshaped to [kh, kw, 1, inC·dm]).
 */
import type { Tensor } from '../tensor/index.js';
import { type Activation, type ActivationIdentifier, getActivation } from '../activations/index.js';
import type { Initializer, SerializedInitializer } from '../initializers/index.js';
import { getRegularizer, type Regularizer, serializeRegularizer, type SerializedRegularizer } from '../regularizers/index.js';
import { checkRank, type CallArgs, Layer, type LayerArgs, type LayerConfig, type LayerInput, singleInput, singleShape } from './layer.js';
import { registerLayer } from './registry.js';
import { checkDataFormat, checkPadding, checkPositiveInt, convOutputLength, type DataFormat, normalizeTuple, type PaddingMode, type Shape } from './shape.js';
import type { LayerVariable } from './variable.js';
import { initConfig } from './config_util.js';
import type { ConvAlgorithmChoice } from './conv.js';
import * as K from './backend.js';

export interface DepthwiseConv2DArgs extends LayerArgs {
  kernelSize: number | number[];
  depthMultiplier?: number;
  strides?: number | number[];
  padding?: 'valid' | 'same';
  dataFormat?: DataFormat;
  dilationRate?: number | number[];
  activation?: ActivationIdentifier | null;
  useBias?: boolean;
  depthwiseInitializer?: Initializer | string | SerializedInitializer;
  biasInitializer?: Initializer | string | SerializedInitializer;
  depthwiseRegularizer?: Regularizer | string | SerializedRegularizer | null;
  biasRegularizer?: Regularizer | string | SerializedRegularizer | null;
  algorithm?: ConvAlgorithmChoice;
}

export class DepthwiseConv2D extends Layer {
  static override readonly className: string = 'DepthwiseConv2D';
  readonly kernelSize: number[];
  readonly depthMultiplier: number;
  readonly strides: number[];
  readonly padding: 'valid' | 'same';
  readonly dataFormat: DataFormat;
  readonly dilationRate: number[];
  readonly activation: Activation;
  readonly useBias: boolean;
  readonly algorithm: ConvAlgorithmChoice;
  private readonly args: DepthwiseConv2DArgs;
  depthwiseKernel: LayerVariable | null = null;
  bias: LayerVariable | null = null;
  lastAlgorithm: string | null = null;

  constructor(args: DepthwiseConv2DArgs) {
    super(args);
    const who = `DepthwiseConv2D '${this.name}'`;
    this.kernelSize = normalizeTuple(args?.kernelSize, 2, `${who}: kernelSize`);
    this.depthMultiplier = checkPositiveInt(args.depthMultiplier ?? 1, `${who}: depthMultiplier`);
    this.strides = normalizeTuple(args.strides ?? 1, 2, `${who}: strides`);
    this.padding = checkPadding(args.padding ?? 'valid', `${who}: padding`);
    this.dataFormat = checkDataFormat(args.dataFormat);
    this.dilationRate = normalizeTuple(args.dilationRate ?? 1, 2, `${who}: dilationRate`);
    this.activation = getActivation(args.activation, `${who}: activation`);
    this.useBias = args.useBias ?? true;
    this.algorithm = args.algorithm ?? 'auto';
    this.args = args;
  }

  private channels(s: Shape): number {
    const c = this.dataFormat === 'channelsLast' ? s[3] : s[1];
    if (c === null || c === undefined) throw new RangeError('the channel dimension of the input must be known');
    return c;
  }

  override build(inputShape: Shape | Shape[]): void {
    const s = singleShape(this, inputShape);
    checkRank(s, 4);
    const c = this.channels(s);
    this.depthwiseKernel = this.addWeight('depthwise_kernel', [...this.kernelSize, c, this.depthMultiplier], this.args.depthwiseInitializer, {
      regularizer: getRegularizer(this.args.depthwiseRegularizer, 'depthwiseRegularizer'),
    });
    if (this.useBias) {
      this.bias = this.addWeight('bias', [c * this.depthMultiplier], this.args.biasInitializer, {
        defaultInitializer: 'zeros',
        regularizer: getRegularizer(this.args.biasRegularizer, 'biasRegularizer'),
      });
    }
    super.build(inputShape);
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = singleShape(this, inputShape);
    checkRank(s, 4);
    const sp = this.dataFormat === 'channelsLast' ? s.slice(1, 3) : s.slice(2);
    const out = sp.map((d, i) => convOutputLength(d, this.kernelSize[i]!, this.padding, this.strides[i]!, this.dilationRate[i]!));
    const c = this.channels(s) * this.depthMultiplier;
    return this.dataFormat === 'channelsLast' ? [s[0]!, ...out, c] : [s[0]!, c, ...out];
  }

  override call(inputs: LayerInput, _kwargs: CallArgs): Tensor {
    let x = singleInput(inputs);
    if (this.dataFormat === 'channelsFirst') x = K.toChannelsLast(x);
    const [kh, kw, c, dm] = this.depthwiseKernel!.shape as [number, number, number, number];
    const w = K.reshape(this.depthwiseKernel!.read(), [kh, kw, 1, c * dm]);
    const conv = K.convNd(x, w, { strides: this.strides, padding: this.padding, dilations: this.dilationRate, groups: c, algorithm: this.algorithm });
    this.lastAlgorithm = conv.algorithm;
    let y = conv.output;
    if (this.bias) y = K.add(y, this.bias.read());
    y = this.activation.apply(y);
    return this.dataFormat === 'channelsFirst' ? K.toChannelsFirst(y) : y;
  }

  override getConfig(): LayerConfig {
    return {
      ...super.getConfig(),
      kernelSize: [...this.kernelSize],
      depthMultiplier: this.depthMultiplier,
      strides: [...this.strides],
      padding: this.padding,
      dataFormat: this.dataFormat,
      dilationRate: [...this.dilationRate],
      activation: this.activation.name,
      useBias: this.useBias,
      algorithm: this.algorithm,
      ...initConfig(this.args, ['depthwiseInitializer', 'glorotUniform'], ['biasInitializer', 'zeros']),
      depthwiseRegularizer: serializeRegularizer(getRegularizer(this.args.depthwiseRegularizer)),
      biasRegularizer: serializeRegularizer(getRegularizer(this.args.biasRegularizer)),
    };
  }
}
registerLayer(DepthwiseConv2D);
