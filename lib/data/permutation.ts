/**
 * Fixed-seed permutations for dataset splits. Deliberately independent of the process-wide generator
 * (lib/random `setSeed`): a train/test split must be the same for every run, every seed and every user,
 * otherwise "validation accuracy" numbers are not comparable.
 */

/** mulberry32: a 32-bit state generator (Tommy Ettinger's constants), full period 2^32, U[0,1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher–Yates shuffle in place (Knuth, TAOCP vol. 2, Algorithm P), driven by `rand` in [0,1). */
export function shuffleInPlace<T extends { [i: number]: number; length: number }>(a: T, rand: () => number): T {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  }
  return a;
}

/** 0..n-1 in a seeded random order. */
export function permutation(n: number, rand: () => number): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  return shuffleInPlace(p, rand);
}

/**
 * Stratified split: within each class, a `testFraction` share (rounded) goes to the test part, so both
 * parts keep the class proportions. Both parts are then shuffled, so any contiguous slice of either
 * (e.g. Keras's validationSplit, which takes the tail) mixes all classes.
 */
export function stratifiedSplit(
  labels: Int32Array,
  numClasses: number,
  testFraction: number,
  seed: number,
): { train: Int32Array; test: Int32Array } {
  const rand = mulberry32(seed);
  const byClass: number[][] = Array.from({ length: numClasses }, () => []);
  for (let i = 0; i < labels.length; i++) byClass[labels[i]!]!.push(i);
  const train: number[] = [];
  const test: number[] = [];
  for (const idx of byClass) {
    shuffleInPlace(idx, rand);
    const nTest = Math.round(idx.length * testFraction);
    test.push(...idx.slice(0, nTest));
    train.push(...idx.slice(nTest));
  }
  return {
    train: shuffleInPlace(Int32Array.from(train), rand),
    test: shuffleInPlace(Int32Array.from(test), rand),
  };
}
