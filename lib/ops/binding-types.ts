// Raw binding signatures of the foundation's op families (native/binding/{elementwise,reduce,
// reference}_binding.cc), added to NativeBinding by module augmentation.
import type { CancelCell } from '../native/binding.js';

export type BinaryOpName =
  | 'add'
  | 'sub'
  | 'mul'
  | 'div'
  | 'maximum'
  | 'minimum'
  | 'squaredDifference'
  // 1 where a > b (a == b) else 0, float32 only: the masks of maximum/minimum/max-reduction gradients.
  | 'greater'
  | 'equal';
export type UnaryOpName =
  | 'relu'
  | 'relu6'
  | 'leakyRelu'
  | 'elu'
  | 'sigmoid'
  | 'tanh'
  | 'exp'
  | 'log'
  | 'neg'
  | 'abs'
  | 'sqrt'
  | 'square'
  | 'softplus'
  | 'swish'
  | 'reciprocal'
  // The layer backend's parametric and mask ops (alpha, beta as listed at native UnaryOp):
  | 'rsqrt'
  | 'sign'
  | 'step'
  | 'minScalar'
  | 'maxScalar'
  | 'clip'
  | 'powScalar';
export type ReduceOpName = 'sum' | 'mean' | 'max' | 'min';
type Arr = Float32Array | Int32Array;
type Dims = readonly number[];

declare module '../native/binding.js' {
  interface NativeBinding {
    binary(op: BinaryOpName, a: Arr, aShape: Dims, b: Arr, bShape: Dims, out: Arr, outShape: Dims): void;
    binaryAsync(op: BinaryOpName, a: Arr, aShape: Dims, b: Arr, bShape: Dims, out: Arr, outShape: Dims, cancel: CancelCell): Promise<void>;
    unary(op: UnaryOpName, x: Float32Array, y: Float32Array, alpha: number, beta: number): void;
    unaryAsync(op: UnaryOpName, x: Float32Array, y: Float32Array, alpha: number, beta: number, cancel: CancelCell): Promise<void>;
    softmax(x: Float32Array, shape: Dims, axis: number, log: boolean, y: Float32Array): void;
    softmaxAsync(x: Float32Array, shape: Dims, axis: number, log: boolean, y: Float32Array, cancel: CancelCell): Promise<void>;
    reduce(op: ReduceOpName, x: Float32Array, shape: Dims, axes: Dims, out: Float32Array): void;
    reduceAsync(op: ReduceOpName, x: Float32Array, shape: Dims, axes: Dims, out: Float32Array, cancel: CancelCell): Promise<void>;
    argReduce(isMax: boolean, x: Float32Array, shape: Dims, axis: number, out: Int32Array): void;
    argReduceAsync(isMax: boolean, x: Float32Array, shape: Dims, axis: number, out: Int32Array, cancel: CancelCell): Promise<void>;
    transpose(x: Arr, shape: Dims, perm: Dims, y: Arr): void;
    transposeAsync(x: Arr, shape: Dims, perm: Dims, y: Arr, cancel: CancelCell): Promise<void>;
    cast(x: Arr, y: Arr): void;
    castAsync(x: Arr, y: Arr, cancel: CancelCell): Promise<void>;
    referenceMatmul(transA: boolean, transB: boolean, M: number, N: number, K: number, a: Float32Array, b: Float32Array, c: Float32Array): void;
    referenceMatmulAsync(
      transA: boolean, transB: boolean, M: number, N: number, K: number,
      a: Float32Array, b: Float32Array, c: Float32Array, cancel: CancelCell,
    ): Promise<void>;
    referenceConv2d(
      x: Float32Array, xShape: Dims, w: Float32Array, wShape: Dims, bias: Float32Array | null, y: Float32Array,
      strides: Dims, dilations: Dims, padding: 'valid' | 'same', groups: number,
    ): void;
    referenceConv2dAsync(
      x: Float32Array, xShape: Dims, w: Float32Array, wShape: Dims, bias: Float32Array | null, y: Float32Array,
      strides: Dims, dilations: Dims, padding: 'valid' | 'same', groups: number, cancel: CancelCell,
    ): Promise<void>;
    conv2dGeometry(
      xShape: Dims, wShape: Dims, strides: Dims, dilations: Dims, padding: 'valid' | 'same', groups: number,
    ): { outShape: [number, number, number, number]; padTop: number; padLeft: number };
  }
}

export {};
