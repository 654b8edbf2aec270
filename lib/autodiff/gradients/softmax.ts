/**
 * softmax: dx = y ⊙ (dy − Σ_axis(dy ⊙ y)).
 * logSoftmax: dx = dy − softmax(x) · Σ_axis dy, with softmax(x) = exp(y).
 */
import * as K from '../../layers/backend.js';
import { registerGradient } from '../registry.js';

registerGradient('softmax', ([dy], { outputs: [y], attrs }) => {
  const axis = attrs['axis'] as number;
  const s = K.sum(K.mul(dy!, y!), [axis], true);
  return [K.mul(y!, K.sub(dy!, s))];
});

registerGradient('logSoftmax', ([dy], { outputs: [y], attrs }) => {
  const axis = attrs['axis'] as number;
  const s = K.sum(dy!, [axis], true);
  return [K.sub(dy!, K.mul(K.exp(y!), s))];
});
