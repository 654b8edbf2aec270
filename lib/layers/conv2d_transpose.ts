/**
 * Conv2DTranspose ("deconvolution"): the adjoint of a strided Conv2D, i.e. the gradient of a
 * convolution with respect to its input. Keras kernel layout [kh, kw, filters, inC]; output size
 * in·stride (same) or in·stride + max(k − stride, 0) (valid).
 */
import type { Tensor } from '../tensor/index.js';
import { type Activation, type ActivationIdentifier, getActivation } from '../activations/index.js';
import type { Initializer, SerializedInitializer } from '../initializers/index.js';
import { getRegularizer, type Regularizer, serializeRegularizer, type SerializedRegularizer } from '../regularizers/index.js';
import { checkRank, type CallArgs, Layer, type LayerArgs, type LayerConfig, type LayerInput, singleInput, singleShape } from './layer.js';
import { registerLayer } from './registry.js';
import { checkDataFormat, checkPadding, checkPositiveInt, deconvOutputLength, type DataFormat, normalizeTuple, type PaddingMode, type Shape } from './shape.js';
import type { LayerVariable } from './variable.js';
import { initConfig } from './config_util.js';
import * as K from './backend.js';

export interface Conv2DTransposeArgs extends LayerArgs {
  filters: number;
  kernelSize: number | number[];
  strides?: number | number[];
  padding?: 'valid' | 'same';
  dataFormat?: DataFormat;
  dilationRate?: number | number[];
  activation?: ActivationIdentifier | null;
  useBias?: boolean;
  kernelInitializer?: Initializer | string | SerializedInitializer;
  biasInitializer?: Initializer | string | SerializedInitializer;
  kernelRegularizer?: Regularizer | string | SerializedRegularizer | null;
  biasRegularizer?: Regularizer | string | SerializedRegularizer | null;
}

export class Conv2DTranspose extends Layer {
  static override readonly className: string = 'Conv2DTranspose';
  readonly filters: number;
  readonly kernelSize: number[];
  readonly strides: number[];
  readonly padding: 'valid' | 'same';
  readonly dataFormat: DataFormat;
  readonly dilationRate: number[];
  readonly activation: Activation;
  readonly useBias: boolean;
  private readonly args: Conv2DTransposeArgs;
  kernel: LayerVariable | null = null;
  bias: LayerVariable | null = null;

  constructor(args: Conv2DTransposeArgs) {
    super(args);
    const who = `Conv2DTranspose '${this.name}'`;
    this.filters = checkPositiveInt(args?.filters, `${who}: filters`);
    this.kernelSize = normalizeTuple(args.kernelSize, 2, `${who}: kernelSize`);
    this.strides = normalizeTuple(args.strides ?? 1, 2, `${who}: strides`);
    this.padding = checkPadding(args.padding ?? 'valid', `${who}: padding`);
    this.dataFormat = checkDataFormat(args.dataFormat);
    this.dilationRate = normalizeTuple(args.dilationRate ?? 1, 2, `${who}: dilationRate`);
    this.activation = getActivation(args.activation, `${who}: activation`);
    this.useBias = args.useBias ?? true;
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
    this.kernel = this.addWeight('kernel', [...this.kernelSize, this.filters, this.channels(s)], this.args.kernelInitializer, {
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
    checkRank(s, 4);
    const sp = this.dataFormat === 'channelsLast' ? s.slice(1, 3) : s.slice(2);
    const out = sp.map((d, i) => deconvOutputLength(d, this.kernelSize[i]!, this.padding, this.strides[i]!, this.dilationRate[i]!));
    return this.dataFormat === 'channelsLast' ? [s[0]!, ...out, this.filters] : [s[0]!, this.filters, ...out];
  }

  override call(inputs: LayerInput, _kwargs: CallArgs): Tensor {
    let x = singleInput(inputs);
    if (this.dataFormat === 'channelsFirst') x = K.toChannelsLast(x);
    const outShape = this.computeOutputShape([null, ...x.shape.slice(1)]) as number[];
    outShape[0] = x.shape[0]!;
    let y = K.conv2dTranspose(x, this.kernel!.read(), outShape, {
      strides: this.strides,
      padding: this.padding,
      dilations: this.dilationRate,
    });
    if (this.bias) y = K.add(y, this.bias.read());
    y = this.activation.apply(y);
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
      activation: this.activation.name,
      useBias: this.useBias,
      ...initConfig(this.args, ['kernelInitializer', 'glorotUniform'], ['biasInitializer', 'zeros']),
      kernelRegularizer: serializeRegularizer(getRegularizer(this.args.kernelRegularizer)),
      biasRegularizer: serializeRegularizer(getRegularizer(this.args.biasRegularizer)),
    };
  }
}
registerLayer(Conv2DTranspose);
