/**
 * SeparableConv2D: a depthwise convolution (kernel [kh, kw, inC, depthMultiplier]) followed by a
 * pointwise 1×1 convolution (kernel [1, 1, inC·dm, filters]) and bias — Keras's weight layout.
 */
import type { Tensor } from '../tensor/index.js';
import type { Initializer, SerializedInitializer } from '../initializers/index.js';
import { getRegularizer, type Regularizer, serializeRegularizer, type SerializedRegularizer } from '../regularizers/index.js';
import { type CallArgs, type LayerConfig, type LayerInput, singleInput } from './layer.js';
import { registerLayer } from './registry.js';
import { SpatialConv2D, type SpatialConv2DArgs } from './spatial_conv2d.js';
import { checkPositiveInt, convOutputLength, type Shape } from './shape.js';
import type { LayerVariable } from './variable.js';
import { initConfig } from './config_util.js';
import type { ConvAlgorithmChoice } from './conv.js';
import * as K from './backend.js';

export interface SeparableConv2DArgs extends SpatialConv2DArgs {
  filters: number;
  depthMultiplier?: number;
  depthwiseInitializer?: Initializer | string | SerializedInitializer;
  pointwiseInitializer?: Initializer | string | SerializedInitializer;
  biasInitializer?: Initializer | string | SerializedInitializer;
  depthwiseRegularizer?: Regularizer | string | SerializedRegularizer | null;
  pointwiseRegularizer?: Regularizer | string | SerializedRegularizer | null;
  biasRegularizer?: Regularizer | string | SerializedRegularizer | null;
  algorithm?: ConvAlgorithmChoice;
}

export class SeparableConv2D extends SpatialConv2D {
  static override readonly className: string = 'SeparableConv2D';
  readonly filters: number;
  readonly depthMultiplier: number;
  readonly algorithm: ConvAlgorithmChoice;
  private readonly args: SeparableConv2DArgs;
  depthwiseKernel: LayerVariable | null = null;
  pointwiseKernel: LayerVariable | null = null;
  bias: LayerVariable | null = null;
  lastAlgorithm: string | null = null;

  constructor(args: SeparableConv2DArgs) {
    super(args);
    const who = `SeparableConv2D '${this.name}'`;
    this.filters = checkPositiveInt(args?.filters, `${who}: filters`);
    this.depthMultiplier = checkPositiveInt(args.depthMultiplier ?? 1, `${who}: depthMultiplier`);
    this.algorithm = args.algorithm ?? 'auto';
    this.args = args;
  }

  override build(inputShape: Shape | Shape[]): void {
    const s = this.inputShape4(inputShape);
    const c = this.channels(s);
    this.depthwiseKernel = this.addWeight('depthwise_kernel', [...this.kernelSize, c, this.depthMultiplier], this.args.depthwiseInitializer, {
      regularizer: getRegularizer(this.args.depthwiseRegularizer, 'depthwiseRegularizer'),
    });
    this.pointwiseKernel = this.addWeight('pointwise_kernel', [1, 1, c * this.depthMultiplier, this.filters], this.args.pointwiseInitializer, {
      regularizer: getRegularizer(this.args.pointwiseRegularizer, 'pointwiseRegularizer'),
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
    const s = this.inputShape4(inputShape);
    return this.outputShape(s, this.filters, convOutputLength);
  }

  override call(inputs: LayerInput, _kwargs: CallArgs): Tensor {
    const x = this.toChannelsLast(singleInput(inputs));
    const [kh, kw, c, dm] = this.depthwiseKernel!.shape as [number, number, number, number];
    const dw = K.reshape(this.depthwiseKernel!.read(), [kh, kw, 1, c * dm]);
    const conv = K.convNd(x, dw, { strides: this.strides, padding: this.padding, dilations: this.dilationRate, groups: c, algorithm: this.algorithm });
    this.lastAlgorithm = conv.algorithm;
    let y = K.convNd(conv.output, this.pointwiseKernel!.read(), { strides: [1, 1], padding: 'valid', dilations: [1, 1], groups: 1, algorithm: 'auto' }).output;
    return this.finish(y, this.bias);
  }

  override getConfig(): LayerConfig {
    return {
      ...super.getConfig(),
      filters: this.filters,
      ...this.spatialConfig(),
      depthMultiplier: this.depthMultiplier,
      algorithm: this.algorithm,
      ...initConfig(this.args, ['depthwiseInitializer', 'glorotUniform'], ['pointwiseInitializer', 'glorotUniform'], ['biasInitializer', 'zeros']),
      depthwiseRegularizer: serializeRegularizer(getRegularizer(this.args.depthwiseRegularizer)),
      pointwiseRegularizer: serializeRegularizer(getRegularizer(this.args.pointwiseRegularizer)),
      biasRegularizer: serializeRegularizer(getRegularizer(this.args.biasRegularizer)),
    };
  }
}
registerLayer(SeparableConv2D);
