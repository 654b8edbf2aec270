/**
 * The initializers' view of the process-wide seeded generator (lib/random, `setSeed`): every
 * initializer, dropout mask and noise draws from it, so `setSeed(n)` makes a run reproducible.
 */
import { globalRng } from '../random/index.js';

/** U[0, 1). */
export function uniform01(): number {
  return globalRng().random();
}

/** N(0, 1). */
export function standardNormal(): number {
  return globalRng().normal();
}

/** N(0, 1) truncated to [-2, 2] by resampling (TF's truncated_normal). */
export function truncatedStandardNormal(): number {
  return globalRng().truncatedNormal();
}
