/**
 * Conv2DTranspose ("deconvolution"): the adjoint of a strided Conv2D, i.e. the gradient of a
 * convolution with respect to its input. Keras kernel layout [kh, kw, filters, inC]; output size
 * in·stride (same) or in·stride + max(k − stride, 0) (valid).
 */
import type { Tensor } from '../tensor/index.js';
import type { Initializer, SerializedInitializer } from '../initializers/index.js';
import { getRegularizer, type Regularizer, serializeRegularizer, type SerializedRegularizer } from '../regularizers/index.js';
import { type CallArgs, type LayerConfig, type LayerInput, singleInput } from './layer.js';
import { registerLayer } from './registry.js';
import { SpatialConv2D, type SpatialConv2DArgs } from './spatial_conv2d.js';
import { checkPositiveInt, deconvOutputLength, type Shape } from './shape.js';
import type { LayerVariable } from './variable.js';
import { initConfig } from './config_util.js';
import * as K from './backend.js';

export interface Conv2DTransposeArgs extends SpatialConv2DArgs {
  filters: number;
  kernelInitializer?: Initializer | string | SerializedInitializer;
  biasInitializer?: Initializer | string | SerializedInitializer;
  kernelRegularizer?: Regularizer | string | SerializedRegularizer | null;
  biasRegularizer?: Regularizer | string | SerializedRegularizer | null;
}

export class Conv2DTranspose extends SpatialConv2D {
  static override readonly className: string = 'Conv2DTranspose';
  readonly filters: number;
  private readonly args: Conv2DTransposeArgs;
  kernel: LayerVariable | null = null;
  bias: LayerVariable | null = null;

  constructor(args: Conv2DTransposeArgs) {
    super(args);
    const who = `Conv2DTranspose '${this.name}'`;
    this.filters = checkPositiveInt(args?.filters, `${who}: filters`);
    this.args = args;
  }

  override build(inputShape: Shape | Shape[]): void {
    const s = this.inputShape4(inputShape);
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
    const s = this.inputShape4(inputShape);
    return this.outputShape(s, this.filters, deconvOutputLength);
  }

  override call(inputs: LayerInput, _kwargs: CallArgs): Tensor {
    const x = this.toChannelsLast(singleInput(inputs));
    const outShape = this.computeOutputShape([null, ...x.shape.slice(1)]) as number[];
    outShape[0] = x.shape[0]!;
    let y = K.conv2dTranspose(x, this.kernel!.read(), outShape, {
      strides: this.strides,
      padding: this.padding,
      dilations: this.dilationRate,
    });
    return this.finish(y, this.bias);
  }

  override getConfig(): LayerConfig {
    return {
      ...super.getConfig(),
      filters: this.filters,
      ...this.spatialConfig(),
      ...initConfig(this.args, ['kernelInitializer', 'glorotUniform'], ['biasInitializer', 'zeros']),
      kernelRegularizer: serializeRegularizer(getRegularizer(this.args.kernelRegularizer)),
      biasRegularizer: serializeRegularizer(getRegularizer(this.args.biasRegularizer)),
    };
  }
}
registerLayer(Conv2DTranspose);
