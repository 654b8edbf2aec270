/** Keras TerminateOnNaN: stop training as soon as a batch's loss is NaN or infinite. */
import type { Logs } from '../types.js';
import { Callback } from './callback.js';

export class TerminateOnNaN extends Callback {
  override onBatchEnd(batch: number, logs: Logs = {}): void {
    const loss = logs['loss'];
    if (loss !== undefined && !Number.isFinite(loss)) {
      process.stdout.write(`Batch ${batch}: Invalid loss, terminating training\n`);
      this.requireModel().stopTraining = true;
    }
  }
}
