export * from './binary.js';
export * from './unary.js';
export * from './reduce.js';
export * from './softmax.js';
export * from './transpose.js';
export * from './concat.js';
export { broadcastShapes } from './broadcast.js';
export type { AsyncOptions } from './async.js';
export type { TensorOrNumber } from './util.js';
