import { describe, expect, it } from 'vitest';
import { samplesFromRaw } from '../../lib/serving/decode.js';
import { BadInputError } from '../../lib/serving/errors.js';

/** Little-endian float32 bytes of `values`, placed at byte `offset` of a larger buffer. */
function rawAt(values: number[], offset: number): Buffer {
  const whole = Buffer.alloc(offset + 4 * values.length + 3);
  values.forEach((v, i) => whole.writeFloatLE(v, offset + 4 * i));
  return whole.subarray(offset, offset + 4 * values.length);
}

describe('raw float32 request bodies', () => {
  it('decodes aligned bodies in place and unaligned ones by copy, with the same values', () => {
    const values = [0.5, -1, 3.25, 1e-3, 7, -2];
    for (const offset of [0, 1, 2, 3, 4, 8]) {
      const body = rawAt(values, offset);
      const s = samplesFromRaw(body, [3]);
      expect(s.n).toBe(2);
      expect(s.sampleShape).toEqual([3]);
      expect(Array.from(s.data)).toEqual(values.map((v) => Math.fround(v)));
      // A view shares the body's memory (no copy) exactly when the offset allows one.
      expect(s.data.buffer === body.buffer).toBe(offset % 4 === 0);
    }
  });

  it('rejects sizes that are not whole samples and non-finite values', () => {
    expect(() => samplesFromRaw(rawAt([1, 2], 0), [3])).toThrow(BadInputError);
    expect(() => samplesFromRaw(Buffer.alloc(0), [3])).toThrow(/multiple of 12 bytes/);
    expect(() => samplesFromRaw(rawAt([1, Number.POSITIVE_INFINITY, 3], 4), [3])).toThrow(/value 1 is not finite/);
    expect(() => samplesFromRaw(rawAt([1, 2, Number.NaN], 1), [3])).toThrow(/value 2 is not finite/);
    expect(() => samplesFromRaw(rawAt([1, 2, 3], 0), [null])).toThrow(/fully known input shape/);
  });
});
