/** Reverse-mode autodiff: grad, grads, valueAndGrad(s), variableGrads, keep; gradient registry; tidy. */
export { grad, grads, valueAndGrad, valueAndGrads, valueAndGradsOf, variableGrads, keep, recordForward, type TapedForward, type DifferentiableVariable } from './tape.js';
export {
  registerGradient, registerNonDifferentiable, registerNoGradient, registeredGradients, gradientStatus,
  type GradientFn, type GradientContext, type GradientStatus,
} from './registry.js';
export { tidy, isTaping } from './scope.js';
