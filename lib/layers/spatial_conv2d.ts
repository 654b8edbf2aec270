/**
 * What DepthwiseConv2D, SeparableConv2D and Conv2DTranspose share: the 2-D options (kernelSize,
 * strides, padding, dataFormat, dilationRate, activation, useBias), the channel dimension of an
 * input shape, the output shape from a per-axis length rule, and the channels-first conversion
 * around a channels-last computation (the native convolution is NHWC only).
 */
import type { Tensor } from '../tensor/index.js';
import { type Activation, type ActivationIdentifier, getActivation } from '../activations/index.js';
import { checkRank, Layer, type LayerArgs, type LayerConfig, singleShape } from './layer.js';
import { checkDataFormat, checkPadding, type DataFormat, normalizeTuple, type PaddingMode, type Shape } from './shape.js';
import type { LayerVariable } from './variable.js';
import * as K from './backend.js';

export type OutputLength = (d: number | null, kernel: number, padding: PaddingMode, stride: number, dilation: number) => number | null;

export interface SpatialConv2DArgs extends LayerArgs {
  kernelSize: number | number[];
  strides?: number | number[];
  padding?: 'valid' | 'same';
  dataFormat?: DataFormat;
  dilationRate?: number | number[];
  activation?: ActivationIdentifier | null;
  useBias?: boolean;
}

export abstract class SpatialConv2D extends Layer {
  readonly kernelSize: number[];
  readonly strides: number[];
  readonly padding: 'valid' | 'same';
  readonly dataFormat: DataFormat;
  readonly dilationRate: number[];
  readonly activation: Activation;
  readonly useBias: boolean;

  protected constructor(args: SpatialConv2DArgs) {
    super(args);
    const who = `${this.getClassName()} '${this.name}'`;
    this.kernelSize = normalizeTuple(args?.kernelSize, 2, `${who}: kernelSize`);
    this.strides = normalizeTuple(args.strides ?? 1, 2, `${who}: strides`);
    this.padding = checkPadding(args.padding ?? 'valid', `${who}: padding`);
    this.dataFormat = checkDataFormat(args.dataFormat);
    this.dilationRate = normalizeTuple(args.dilationRate ?? 1, 2, `${who}: dilationRate`);
    this.activation = getActivation(args.activation, `${who}: activation`);
    this.useBias = args.useBias ?? true;
  }

  /** The input's channel count (axis 3 channels-last, 1 channels-first); it must be known. */
  protected channels(s: Shape): number {
    const c = this.dataFormat === 'channelsLast' ? s[3] : s[1];
    if (c === null || c === undefined) throw new RangeError('the channel dimension of the input must be known');
    return c;
  }

  /** A rank-4 input shape checked and returned. */
  protected inputShape4(inputShape: Shape | Shape[]): Shape {
    const s = singleShape(this, inputShape);
    checkRank(s, 4);
    return s;
  }

  /**
   * Output shape with `outChannels` channels in this layer's data format; each spatial length from
   * `length` (convOutputLength for a convolution, deconvOutputLength for its transpose).
   */
  protected outputShape(s: Shape, outChannels: number, length: OutputLength): Shape {
    const sp = this.dataFormat === 'channelsLast' ? s.slice(1, 3) : s.slice(2);
    const out = sp.map((d, i) => length(d, this.kernelSize[i]!, this.padding, this.strides[i]!, this.dilationRate[i]!));
    return this.dataFormat === 'channelsLast' ? [s[0]!, ...out, outChannels] : [s[0]!, outChannels, ...out];
  }

  protected toChannelsLast(x: Tensor): Tensor {
    return this.dataFormat === 'channelsFirst' ? K.toChannelsLast(x) : x;
  }

  /** Bias, activation, and back to the layer's data format. */
  protected finish(y: Tensor, bias: LayerVariable | null): Tensor {
    if (bias) y = K.add(y, bias.read());
    y = this.activation.apply(y);
    return this.dataFormat === 'channelsFirst' ? K.toChannelsFirst(y) : y;
  }

  protected spatialConfig(): LayerConfig {
    return {
      kernelSize: [...this.kernelSize],
      strides: [...this.strides],
      padding: this.padding,
      dataFormat: this.dataFormat,
      dilationRate: [...this.dilationRate],
      activation: this.activation.name,
      useBias: this.useBias,
    };
  }
}
