/** Options shared by every zoo model. */
import type { ActivationIdentifier } from '../activations/index.js';

export interface ZooOptions {
  /** Input shape of one sample, channels-last (height, width, channels). */
  inputShape?: number[];
  /** Number of classes of the classifier head. */
  classes?: number;
  /** Activation of the last layer (default 'softmax'; 'linear' for logits). */
  classifierActivation?: ActivationIdentifier;
  name?: string;
}

export function checkZooOptions(model: string, o: ZooOptions, defShape: number[], defClasses: number): Required<Pick<ZooOptions, 'inputShape' | 'classes' | 'classifierActivation'>> {
  const inputShape = o.inputShape ?? defShape;
  if (!Array.isArray(inputShape) || inputShape.length !== 3 || inputShape.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new RangeError(`${model}: inputShape must be [height, width, channels] of positive integers, got ${JSON.stringify(o.inputShape)}`);
  }
  const classes = o.classes ?? defClasses;
  if (!Number.isInteger(classes) || classes < 1) throw new RangeError(`${model}: classes must be a positive integer, got ${JSON.stringify(o.classes)}`);
  return { inputShape, classes, classifierActivation: o.classifierActivation ?? 'softmax' };
}
