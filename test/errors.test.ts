// Every class of bad input gives a clear JS error naming the argument, expected vs given. Never a crash.
import { describe, expect, it } from 'vitest';
import * as ck from '../lib/index.js';
import { native } from '../lib/native/index.js';
import '../lib/ops/binding-types.js';

describe('bad input', () => {
  const x = ck.tensor([[1, 2, 3], [4, 5, 6]]);
  const i = ck.tensor(new Int32Array([1, 2, 3]));

  it('wrong shapes', () => {
    expect(() => ck.add(x, ck.ones([4]))).toThrow(/add\(\): shapes \[2,3\] and \[4\] cannot be broadcast together \(dimension 1: 3 vs 4\)/);
    expect(() => ck.sum(x, 2)).toThrow(/sum\(\): axis must be an integer in \[-2, 1\], got 2/);
    expect(() => ck.sum(x, [0, 0])).toThrow(/repeated/);
    expect(() => ck.transpose(x, [0, 0])).toThrow(/not a permutation/);
    expect(() => x.reshape([4])).toThrow(RangeError);
    expect(() => ck.softmax(ck.scalar(1))).toThrow(/rank >= 1/);
  });

  it('wrong dtypes', () => {
    expect(() => ck.add(x, i)).toThrow(/add\(\): a and b must have the same dtype, got float32 and int32/);
    expect(() => ck.relu(i)).toThrow(/relu\(\): x must have dtype float32, got int32/);
    expect(() => ck.cast(x, 'float16' as ck.DType)).toThrow(/dtype must be 'float32' or 'int32', got string 'float16'/);
    expect(() => ck.add(x, 'a' as unknown as number)).toThrow(/add\(\): b must be a Tensor or a number, got string 'a'/);
  });

  it('wrong sizes at the raw binding name the argument, expected vs got', () => {
    const b = native();
    const a = new Float32Array(6);
    expect(() => b.binary('add', a, [2, 3], new Float32Array(5), [2, 3], new Float32Array(6), [2, 3])).toThrow(
      /'b' must have 6 elements, got 5/,
    );
    expect(() => b.binary('add', a, [2, 3], a, [2, 3], new Float32Array(6), [3, 2])).toThrow(
      /output: expected shape \[2,3\], got \[3,2\]/,
    );
    expect(() => b.binary('pow' as 'add', a, [2, 3], a, [2, 3], a, [2, 3])).toThrow(/'op' must be one of 'add', .* got 'pow'/);
    expect(() => b.unary('relu', new Float64Array(3) as unknown as Float32Array, new Float32Array(3), 0, 0)).toThrow(
      /'x' must be a Float32Array, got Float64Array/,
    );
    expect(() => b.unary('relu', a, new Float32Array(3), 0, 0)).toThrow(/'y' must have 6 elements, got 3/);
    expect(() => b.reduce('sum', a, [2, -3], [0], a)).toThrow(/'shape\[1\]' must be in \[0, \d+\], got -3/);
    expect(() => b.reduce('sum', a, [2, 3.5], [0], a)).toThrow(/'shape\[1\]' must be an integer, got number 3.5/);
    expect(() => b.softmax(a, [2, 3], 2, false, a)).toThrow(/'axis' must be an integer in \[0, 1\], got 2/);
    expect(() => b.referenceConv2d(a, [1, 1, 2, 3], a, [1, 1, 3, 2], null, a, [1, 1], [1, 1], 'full' as 'same', 1)).toThrow(
      /'padding' must be one of 'valid', 'same', got 'full'/,
    );
    expect(() => b.conv2dGeometry([1, 4, 4, 3], [3, 3, 2, 4], [1, 1], [1, 1], 'same', 1)).toThrow(
      /filter expects 2 input channels per group, input has 3 channels/,
    );
  });

  it('C++ exceptions map to coded errors', () => {
    const b = native();
    const a = new Int32Array(3);
    let err: unknown;
    try {
      b.binary('div', a, [3], a, [3], a, [3]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(Error);
    expect((err as Error & { code: string }).code).toBe('ERR_CONVKIT_UNSUPPORTED');
    expect(() => b.alloc(2 ** 40, false)).toThrow(/out of memory|native allocation failed/);
  });

  it('disposed tensors', () => {
    const d = ck.tensor([1, 2]);
    d.dispose();
    expect(() => ck.relu(d)).toThrow(/relu\(\): x was disposed: Tensor#\d+ float32 \[2\] cannot be used after dispose\(\)/);
    expect(() => ck.add(x, d)).toThrow(/add\(\): b was disposed/);
    expect(() => ck.concat([x, d])).toThrow(/concat\(\): tensors\[1\] was disposed/);
    expect(() => ck.zerosLike(d)).toThrow(/disposed/);
    // A stale typed array of a disposed tensor is empty: the binding reports it, no crash.
    const e = ck.tensor([1, 2, 3]);
    const view = new Float32Array(0);
    e.dispose();
    expect(() => native().unary('relu', view, new Float32Array(3), 0, 0)).toThrow(/'y' must have 0 elements, got 3/);
  });

  it('non-finite options', () => {
    expect(() => ck.leakyRelu(x, NaN)).toThrow(/leakyRelu\(\): alpha must be a finite number, got NaN/);
    expect(() => ck.elu(x, Infinity)).toThrow(/alpha must be a finite number, got Infinity/);
    expect(() => native().unary('leakyRelu', new Float32Array(1), new Float32Array(1), NaN, 0)).toThrow(
      /'alpha' must be a finite number, got nan/,
    );
    expect(() => ck.randomNormal([2], 0, NaN)).toThrow(/stddev must be a finite number/);
    expect(() => ck.fill([2], 'x' as unknown as number)).toThrow(TypeError);
    expect(() => ck.setNumThreads(Infinity)).toThrow(RangeError);
  });
});
