/** From lib/data's arrays to the Tensors fit/evaluate take: x `[n, ...sample]`, y class ids or one-hot rows. */
import type { ArrayDataset } from '../data/index.js';
import { oneHot } from '../data/index.js';
import { Tensor, tensor } from '../tensor/index.js';

/** Losses that want one-hot targets rather than class ids. */
const DENSE_TARGET_LOSSES = new Set(['categorical_crossentropy', 'categoricalcrossentropy', 'kl_divergence', 'kld', 'mean_squared_error', 'mse', 'mean_absolute_error', 'mae', 'huber', 'categorical_hinge']);

export function wantsOneHot(loss: string): boolean {
  return DENSE_TARGET_LOSSES.has(loss.toLowerCase());
}

export function xTensor(ds: ArrayDataset): Tensor {
  return tensor(ds.x, [ds.y.length, ...ds.sampleShape]);
}

export function yTensor(ds: ArrayDataset, loss: string): Tensor {
  if (wantsOneHot(loss)) return tensor(oneHot(ds.y, ds.numClasses), [ds.y.length, ds.numClasses]);
  // Keras's sparse targets: class ids, as float32 like Keras's default y dtype
  return tensor(Float32Array.from(ds.y), [ds.y.length]);
}
