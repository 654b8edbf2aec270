export { Tensor, type NestedArray } from './tensor.js';
export type { DType } from './shape.js';
export {
  tensor,
  scalar,
  zeros,
  ones,
  fill,
  zerosLike,
  onesLike,
  randomUniform,
  randomNormal,
  truncatedNormal,
  type TensorLike,
  type NestedNumbers,
  type NumericTypedArray,
} from './creation.js';
