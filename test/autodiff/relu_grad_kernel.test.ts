// ReLU's backward kernel (native/ops/grad_activation.cc, SSE2 lanes plus a scalar tail) against a
// plain reference, dx = dy · [x > 0] in IEEE float arithmetic, element by element and bit for bit:
// odd lengths and tails, lengths across the pool's chunking, in-place (dx = dy), zeros of both signs,
// NaN and infinities in either input, on every ISA.
import { afterAll, describe, expect, it } from 'vitest';
import { native } from '../../lib/native/index.js';
import '../../lib/autodiff/native_grad.js';

const ISAS = native().backendInfo().availableIsas;
afterAll(() => native().setIsa(null));

function reference(x: Float32Array, dy: Float32Array): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = Math.fround(dy[i]! * (x[i]! > 0 ? 1 : 0));
  return out;
}

function values(n: number, seed: number): Float32Array {
  const specials = [0, -0, NaN, Infinity, -Infinity, 1e-40, -1e-40, 3.5, -2.25];
  const a = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    a[i] = i % 7 === 3 ? specials[(s >> 8) % specials.length]! : (s / 2147483648) * 2 - 1;
  }
  return a;
}

function sameBits(a: Float32Array, b: Float32Array): boolean {
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length), y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  // NaN payloads may differ between the multiply of two implementations; compare NaN as NaN.
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) return false;
  return true;
}

describe('activationGrad relu kernel', () => {
  for (const isa of ISAS) {
    it(`matches dy · [x > 0] bit for bit (${isa})`, () => {
      native().setIsa(isa);
      for (const n of [1, 3, 4, 5, 7, 17, 64, 16384 + 3, 70001]) {
        const x = values(n, 11 + n), dy = values(n, 5 + 2 * n);
        const dx = new Float32Array(n).fill(7);
        native().activationGrad('relu', x, dy, dx, 0, 0);
        expect(sameBits(dx, reference(x, dy))).toBe(true);
        // In place over dy.
        const dy2 = dy.slice();
        native().activationGrad('relu', x, dy2, dy2, 0, 0);
        expect(sameBits(dy2, reference(x, dy))).toBe(true);
      }
    });
  }
});
