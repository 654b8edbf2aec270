/**
 * A layer weight: a name (`conv2d/kernel`), a shape, a trainable flag and a value. The value is
 * created lazily from the initializer on first read, so that building a model (summary, parameter
 * counts of a 138M-parameter VGG16) allocates nothing.
 */
import type { Tensor } from '../tensor/index.js';
import type { Initializer } from '../initializers/index.js';
import type { Regularizer } from '../regularizers/index.js';
import * as K from './backend.js';

export class LayerVariable {
  private tensor: Tensor | null = null;
  constructor(
    readonly name: string,
    readonly shape: readonly number[],
    readonly initializer: Initializer,
    private ownTrainable: boolean,
    readonly regularizer: Regularizer | null = null,
    /** Whether the owning layer is trainable (Keras: a frozen layer's weights are non-trainable). */
    private readonly layerTrainable: () => boolean = () => true,
  ) {}

  get trainable(): boolean {
    return this.ownTrainable && this.layerTrainable();
  }
  set trainable(v: boolean) {
    this.ownTrainable = v;
  }

  get size(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }

  /** Whether the value has been materialised. */
  get initialized(): boolean {
    return this.tensor !== null;
  }

  /** The current value (created from the initializer on first use). */
  read(): Tensor {
    if (this.tensor === null) this.tensor = K.fromValues(this.initializer.generate(this.shape), [...this.shape]);
    return this.tensor;
  }

  get value(): Tensor {
    return this.read();
  }

  /**
   * Replaces the value. The new tensor is copied (so callers keep ownership of theirs) and the old
   * value is disposed. Shapes must match.
   */
  assign(t: Tensor): void {
    if (t.shape.length !== this.shape.length || t.shape.some((d, i) => d !== this.shape[i])) {
      throw new RangeError(`assign to '${this.name}': expected shape [${this.shape.join(', ')}], got [${t.shape.join(', ')}]`);
    }
    const old = this.tensor;
    this.tensor = K.copy(t);
    old?.dispose();
  }

  /** Takes ownership of `t` without copying (optimizers use this for in-place style updates). */
  assignOwned(t: Tensor): void {
    if (t.shape.length !== this.shape.length || t.shape.some((d, i) => d !== this.shape[i])) {
      throw new RangeError(`assign to '${this.name}': expected shape [${this.shape.join(', ')}], got [${t.shape.join(', ')}]`);
    }
    const old = this.tensor;
    this.tensor = t;
    if (old !== t) old?.dispose();
  }

  dispose(): void {
    this.tensor?.dispose();
    this.tensor = null;
  }
}
