/**
 * Gradient functions by op name. A gradient function gets dL/d(output) for each output of the op
 * (null when no gradient reached that output), the op's inputs, outputs and attrs, and which
 * inputs need a gradient; it returns dL/d(input) per input (null where not needed or undefined).
 */
import type { Tensor } from '../tensor/index.js';
import type { OpAttrs } from '../engine/index.js';

export interface GradientContext {
  readonly inputs: readonly Tensor[];
  readonly outputs: readonly Tensor[];
  readonly attrs: OpAttrs;
  /** needsGrad[i]: whether input i leads to a source (skip work otherwise). */
  readonly needsGrad: readonly boolean[];
}

export type GradientFn = (dys: readonly (Tensor | null)[], ctx: GradientContext) => (Tensor | null)[];

const gradients = new Map<string, GradientFn>();

export function registerGradient(opName: string, fn: GradientFn): void {
  gradients.set(opName, fn);
}

/** Ops whose outputs are piecewise constant in their inputs (masks, comparisons): zero gradient. */
const nonDifferentiable = new Set<string>();
export function registerNonDifferentiable(...opNames: string[]): void {
  for (const n of opNames) nonDifferentiable.add(n);
}

export function getGradient(opName: string): GradientFn | 'zero' | undefined {
  if (nonDifferentiable.has(opName)) return 'zero';
  return gradients.get(opName);
}

export function registeredGradients(): string[] {
  return [...gradients.keys()].sort();
}
