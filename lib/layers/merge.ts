/**
 * Merge layers over a list of inputs: Add, Subtract (exactly two), Multiply, Average, Maximum,
 * Minimum (elementwise, broadcasting as Keras allows) and Concatenate(axis).
 */
import type { Tensor } from '../tensor/index.js';
import { type CallArgs, Layer, type LayerArgs, type LayerConfig, type LayerInput } from './layer.js';
import { registerLayer } from './registry.js';
import { isShapeList, type Shape, shapeToString } from './shape.js';
import * as K from './backend.js';

function asList(inputs: LayerInput): Tensor[] {
  if (!Array.isArray(inputs)) throw new TypeError('a merge layer must be called on a list of tensors');
  return inputs;
}

/** Broadcast of two shapes (numpy rules); null stays null. */
function broadcastShapes(a: Shape, b: Shape): Shape {
  const n = Math.max(a.length, b.length);
  const out: Shape = [];
  for (let i = 0; i < n; i++) {
    const ia = a.length - n + i;
    const ib = b.length - n + i;
    const x = ia >= 0 ? a[ia]! : 1;
    const y = ib >= 0 ? b[ib]! : 1;
    if (x === null || y === null) out.push(x === 1 ? y : y === 1 ? x : (x ?? y));
    else if (x === y || y === 1) out.push(x);
    else if (x === 1) out.push(y);
    else throw new RangeError(`inputs of shapes ${shapeToString(a)} and ${shapeToString(b)} cannot be broadcast together`);
  }
  return out;
}

export abstract class Merge extends Layer {
  protected abstract combine(xs: Tensor[]): Tensor;
  protected minInputs = 2;
  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    if (!isShapeList(inputShape) || inputShape.length < this.minInputs) {
      throw new RangeError(`expects a list of at least ${this.minInputs} inputs`);
    }
    return inputShape.reduce((acc, s) => broadcastShapes(acc, s));
  }
  override call(inputs: LayerInput, _kwargs: CallArgs): Tensor {
    const xs = asList(inputs);
    if (xs.length < this.minInputs) throw new RangeError(`expects at least ${this.minInputs} inputs, got ${xs.length}`);
    return this.combine(xs);
  }
}

export class Add extends Merge {
  static override readonly className: string = 'Add';
  protected combine(xs: Tensor[]): Tensor {
    return xs.slice(1).reduce((a, b) => K.add(a, b), xs[0]!);
  }
}

export class Subtract extends Merge {
  static override readonly className: string = 'Subtract';
  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    if (!isShapeList(inputShape) || inputShape.length !== 2) throw new RangeError('expects exactly 2 inputs');
    return super.computeOutputShape(inputShape);
  }
  protected combine(xs: Tensor[]): Tensor {
    if (xs.length !== 2) throw new RangeError(`expects exactly 2 inputs, got ${xs.length}`);
    return K.sub(xs[0]!, xs[1]!);
  }
}

export class Multiply extends Merge {
  static override readonly className: string = 'Multiply';
  protected combine(xs: Tensor[]): Tensor {
    return xs.slice(1).reduce((a, b) => K.mul(a, b), xs[0]!);
  }
}

export class Average extends Merge {
  static override readonly className: string = 'Average';
  protected combine(xs: Tensor[]): Tensor {
    return K.mulScalar(xs.slice(1).reduce((a, b) => K.add(a, b), xs[0]!), 1 / xs.length);
  }
}

export class Maximum extends Merge {
  static override readonly className: string = 'Maximum';
  protected combine(xs: Tensor[]): Tensor {
    return xs.slice(1).reduce((a, b) => K.maximum(a, b), xs[0]!);
  }
}

export class Minimum extends Merge {
  static override readonly className: string = 'Minimum';
  protected combine(xs: Tensor[]): Tensor {
    return xs.slice(1).reduce((a, b) => K.minimum(a, b), xs[0]!);
  }
}

export class Concatenate extends Layer {
  static override readonly className: string = 'Concatenate';
  readonly axis: number;
  constructor(args: LayerArgs & { axis?: number } = {}) {
    super(args);
    this.axis = args.axis ?? -1;
    if (!Number.isInteger(this.axis)) throw new RangeError(`Concatenate '${this.name}': axis must be an integer, got ${JSON.stringify(args.axis)}`);
  }
  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    if (!isShapeList(inputShape) || inputShape.length < 1) throw new RangeError('expects a list of inputs');
    const rank = inputShape[0]!.length;
    const a = this.axis < 0 ? rank + this.axis : this.axis;
    if (a <= 0 || a >= rank) throw new RangeError(`axis ${this.axis} is out of range for inputs of rank ${rank}`);
    const out = [...inputShape[0]!];
    for (const s of inputShape.slice(1)) {
      if (s.length !== rank || s.some((d, i) => i !== a && i !== 0 && d !== null && out[i] !== null && d !== out[i])) {
        throw new RangeError(`inputs must match except along axis ${this.axis}: got ${shapeToString(inputShape)}`);
      }
      out[a] = out[a] === null || s[a] === null ? null : out[a]! + s[a]!;
    }
    return out;
  }
  override call(inputs: LayerInput, _kwargs: CallArgs): Tensor {
    const xs = asList(inputs);
    const rank = xs[0]!.shape.length;
    return K.concat(xs, this.axis < 0 ? rank + this.axis : this.axis);
  }
  override getConfig(): LayerConfig {
    return { ...super.getConfig(), axis: this.axis };
  }
}

for (const c of [Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate]) registerLayer(c);
