/**
 * Gradient functions by op name. A gradient function gets dL/d(output) for each output of the op
 * (null when no gradient reached that output), the op's inputs, outputs and attrs, and which
 * inputs need a gradient; it returns dL/d(input) per input (null where not needed or undefined).
 *
 * Every op name the engine can record is in exactly one of three states (test/autodiff/
 * op_coverage.test.ts enumerates the runOp call sites and checks this):
 *   - a registered gradient function;
 *   - non-differentiable: outputs piecewise constant in the inputs (masks, comparisons, argMax),
 *     so the gradient is zero almost everywhere and the tape propagates nothing;
 *   - no gradient, with the reason (e.g. a backward kernel whose own derivative is not
 *     implemented): the tape throws that reason instead of silently returning zeros.
 */
import type { Tensor } from '../tensor/index.js';
import type { OpAttrs } from '../engine/index.js';

export interface GradientContext {
  readonly inputs: readonly Tensor[];
  readonly outputs: readonly Tensor[];
  readonly attrs: OpAttrs;
  /** needsGrad[i]: whether input i leads to a source (skip work otherwise). */
  readonly needsGrad: readonly boolean[];
  /**
   * The recorded op that produced tensor t on this tape (undefined for sources, constants and
   * tensors from outside it), so a gradient can fuse with its producer's (max pooling of a ReLU).
   */
  readonly producer?: (t: Tensor) => { readonly name: string; readonly attrs: OpAttrs } | undefined;
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

/** Ops that are differentiable in principle but have no gradient here, with the reason. */
const noGradient = new Map<string, string>();
export function registerNoGradient(opName: string, reason: string): void {
  noGradient.set(opName, reason);
}

/** What the tape does with an op: its gradient function, 'zero', or {none: reason}. */
export function getGradient(opName: string): GradientFn | 'zero' | { readonly none: string } | undefined {
  if (nonDifferentiable.has(opName)) return 'zero';
  const why = noGradient.get(opName);
  if (why !== undefined) return { none: why };
  return gradients.get(opName);
}

export function registeredGradients(): string[] {
  return [...gradients.keys()].sort();
}

export type GradientStatus = 'gradient' | 'nonDifferentiable' | 'noGradient' | 'missing';

/** How the tape treats op `opName` (for coverage tests and diagnostics). */
export function gradientStatus(opName: string): GradientStatus {
  if (nonDifferentiable.has(opName)) return 'nonDifferentiable';
  if (noGradient.has(opName)) return 'noGradient';
  return gradients.has(opName) ? 'gradient' : 'missing';
}
