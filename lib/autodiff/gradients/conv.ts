/**
 * Convolution and pooling gradients, through the backward kernels of the convolution engine:
 *   y = conv(x, w):                dx = convBackpropInput(dy, w),  dw = convBackpropFilter(x, dy)
 *   x' = convBackpropInput(g, w):  (the transposed convolution) dg = conv(dx', w), dw = convBackpropFilter(dx', g)
 *   pooling:                       dx = poolBackward(dy, x)
 */
import type { Tensor } from '../../tensor/index.js';
import * as K from '../../layers/backend.js';
import { registerGradient } from '../registry.js';

registerGradient('conv', ([dy], { inputs: [x, w], attrs, needsGrad }) => {
  const at = attrs as unknown as K.ConvAttrs;
  return [
    needsGrad[0] ? K.convBackpropInput(dy!, w!, x!.shape, at) : null,
    needsGrad[1] ? K.convBackpropFilter(x!, dy!, w!.shape, at) : null,
  ];
});

registerGradient('convBackpropInput', ([dx], { inputs: [g, w], attrs, needsGrad }) => {
  const at = attrs as unknown as K.ConvAttrs;
  return [
    needsGrad[0] ? K.convForwardRecorded(dx!, w!, at) : null,
    needsGrad[1] ? K.convBackpropFilter(dx!, g!, w!.shape, at) : null,
  ];
});

const pool = ([dy]: readonly (Tensor | null)[], ctx: { inputs: readonly Tensor[]; attrs: Readonly<Record<string, unknown>> }): Tensor[] => [
  K.poolBackward(dy!, ctx.inputs[0]!, ctx.attrs as unknown as K.PoolAttrs),
];
registerGradient('maxPool', pool);
registerGradient('avgPool', pool);
