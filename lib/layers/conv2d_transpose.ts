/**
 * Conv2DTranspose ("deconvolution"): the adjoint of a strided Conv2D, i.e. the gradient of a
 * convolution with respect to its input. Keras kernel layout [kh, kw, filters, inC].
 *
 * Output length per spatial axis (Keras conv_utils.deconv_output_length), with the dilated kernel
 * k' = (k − 1)·d + 1:
 *   outputPadding null:  in·s (same) or in·s + max(k' − s, 0) (valid)
 *   outputPadding p:     (in − 1)·s + k' − 2·pad + p, pad = ⌊k'/2⌋ (same) or 0 (valid), p < s
 * The computation is TF's conv2d_transpose for that output shape: the input-gradient of the
 * convolution whose input has the output's shape, with that convolution's 'same'/'valid' pads (TF
 * computes them from ⌈out/s⌉, so extra rows from outputPadding go after, bottom/right). TF rejects
 * an output length whose forward convolution does not give back the input length (e.g. even k',
 * 'same', p = 0); so does this layer, naming outputPadding. TF.js has no outputPadding.
 * Keras's Conv2DTranspose has no `groups`: passing groups other than 1 is an error.
 */
import type { Tensor } from '../tensor/index.js';
import type { Initializer, SerializedInitializer } from '../initializers/index.js';
import { getRegularizer, type Regularizer, serializeRegularizer, type SerializedRegularizer } from '../regularizers/index.js';
import { type CallArgs, type LayerConfig, type LayerInput, singleInput } from './layer.js';
import { registerLayer } from './registry.js';
import { SpatialConv2D, type SpatialConv2DArgs } from './spatial_conv2d.js';
import { checkPositiveInt, convOutputLength, deconvOutputLength, normalizeTuple, type PaddingMode, type Shape } from './shape.js';
import type { LayerVariable } from './variable.js';
import { initConfig } from './config_util.js';
import * as K from './backend.js';

export interface Conv2DTransposeArgs extends SpatialConv2DArgs {
  filters: number;
  kernelInitializer?: Initializer | string | SerializedInitializer;
  biasInitializer?: Initializer | string | SerializedInitializer;
  kernelRegularizer?: Regularizer | string | SerializedRegularizer | null;
  biasRegularizer?: Regularizer | string | SerializedRegularizer | null;
  /**
   * Extra rows/columns added to the bottom/right of the output (Keras output_padding), each
   * strictly less than the stride along its axis; null (default) infers the length.
   */
  outputPadding?: number | number[] | null;
}

/** Keras deconv_output_length with an explicit output_padding `p` (see the file comment). */
export function deconvOutputLengthPadded(inputLength: number | null, kernel: number, padding: PaddingMode, stride: number, dilation: number, p: number): number | null {
  if (inputLength === null) return null;
  const eff = (kernel - 1) * dilation + 1;
  const pad = padding === 'same' ? Math.floor(eff / 2) : 0;
  return (inputLength - 1) * stride + eff - 2 * pad + p;
}

export class Conv2DTranspose extends SpatialConv2D {
  static override readonly className: string = 'Conv2DTranspose';
  readonly filters: number;
  readonly outputPadding: number[] | null;
  private readonly args: Conv2DTransposeArgs;
  kernel: LayerVariable | null = null;
  bias: LayerVariable | null = null;

  constructor(args: Conv2DTransposeArgs) {
    super(args);
    const who = `Conv2DTranspose '${this.name}'`;
    this.filters = checkPositiveInt(args?.filters, `${who}: filters`);
    const groups = (args as { groups?: unknown }).groups;
    if (groups !== undefined && groups !== null && groups !== 1) {
      throw new RangeError(`${who}: groups is not supported (Keras Conv2DTranspose has no groups); got groups=${JSON.stringify(groups)}`);
    }
    if (args.outputPadding === undefined || args.outputPadding === null) this.outputPadding = null;
    else {
      this.outputPadding = normalizeTuple(args.outputPadding, 2, `${who}: outputPadding`, true);
      this.outputPadding.forEach((p, i) => {
        if (p >= this.strides[i]!) {
          throw new RangeError(`${who}: outputPadding must be less than strides along each axis, got outputPadding ${JSON.stringify(this.outputPadding)} with strides ${JSON.stringify(this.strides)}`);
        }
      });
    }
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
    const op = this.outputPadding;
    if (op === null) return this.outputShape(s, this.filters, deconvOutputLength);
    let axis = 0;
    return this.outputShape(s, this.filters, (d, k, padding, stride, dilation) => {
      const i = axis++;
      const out = deconvOutputLengthPadded(d, k, padding, stride, dilation, op[i]!);
      // The convolution this layer transposes must map `out` back to `d` (TF checks the same).
      if (d !== null && out !== null && (out <= 0 || convOutputLength(out, k, padding, stride, dilation) !== d)) {
        throw new RangeError(
          `outputPadding ${JSON.stringify(op)} gives output length ${out} on spatial axis ${i} for input length ${d} ` +
          `(kernelSize ${k}, strides ${stride}, dilationRate ${dilation}, padding '${padding}'), but a '${padding}' convolution ` +
          `of length ${out} has length ${convOutputLength(out, k, padding, stride, dilation)}, not ${d}; choose another outputPadding`);
      }
      return out;
    });
  }

  override call(inputs: LayerInput, _kwargs: CallArgs): Tensor {
    const x = this.toChannelsLast(singleInput(inputs));
    // x is channels-last here whatever the layer's dataFormat: build the output shape in that layout.
    const cl = this.computeOutputShape(this.dataFormat === 'channelsLast' ? [null, ...x.shape.slice(1)] : [null, x.shape[3]!, x.shape[1]!, x.shape[2]!]);
    const outShape = (this.dataFormat === 'channelsLast' ? [x.shape[0]!, cl[1], cl[2], cl[3]] : [x.shape[0]!, cl[2], cl[3], cl[1]]) as number[];
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
      outputPadding: this.outputPadding ? [...this.outputPadding] : null,
      ...initConfig(this.args, ['kernelInitializer', 'glorotUniform'], ['biasInitializer', 'zeros']),
      kernelRegularizer: serializeRegularizer(getRegularizer(this.args.kernelRegularizer)),
      biasRegularizer: serializeRegularizer(getRegularizer(this.args.biasRegularizer)),
    };
  }
}
registerLayer(Conv2DTranspose);
