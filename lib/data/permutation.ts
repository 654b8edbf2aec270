/**
 * Fixed-seed permutations for dataset splits. Each split draws from its own `Rng` stream, not the
 * process-wide one behind `setSeed`: a train/test split must be the same for every run, every seed and
 * every user, otherwise "validation accuracy" numbers are not comparable.
 */
import { Rng } from '../random/index.js';

/** U[0,1) draws from convkit's seeded generator (lib/random: xoshiro128**), one private stream per call. */
export function seededUniform(seed: number): () => number {
  const rng = new Rng(seed);
  return () => rng.random();
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
  const rand = seededUniform(seed);
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
