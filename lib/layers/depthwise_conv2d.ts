/**
 * DepthwiseConv2D: each input channel convolved with its own `depthMultiplier` filters; kernel
 * [kh, kw, inC, depthMultiplier], output channels inC·depthMultiplier (channel c·dm + m). Runs as
 * a grouped convolution with groups = inC (the kernel reshaped to [kh, kw, 1, inC·dm]).
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

export interface DepthwiseConv2DArgs extends SpatialConv2DArgs {
  depthMultiplier?: number;
  depthwiseInitializer?: Initializer | string | SerializedInitializer;
  biasInitializer?: Initializer | string | SerializedInitializer;
  depthwiseRegularizer?: Regularizer | string | SerializedRegularizer | null;
  biasRegularizer?: Regularizer | string | SerializedRegularizer | null;
  algorithm?: ConvAlgorithmChoice;
}

export class DepthwiseConv2D extends SpatialConv2D {
  static override readonly className: string = 'DepthwiseConv2D';
  readonly depthMultiplier: number;
  readonly algorithm: ConvAlgorithmChoice;
  private readonly args: DepthwiseConv2DArgs;
  depthwiseKernel: LayerVariable | null = null;
  bias: LayerVariable | null = null;
  lastAlgorithm: string | null = null;

  constructor(args: DepthwiseConv2DArgs) {
    super(args);
    const who = `DepthwiseConv2D '${this.name}'`;
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
    if (this.useBias) {
      this.bias = this.addWeight('bias', [c * this.depthMultiplier], this.args.biasInitializer, {
        defaultInitializer: 'zeros',
        regularizer: getRegularizer(this.args.biasRegularizer, 'biasRegularizer'),
      });
    }
    super.build(inputShape);
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = this.inputShape4(inputShape);
    return this.outputShape(s, this.channels(s) * this.depthMultiplier, convOutputLength);
  }

  override call(inputs: LayerInput, _kwargs: CallArgs): Tensor {
    const x = this.toChannelsLast(singleInput(inputs));
    const [kh, kw, c, dm] = this.depthwiseKernel!.shape as [number, number, number, number];
    const w = K.reshape(this.depthwiseKernel!.read(), [kh, kw, 1, c * dm]);
    const conv = K.convNd(x, w, { strides: this.strides, padding: this.padding, dilations: this.dilationRate, groups: c, algorithm: this.algorithm });
    this.lastAlgorithm = conv.algorithm;
    return this.finish(conv.output, this.bias);
  }

  override getConfig(): LayerConfig {
    return {
      ...super.getConfig(),
      ...this.spatialConfig(),
      depthMultiplier: this.depthMultiplier,
      algorithm: this.algorithm,
      ...initConfig(this.args, ['depthwiseInitializer', 'glorotUniform'], ['biasInitializer', 'zeros']),
      depthwiseRegularizer: serializeRegularizer(getRegularizer(this.args.depthwiseRegularizer)),
      biasRegularizer: serializeRegularizer(getRegularizer(this.args.biasRegularizer)),
    };
  }
}
registerLayer(DepthwiseConv2D);
