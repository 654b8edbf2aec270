/** Gradients of data-movement ops: each is the adjoint copy (reshape back, inverse permutation, pad ↔ slice, split). */
import type { Tensor } from '../../tensor/index.js';
import * as K from '../../layers/backend.js';
import { registerGradient } from '../registry.js';

registerGradient('reshape', ([dy], { inputs: [x] }) => [K.reshape(dy!, x!.shape)]);

registerGradient('transpose', ([dy], { attrs }) => {
  const perm = attrs['perm'] as number[];
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return [K.transpose(dy!, inv)];
});

registerGradient('slice', ([dy], { inputs: [x], attrs }) => [K.slicePad(dy!, x!.shape, attrs['begin'] as number[])]);

registerGradient('slicePad', ([dy], { inputs: [g], attrs }) => [K.slice(dy!, attrs['begin'] as number[], g!.shape)]);

registerGradient('pad', ([dy], { inputs: [x], attrs }) => {
  const p = attrs['paddings'] as [number, number][];
  return [K.slice(dy!, p.map((q) => q[0]), x!.shape)];
});

registerGradient('concat', ([dy], { inputs, attrs, needsGrad }) => {
  const axis = attrs['axis'] as number;
  let off = 0;
  return inputs.map((t, i) => {
    const begin = t.shape.map((_, k) => (k === axis ? off : 0));
    off += t.shape[axis]!;
    return needsGrad[i] ? K.slice(dy!, begin, t.shape) : null;
  });
});

// Nearest upsampling: each input pixel feeds an sh×sw block; its gradient is the block sum.
registerGradient('upsampleNearest2d', ([dy], { inputs: [x], attrs }) => {
  const [n, h, w, c] = x!.shape as [number, number, number, number];
  const [sh, sw] = attrs['size'] as [number, number];
  const r = K.reshape(dy!, [n, h, sh, w, sw, c]);
  return [K.reshape(K.sum(r, [2, 4]), [n, h, w, c])];
});

registerGradient('upsampleBilinear2d', ([dy], { inputs: [x], attrs }) => [K.bilinearAdjoint(dy!, x!.shape, attrs['size'] as number[])]);

export type { Tensor };
