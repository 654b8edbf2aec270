// convkit's seedable random number generator, shared by the creation functions (randomNormal, ...)
// and the layers' initializers, so `setSeed(n)` makes a whole model build reproducible.
//
// Generator: xoshiro128** (Blackman & Vigna, "Scrambled linear pseudorandom number generators",
// 2018): 128-bit state, period 2^128 - 1, passes BigCrush; 32-bit integer arithmetic only, which
// JavaScript does exactly with Math.imul and >>> 0. The state is seeded from the 32-bit seed by
// SplitMix32 so that nearby seeds give unrelated streams and the state is never all zero.

function splitmix32(state: { s: number }): number {
  state.s = (state.s + 0x9e3779b9) >>> 0;
  let z = state.s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

export class Rng {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private spare: number | undefined;

  constructor(seed: number) {
    this.seed(seed);
  }

  /** Re-seeds the generator (any finite number; non-integers and big values are hashed in). */
  seed(seed: number): void {
    if (!Number.isFinite(seed)) throw new RangeError(`seed must be a finite number, got ${seed}`);
    const hi = Math.floor(seed / 4294967296) >>> 0;
    const st = { s: (seed >>> 0) ^ Math.imul(hi, 0x27d4eb2d) ^ Math.round((seed % 1) * 1e9) };
    this.s0 = splitmix32(st);
    this.s1 = splitmix32(st);
    this.s2 = splitmix32(st);
    this.s3 = splitmix32(st);
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
    this.spare = undefined;
  }

  /**
   * Copies the generator state (four uint32 words) into `into` (an Int32Array(4) holds their
   * bits), so native code can continue the same stream (native/ops/movement.h); `loadState`
   * takes it back. The cached normal of normal() is unaffected.
   */
  saveState(into: Int32Array): void {
    into[0] = this.s0 | 0;
    into[1] = this.s1 | 0;
    into[2] = this.s2 | 0;
    into[3] = this.s3 | 0;
  }

  loadState(from: Int32Array): void {
    this.s0 = from[0]! >>> 0;
    this.s1 = from[1]! >>> 0;
    this.s2 = from[2]! >>> 0;
    this.s3 = from[3]! >>> 0;
  }

  /** Next 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 = (this.s2 ^ this.s0) >>> 0;
    this.s3 = (this.s3 ^ this.s1) >>> 0;
    this.s1 = (this.s1 ^ this.s2) >>> 0;
    this.s0 = (this.s0 ^ this.s3) >>> 0;
    this.s2 = (this.s2 ^ t) >>> 0;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform double in [0, 1) with 53 random bits. */
  random(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform in [lo, hi). */
  uniform(lo = 0, hi = 1): number {
    return lo + (hi - lo) * this.random();
  }

  /** Integer uniform in [0, n) without modulo bias (rejection sampling). */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0 || n > 4294967296) throw new RangeError(`n must be an integer in [1, 2^32], got ${n}`);
    const limit = 4294967296 - (4294967296 % n);
    for (;;) {
      const x = this.nextUint32();
      if (x < limit) return x % n;
    }
  }

  /** Standard normal by the Box-Muller transform (pairs; the second value is kept for the next call). */
  normal(mean = 0, stddev = 1): number {
    if (this.spare !== undefined) {
      const z = this.spare;
      this.spare = undefined;
      return mean + stddev * z;
    }
    let u = 0;
    while (u === 0) u = this.random(); // log(0) is -inf
    const v = this.random();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return mean + stddev * r * Math.cos(2 * Math.PI * v);
  }

  /** Normal truncated to [mean - 2 stddev, mean + 2 stddev] by resampling, as TF/Keras do. */
  truncatedNormal(mean = 0, stddev = 1): number {
    for (;;) {
      const z = this.normal();
      if (Math.abs(z) <= 2) return mean + stddev * z;
    }
  }

  /** In-place Fisher-Yates shuffle. */
  shuffle<T>(a: T[] | Int32Array | Float32Array): void {
    for (let i = a.length - 1; i > 0; --i) {
      const j = this.int(i + 1);
      const t = a[i]!;
      a[i] = a[j]!;
      a[j] = t;
    }
  }
}

function randomSeed(): number {
  const a = new Uint32Array(1);
  globalThis.crypto.getRandomValues(a);
  return a[0]!;
}

let global = new Rng(randomSeed());

/** The process-wide (per thread) generator used when no seed is given. */
export function globalRng(): Rng {
  return global;
}

/** Seeds the global generator: everything random afterwards (creation, initializers) is reproducible. */
export function setSeed(seed: number): void {
  global = new Rng(seed);
}

/** A generator for an explicit seed, or the global one when seed is undefined. */
export function rngFor(seed?: number): Rng {
  return seed === undefined ? global : new Rng(seed);
}
