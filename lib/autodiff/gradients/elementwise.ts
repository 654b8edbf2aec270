/**
 * Gradients of elementwise ops. Binary ops broadcast, so each operand's gradient is summed back
 * to its shape (reduceToShape).
 */
import type { Tensor } from '../../tensor/index.js';
import * as K from '../../layers/backend.js';
import { registerGradient, registerNonDifferentiable } from '../registry.js';
import { reduceToShape } from './util.js';
import { activationGrad } from '../native_grad.js';

const A = 0;
const B = 1;

registerGradient('add', ([dy], { inputs, needsGrad }) => [
  needsGrad[A] ? reduceToShape(dy!, inputs[A]!.shape) : null,
  needsGrad[B] ? reduceToShape(dy!, inputs[B]!.shape) : null,
]);

registerGradient('sub', ([dy], { inputs, needsGrad }) => [
  needsGrad[A] ? reduceToShape(dy!, inputs[A]!.shape) : null,
  needsGrad[B] ? reduceToShape(K.neg(dy!), inputs[B]!.shape) : null,
]);

// d(ab) = b·da + a·db
registerGradient('mul', ([dy], { inputs: [a, b], needsGrad }) => [
  needsGrad[A] ? reduceToShape(K.mul(dy!, b!), a!.shape) : null,
  needsGrad[B] ? reduceToShape(K.mul(dy!, a!), b!.shape) : null,
]);

// d(a/b) = da/b − a·db/b²
registerGradient('div', ([dy], { inputs: [a, b], needsGrad }) => [
  needsGrad[A] ? reduceToShape(K.div(dy!, b!), a!.shape) : null,
  needsGrad[B] ? reduceToShape(K.neg(K.div(K.mul(dy!, a!), K.square(b!))), b!.shape) : null,
]);

// max(a, b): the gradient goes to a where a ≥ b (ties to a, as the forward picks a), else to b.
registerGradient('maximum', ([dy], { inputs: [a, b], needsGrad }) => {
  const maskB = K.greaterMask(b!, a!);
  const maskA = K.addScalar(K.neg(maskB), 1);
  return [
    needsGrad[A] ? reduceToShape(K.mul(dy!, maskA), a!.shape) : null,
    needsGrad[B] ? reduceToShape(K.mul(dy!, maskB), b!.shape) : null,
  ];
});

registerGradient('minimum', ([dy], { inputs: [a, b], needsGrad }) => {
  const maskB = K.greaterMask(a!, b!);
  const maskA = K.addScalar(K.neg(maskB), 1);
  return [
    needsGrad[A] ? reduceToShape(K.mul(dy!, maskA), a!.shape) : null,
    needsGrad[B] ? reduceToShape(K.mul(dy!, maskB), b!.shape) : null,
  ];
});

// Piecewise constant in their inputs: zero gradient almost everywhere.
registerNonDifferentiable('greaterMask', 'equalMask', 'stepMask', 'sign', 'argMax', 'argMin');
// The tape's own constants (backward seeds, zero gradients): no inputs, nothing to differentiate.
registerNonDifferentiable('constantFill');

// cast (as TF's Cast gradient): float32 → float32 is a copy, so dy passes through; a cast to or
// from int32 carries no gradient (truncation is piecewise constant; int32 inputs are not
// differentiable).
registerGradient('cast', ([dy], { inputs: [x], outputs: [y], needsGrad }) => [
  needsGrad[0] && x!.dtype === 'float32' && y!.dtype === 'float32' ? dy! : null,
]);

// (a − b)²: d/da = 2(a − b), d/db = −2(a − b)
registerGradient('squaredDifference', ([dy], { inputs: [a, b], needsGrad }) => {
  const d = K.mulScalar(K.mul(dy!, K.sub(a!, b!)), 2);
  return [needsGrad[A] ? reduceToShape(d, a!.shape) : null, needsGrad[B] ? reduceToShape(K.neg(d), b!.shape) : null];
});

const unary = (name: string, f: (dy: Tensor, x: Tensor, y: Tensor, attrs: Readonly<Record<string, unknown>>) => Tensor): void =>
  registerGradient(name, ([dy], { inputs, outputs, attrs }) => [f(dy!, inputs[0]!, outputs[0]!, attrs)]);

// d(x^p) = p·x^(p−1)
unary('addScalar', (dy) => dy);
unary('mulScalar', (dy, _x, _y, at) => K.mulScalar(dy, at['s'] as number));
unary('powScalar', (dy, x, _y, at) => K.mul(dy, K.mulScalar(K.powScalar(x, (at['p'] as number) - 1), at['p'] as number)));
// min(x, s): passes where x ≤ s (the forward keeps x there), i.e. where step(x − s) = 0.
unary('minScalar', (dy, x, _y, at) => K.mul(dy, K.addScalar(K.neg(K.stepMask(K.addScalar(x, -(at['s'] as number)))), 1)));
// max(x, s): passes where x ≥ s, i.e. where step(s − x) = 0.
unary('maxScalar', (dy, x, _y, at) => K.mul(dy, K.addScalar(K.neg(K.stepMask(K.addScalar(K.neg(x), at['s'] as number))), 1)));
// clip: passes strictly inside and on the bounds' inner side (lo ≤ x ≤ hi).
unary('clip', (dy, x, _y, at) => activationGrad('clip', x, dy, at['lo'] as number, at['hi'] as number));
unary('neg', (dy) => K.neg(dy));
unary('abs', (dy, x) => K.mul(dy, K.sign(x)));
unary('square', (dy, x) => K.mul(dy, K.mulScalar(x, 2)));
// d√x = 1/(2√x) = 0.5/y
unary('sqrt', (dy, _x, y) => K.div(K.mulScalar(dy, 0.5), y));
// d(x^−½) = −½·x^−3/2 = −½·y³
unary('rsqrt', (dy, _x, y) => K.mul(dy, K.mulScalar(K.mul(K.square(y), y), -0.5)));
// d(1/x) = −1/x² = −y²
unary('reciprocal', (dy, _x, y) => K.neg(K.mul(dy, K.square(y))));
unary('exp', (dy, _x, y) => K.mul(dy, y));
unary('log', (dy, x) => K.div(dy, x));
unary('relu', (dy, x) => activationGrad('relu', x, dy));
unary('relu6', (dy, x) => activationGrad('relu6', x, dy));
unary('leakyRelu', (dy, x, _y, at) => activationGrad('leakyRelu', x, dy, at['alpha'] as number));
unary('elu', (dy, x, _y, at) => activationGrad('elu', x, dy, at['alpha'] as number));
unary('softplus', (dy, x) => activationGrad('softplus', x, dy));
unary('swish', (dy, x) => activationGrad('swish', x, dy));
// σ' = σ(1 − σ)
unary('sigmoid', (dy, _x, y) => activationGrad('sigmoid', y, dy));
// tanh' = 1 − tanh²
unary('tanh', (dy, _x, y) => activationGrad('tanh', y, dy));
