import { describe, it } from 'vitest';
import * as L from '../../lib/layers/index.js';
import { runLayerTest } from '../helpers/layer_harness.js';

// One entry per layer and per option that changes the math; each runs the shared harness
// (shapes, params, config round trip, symbolic shape, finite-difference gradients).
const cases: [string, Parameters<typeof runLayerTest>[0]][] = [
  ['dense rank 2', { make: () => L.dense({ units: 3, activation: 'tanh' }), inputShape: [2, 4], expectedOutputShape: [2, 3], expectedParams: 15 }],
  ['dense rank 3', { make: () => L.dense({ units: 2, useBias: false }), inputShape: [2, 3, 4], expectedOutputShape: [2, 3, 2], expectedParams: 8 }],
  ['conv1d valid stride 2', { make: () => L.conv1d({ filters: 2, kernelSize: 3, strides: 2 }), inputShape: [2, 9, 3], expectedOutputShape: [2, 4, 2], expectedParams: 20 }],
  ['conv1d causal dilation 2', { make: () => L.conv1d({ filters: 2, kernelSize: 2, padding: 'causal', dilationRate: 2 }), inputShape: [1, 6, 2], expectedOutputShape: [1, 6, 2] }],
  ['conv2d valid', { make: () => L.conv2d({ filters: 3, kernelSize: 3 }), inputShape: [2, 5, 6, 2], expectedOutputShape: [2, 3, 4, 3], expectedParams: 57 }],
  ['conv2d same strides 2', { make: () => L.conv2d({ filters: 2, kernelSize: [3, 2], strides: 2, padding: 'same' }), inputShape: [1, 5, 6, 2], expectedOutputShape: [1, 3, 3, 2] }],
  ['conv2d dilation 2 same', { make: () => L.conv2d({ filters: 2, kernelSize: 3, dilationRate: 2, padding: 'same', activation: 'sigmoid' }), inputShape: [1, 6, 6, 2], expectedOutputShape: [1, 6, 6, 2] }],
  ['conv2d groups 2', { make: () => L.conv2d({ filters: 4, kernelSize: 3, groups: 2, padding: 'same' }), inputShape: [1, 4, 4, 4], expectedOutputShape: [1, 4, 4, 4], expectedParams: 3 * 3 * 2 * 4 + 4 }],
  ['conv2d channelsFirst', { make: () => L.conv2d({ filters: 2, kernelSize: 3, dataFormat: 'channelsFirst' }), inputShape: [1, 3, 5, 5], expectedOutputShape: [1, 2, 3, 3] }],
  ['conv3d same strides', { make: () => L.conv3d({ filters: 2, kernelSize: 2, strides: [1, 2, 2], padding: 'same' }), inputShape: [1, 3, 4, 4, 2], expectedOutputShape: [1, 3, 2, 2, 2], expectedParams: 8 * 2 * 2 + 2 }],
  ['depthwiseConv2d multiplier 2 stride 2 same', { make: () => L.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, strides: 2, padding: 'same' }), inputShape: [1, 5, 5, 3], expectedOutputShape: [1, 3, 3, 6], expectedParams: 9 * 3 * 2 + 6 }],
  ['separableConv2d', { make: () => L.separableConv2d({ filters: 4, kernelSize: 3, depthMultiplier: 2 }), inputShape: [1, 5, 5, 2], expectedOutputShape: [1, 3, 3, 4], expectedParams: 9 * 2 * 2 + 4 * 4 + 4 }],
  ['conv2dTranspose valid stride 2', { make: () => L.conv2dTranspose({ filters: 3, kernelSize: 3, strides: 2 }), inputShape: [1, 3, 3, 2], expectedOutputShape: [1, 7, 7, 3], expectedParams: 9 * 3 * 2 + 3 }],
  ['conv2dTranspose same stride 2', { make: () => L.conv2dTranspose({ filters: 2, kernelSize: 3, strides: 2, padding: 'same' }), inputShape: [1, 3, 3, 2], expectedOutputShape: [1, 6, 6, 2] }],
  ['maxPooling1d', { make: () => L.maxPooling1d({ poolSize: 2 }), inputShape: [2, 7, 3], expectedOutputShape: [2, 3, 3], gradcheck: { h: 1e-3 } }],
  ['maxPooling2d same overlapping', { make: () => L.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' }), inputShape: [2, 5, 6, 2], expectedOutputShape: [2, 3, 3, 2], gradcheck: { h: 1e-3 } }],
  ['maxPooling3d', { make: () => L.maxPooling3d({ poolSize: 2 }), inputShape: [1, 4, 4, 4, 2], expectedOutputShape: [1, 2, 2, 2, 2], gradcheck: { h: 1e-3 } }],
  ['averagePooling1d same', { make: () => L.averagePooling1d({ poolSize: 3, strides: 2, padding: 'same' }), inputShape: [1, 7, 2], expectedOutputShape: [1, 4, 2] }],
  ['averagePooling2d valid', { make: () => L.averagePooling2d({ poolSize: 2 }), inputShape: [2, 5, 4, 3], expectedOutputShape: [2, 2, 2, 3] }],
  ['averagePooling2d same', { make: () => L.averagePooling2d({ poolSize: 3, strides: 2, padding: 'same' }), inputShape: [1, 5, 5, 2], expectedOutputShape: [1, 3, 3, 2] }],
  ['averagePooling3d', { make: () => L.averagePooling3d({ poolSize: [1, 2, 2] }), inputShape: [1, 2, 4, 4, 2], expectedOutputShape: [1, 2, 2, 2, 2] }],
  ['globalMaxPooling1d', { make: () => L.globalMaxPooling1d(), inputShape: [2, 5, 3], expectedOutputShape: [2, 3], gradcheck: { h: 1e-3 } }],
  ['globalMaxPooling2d', { make: () => L.globalMaxPooling2d(), inputShape: [2, 3, 4, 3], expectedOutputShape: [2, 3], gradcheck: { h: 1e-3 } }],
  ['globalMaxPooling3d keepdims', { make: () => L.globalMaxPooling3d({ keepdims: true }), inputShape: [1, 2, 3, 2, 2], expectedOutputShape: [1, 1, 1, 1, 2], gradcheck: { h: 1e-3 } }],
  ['globalAveragePooling1d', { make: () => L.globalAveragePooling1d(), inputShape: [2, 5, 3], expectedOutputShape: [2, 3] }],
  ['globalAveragePooling2d', { make: () => L.globalAveragePooling2d(), inputShape: [2, 3, 4, 3], expectedOutputShape: [2, 3] }],
  ['globalAveragePooling3d', { make: () => L.globalAveragePooling3d(), inputShape: [1, 2, 3, 2, 2], expectedOutputShape: [1, 2] }],
  ['batchNormalization training', { make: () => L.batchNormalization(), inputShape: [4, 3, 3, 2], expectedOutputShape: [4, 3, 3, 2], training: true, expectedParams: 8, expectedTrainableWeights: 2, expectedNonTrainableWeights: 2 }],
  ['batchNormalization inference', { make: () => L.batchNormalization({ epsilon: 0.01 }), inputShape: [2, 3, 3, 2], expectedOutputShape: [2, 3, 3, 2] }],
  ['batchNormalization axis 1 training', { make: () => L.batchNormalization({ axis: 1, scale: false }), inputShape: [3, 2, 4], expectedOutputShape: [3, 2, 4], training: true, expectedParams: 6 }],
  ['layerNormalization', { make: () => L.layerNormalization(), inputShape: [3, 5], expectedOutputShape: [3, 5], expectedParams: 10 }],
  ['layerNormalization axes 1,2', { make: () => L.layerNormalization({ axis: [1, 2] }), inputShape: [2, 3, 4], expectedOutputShape: [2, 3, 4], expectedParams: 24 }],
  ['dropout training (seeded mask)', { make: () => L.dropout({ rate: 0.4 }), inputShape: [3, 6], expectedOutputShape: [3, 6], training: true, seeded: true }],
  ['dropout noiseShape', { make: () => L.dropout({ rate: 0.5, noiseShape: [null, 1] }), inputShape: [4, 5], expectedOutputShape: [4, 5], training: true, seeded: true }],
  ['spatialDropout2d training', { make: () => L.spatialDropout2d({ rate: 0.5 }), inputShape: [2, 3, 3, 4], expectedOutputShape: [2, 3, 3, 4], training: true, seeded: true }],
  ['gaussianNoise training', { make: () => L.gaussianNoise({ stddev: 0.3 }), inputShape: [2, 5], expectedOutputShape: [2, 5], training: true, seeded: true }],
  ['relu maxValue threshold negativeSlope', { make: () => L.relu({ maxValue: 0.6, threshold: 0.1, negativeSlope: 0.2 }), inputShape: [3, 7], expectedOutputShape: [3, 7], gradcheck: { h: 1e-3 } }],
  ['leakyReLU', { make: () => L.leakyReLU({ alpha: 0.2 }), inputShape: [3, 7], expectedOutputShape: [3, 7], minAbs: 0.05 }],
  ['prelu shared axes', { make: () => L.prelu({ sharedAxes: [1, 2], alphaInitializer: 'ones' }), inputShape: [2, 3, 3, 2], expectedOutputShape: [2, 3, 3, 2], expectedParams: 2, minAbs: 0.05 }],
  ['elu alpha 0.5', { make: () => L.elu({ alpha: 0.5 }), inputShape: [3, 7], expectedOutputShape: [3, 7], minAbs: 0.05 }],
  ['softmax axis 1', { make: () => L.softmax({ axis: 1 }), inputShape: [2, 3, 4], expectedOutputShape: [2, 3, 4] }],
  ['rrelu inference', { make: () => L.rrelu(), inputShape: [3, 7], expectedOutputShape: [3, 7], minAbs: 0.05 }],
  ['rrelu training (seeded slopes)', { make: () => L.rrelu({ lower: 0.1, upper: 0.3 }), inputShape: [3, 7], expectedOutputShape: [3, 7], training: true, seeded: true, minAbs: 0.05 }],
  ['add', { make: () => L.add(), inputShape: [[2, 3], [2, 3], [2, 3]], expectedOutputShape: [2, 3] }],
  ['subtract', { make: () => L.subtract(), inputShape: [[2, 3], [2, 3]], expectedOutputShape: [2, 3] }],
  ['multiply', { make: () => L.multiply(), inputShape: [[2, 3], [2, 3]], expectedOutputShape: [2, 3] }],
  ['average', { make: () => L.average(), inputShape: [[2, 3], [2, 3]], expectedOutputShape: [2, 3] }],
  ['maximum', { make: () => L.maximum(), inputShape: [[2, 4], [2, 4]], expectedOutputShape: [2, 4], gradcheck: { h: 1e-3 } }],
  ['minimum', { make: () => L.minimum(), inputShape: [[2, 4], [2, 4]], expectedOutputShape: [2, 4], gradcheck: { h: 1e-3 } }],
  ['concatenate last axis', { make: () => L.concatenate(), inputShape: [[2, 3, 2], [2, 3, 4]], expectedOutputShape: [2, 3, 6] }],
  ['concatenate axis 1', { make: () => L.concatenate({ axis: 1 }), inputShape: [[2, 1, 2], [2, 3, 2]], expectedOutputShape: [2, 4, 2] }],
  ['flatten', { make: () => L.flatten(), inputShape: [2, 3, 4, 2], expectedOutputShape: [2, 24] }],
  ['flatten channelsFirst', { make: () => L.flatten({ dataFormat: 'channelsFirst' }), inputShape: [2, 3, 2, 2], expectedOutputShape: [2, 12] }],
  ['reshape with -1', { make: () => L.reshape({ targetShape: [-1, 4] }), inputShape: [2, 3, 4, 2], expectedOutputShape: [2, 6, 4] }],
  ['permute', { make: () => L.permute({ dims: [3, 1, 2] }), inputShape: [2, 3, 4, 5], expectedOutputShape: [2, 5, 3, 4] }],
  ['zeroPadding1d', { make: () => L.zeroPadding1d({ padding: [1, 2] }), inputShape: [2, 3, 2], expectedOutputShape: [2, 6, 2] }],
  ['zeroPadding2d', { make: () => L.zeroPadding2d({ padding: [[1, 0], [2, 1]] }), inputShape: [1, 3, 3, 2], expectedOutputShape: [1, 4, 6, 2] }],
  ['zeroPadding3d', { make: () => L.zeroPadding3d({ padding: 1 }), inputShape: [1, 2, 2, 2, 1], expectedOutputShape: [1, 4, 4, 4, 1] }],
  ['cropping2d', { make: () => L.cropping2d({ cropping: [[1, 0], [1, 2]] }), inputShape: [1, 4, 5, 2], expectedOutputShape: [1, 3, 2, 2] }],
  ['upSampling2d nearest', { make: () => L.upSampling2d({ size: [2, 3] }), inputShape: [1, 2, 2, 2], expectedOutputShape: [1, 4, 6, 2] }],
  ['upSampling2d bilinear', { make: () => L.upSampling2d({ size: 2, interpolation: 'bilinear' }), inputShape: [1, 3, 3, 2], expectedOutputShape: [1, 6, 6, 2] }],
];

for (const act of ['relu', 'relu6', 'sigmoid', 'hardSigmoid', 'tanh', 'softmax', 'logSoftmax', 'elu', 'selu', 'gelu', 'swish', 'silu', 'softplus', 'softsign', 'linear'] as const) {
  cases.push([`activation ${act}`, { make: () => L.activation({ activation: act }), inputShape: [2, 6], expectedOutputShape: [2, 6], minAbs: 0.05, gradcheck: { h: 1e-3, atol: 1e-2 } }]);
}

describe('layers: shared harness (shape, config round trip, gradients)', () => {
  for (const [name, spec] of cases) it(name, () => void runLayerTest(spec));
});
