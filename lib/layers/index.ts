/**
 * Layer factories with TF.js names (`layers.conv2d({filters: 6, kernelSize: 5})`), the layer
 * classes, and the registry used by loaders (`getLayerClass('Conv2D').fromConfig(config)`).
 */
import { Dense, type DenseArgs } from './dense.js';
import { type BaseConvArgs, Conv1D, Conv2D, Conv3D } from './conv.js';
import { DepthwiseConv2D, type DepthwiseConv2DArgs } from './depthwise_conv2d.js';
import { SeparableConv2D, type SeparableConv2DArgs } from './separable_conv2d.js';
import { Conv2DTranspose, type Conv2DTransposeArgs } from './conv2d_transpose.js';
import {
  AveragePooling1D, AveragePooling2D, AveragePooling3D, GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalAveragePooling3D,
  GlobalMaxPooling1D, GlobalMaxPooling2D, GlobalMaxPooling3D, type GlobalPoolingArgs, MaxPooling1D, MaxPooling2D, MaxPooling3D, type PoolingArgs,
} from './pooling.js';
import { BatchNormalization, type BatchNormalizationArgs } from './batch_normalization.js';
import { LayerNormalization, type LayerNormalizationArgs } from './layer_normalization.js';
import { Dropout, type DropoutArgs, GaussianNoise, type GaussianNoiseArgs, SpatialDropout2D, type SpatialDropout2DArgs } from './dropout.js';
import { Activation, ELU, LeakyReLU, PReLU, type PReLUArgs, ReLU, type ReLUArgs, RReLU, type RReLUArgs, Softmax } from './activation_layers.js';
import { Add, Average, Concatenate, Maximum, Minimum, Multiply, Subtract } from './merge.js';
import { Cropping2D, Flatten, Permute, Reshape, UpSampling2D, ZeroPadding1D, ZeroPadding2D, ZeroPadding3D } from './reshaping.js';
import type { LayerArgs } from './layer.js';
import type { ActivationIdentifier } from '../activations/index.js';
import type { DataFormat } from './shape.js';

export * from './layer.js';
export { LayerVariable } from './variable.js';
export { SymbolicTensor, Node } from './symbolic.js';
export { registerLayer, getLayerClass, deserializeLayer, serializeLayer, registeredLayerNames, type LayerClass, type SerializedLayer } from './registry.js';
export { resetNames, toSnakeCase } from './naming.js';
export type { Shape, PaddingMode, DataFormat } from './shape.js';
export { convOutputLength, deconvOutputLength, samePadding } from './shape.js';
export {
  Dense, Conv1D, Conv2D, Conv3D, DepthwiseConv2D, SeparableConv2D, Conv2DTranspose,
  MaxPooling1D, MaxPooling2D, MaxPooling3D, AveragePooling1D, AveragePooling2D, AveragePooling3D,
  GlobalMaxPooling1D, GlobalMaxPooling2D, GlobalMaxPooling3D, GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalAveragePooling3D,
  BatchNormalization, LayerNormalization, Dropout, SpatialDropout2D, GaussianNoise,
  Activation, ReLU, LeakyReLU, PReLU, ELU, Softmax, RReLU,
  Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate,
  Flatten, Reshape, Permute, ZeroPadding1D, ZeroPadding2D, ZeroPadding3D, Cropping2D, UpSampling2D,
};
export { BaseConv, type BaseConvArgs, type ConvAlgorithmChoice } from './conv.js';
export { BasePooling, BaseGlobalPooling } from './pooling.js';
export type {
  DenseArgs, DepthwiseConv2DArgs, SeparableConv2DArgs, Conv2DTransposeArgs, PoolingArgs, GlobalPoolingArgs, BatchNormalizationArgs,
  LayerNormalizationArgs, DropoutArgs, SpatialDropout2DArgs, GaussianNoiseArgs, ReLUArgs, PReLUArgs, RReLUArgs,
};

type PadSpec = number | number[] | number[][];

export const dense = (a: DenseArgs): Dense => new Dense(a);
export const conv1d = (a: BaseConvArgs): Conv1D => new Conv1D(a);
export const conv2d = (a: BaseConvArgs): Conv2D => new Conv2D(a);
export const conv3d = (a: BaseConvArgs): Conv3D => new Conv3D(a);
export const depthwiseConv2d = (a: DepthwiseConv2DArgs): DepthwiseConv2D => new DepthwiseConv2D(a);
export const separableConv2d = (a: SeparableConv2DArgs): SeparableConv2D => new SeparableConv2D(a);
export const conv2dTranspose = (a: Conv2DTransposeArgs): Conv2DTranspose => new Conv2DTranspose(a);
export const maxPooling1d = (a: PoolingArgs = {}): MaxPooling1D => new MaxPooling1D(a);
export const maxPooling2d = (a: PoolingArgs = {}): MaxPooling2D => new MaxPooling2D(a);
export const maxPooling3d = (a: PoolingArgs = {}): MaxPooling3D => new MaxPooling3D(a);
export const averagePooling1d = (a: PoolingArgs = {}): AveragePooling1D => new AveragePooling1D(a);
export const averagePooling2d = (a: PoolingArgs = {}): AveragePooling2D => new AveragePooling2D(a);
export const averagePooling3d = (a: PoolingArgs = {}): AveragePooling3D => new AveragePooling3D(a);
export const maxPool1d = maxPooling1d;
export const maxPool2d = maxPooling2d;
export const maxPool3d = maxPooling3d;
export const avgPool1d = averagePooling1d;
export const avgPool2d = averagePooling2d;
export const avgPool3d = averagePooling3d;
export const globalMaxPooling1d = (a: GlobalPoolingArgs = {}): GlobalMaxPooling1D => new GlobalMaxPooling1D(a);
export const globalMaxPooling2d = (a: GlobalPoolingArgs = {}): GlobalMaxPooling2D => new GlobalMaxPooling2D(a);
export const globalMaxPooling3d = (a: GlobalPoolingArgs = {}): GlobalMaxPooling3D => new GlobalMaxPooling3D(a);
export const globalAveragePooling1d = (a: GlobalPoolingArgs = {}): GlobalAveragePooling1D => new GlobalAveragePooling1D(a);
export const globalAveragePooling2d = (a: GlobalPoolingArgs = {}): GlobalAveragePooling2D => new GlobalAveragePooling2D(a);
export const globalAveragePooling3d = (a: GlobalPoolingArgs = {}): GlobalAveragePooling3D => new GlobalAveragePooling3D(a);
export const batchNormalization = (a: BatchNormalizationArgs = {}): BatchNormalization => new BatchNormalization(a);
export const layerNormalization = (a: LayerNormalizationArgs = {}): LayerNormalization => new LayerNormalization(a);
export const dropout = (a: DropoutArgs): Dropout => new Dropout(a);
export const spatialDropout2d = (a: SpatialDropout2DArgs): SpatialDropout2D => new SpatialDropout2D(a);
export const gaussianNoise = (a: GaussianNoiseArgs): GaussianNoise => new GaussianNoise(a);
export const activation = (a: LayerArgs & { activation: ActivationIdentifier }): Activation => new Activation(a);
export const relu = (a: ReLUArgs = {}): ReLU => new ReLU(a);
export const reLU = relu;
export const leakyReLU = (a: LayerArgs & { alpha?: number } = {}): LeakyReLU => new LeakyReLU(a);
export const prelu = (a: PReLUArgs = {}): PReLU => new PReLU(a);
export const elu = (a: LayerArgs & { alpha?: number } = {}): ELU => new ELU(a);
export const softmax = (a: LayerArgs & { axis?: number } = {}): Softmax => new Softmax(a);
export const rrelu = (a: RReLUArgs = {}): RReLU => new RReLU(a);
export const add = (a: LayerArgs = {}): Add => new Add(a);
export const subtract = (a: LayerArgs = {}): Subtract => new Subtract(a);
export const multiply = (a: LayerArgs = {}): Multiply => new Multiply(a);
export const average = (a: LayerArgs = {}): Average => new Average(a);
export const maximum = (a: LayerArgs = {}): Maximum => new Maximum(a);
export const minimum = (a: LayerArgs = {}): Minimum => new Minimum(a);
export const concatenate = (a: LayerArgs & { axis?: number } = {}): Concatenate => new Concatenate(a);
export const flatten = (a: LayerArgs & { dataFormat?: DataFormat } = {}): Flatten => new Flatten(a);
export const reshape = (a: LayerArgs & { targetShape: number[] }): Reshape => new Reshape(a);
export const permute = (a: LayerArgs & { dims: number[] }): Permute => new Permute(a);
export const zeroPadding1d = (a: LayerArgs & { padding?: PadSpec } = {}): ZeroPadding1D => new ZeroPadding1D(a);
export const zeroPadding2d = (a: LayerArgs & { padding?: PadSpec; dataFormat?: DataFormat } = {}): ZeroPadding2D => new ZeroPadding2D(a);
export const zeroPadding3d = (a: LayerArgs & { padding?: PadSpec; dataFormat?: DataFormat } = {}): ZeroPadding3D => new ZeroPadding3D(a);
export const cropping2d = (a: LayerArgs & { cropping?: PadSpec; dataFormat?: DataFormat } = {}): Cropping2D => new Cropping2D(a);
export const upSampling2d = (a: LayerArgs & { size?: number | number[]; dataFormat?: DataFormat; interpolation?: 'nearest' | 'bilinear' } = {}): UpSampling2D =>
  new UpSampling2D(a);
