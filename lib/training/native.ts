// The optimizer and loss families of the raw binding (native/binding/optim_binding.cc,
// loss_binding.cc), added to NativeBinding by module augmentation.
import type { CancelCell } from '../native/binding.js';

export type OptimizerKind = 'sgd' | 'adam' | 'adamw' | 'rmsprop' | 'adagrad' | 'adadelta' | 'nadam';

/** The plain options object one fused optimizer step takes (Keras 3 hyper-parameters). */
export interface NativeOptimizerConfig {
  kind: OptimizerKind;
  learningRate: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  momentum?: number;
  rho?: number;
  weightDecay?: number;
  nesterov?: boolean;
  amsgrad?: boolean;
  centered?: boolean;
  clipNorm?: number;
  globalClipNorm?: number;
  clipValue?: number;
}

/** A reusable copy of recorded jobs (native/binding/recording_binding.cc, step capture). */
export type RecordingSnapshot = { readonly __recordingSnapshot: unique symbol };

declare module '../native/binding.js' {
  interface NativeBinding {
    recordSnapshot(begin: number, end: number): RecordingSnapshot;
    recordReplay(snapshot: RecordingSnapshot): void;
    recordProfile(snapshot: RecordingSnapshot, on: boolean): void;
    recordProfileReport(snapshot: RecordingSnapshot): { names: string[]; ms: Float64Array; runs: number };
    optimizerStep(
      config: NativeOptimizerConfig,
      params: Float32Array[],
      grads: Float32Array[],
      states: Float32Array[],
      iterations: number,
      uProduct: Float64Array | undefined,
    ): void;
    optimizerStepAsync(
      config: NativeOptimizerConfig,
      params: Float32Array[],
      grads: Float32Array[],
      states: Float32Array[],
      iterations: number,
      uProduct: Float64Array | undefined,
      cancel?: CancelCell,
    ): Promise<void>;
    optimizerStateCount(config: NativeOptimizerConfig): number;
    softmaxCrossEntropy(
      logits: Float32Array,
      labels: Int32Array | null,
      targets: Float32Array | null,
      n: number,
      c: number,
      labelSmoothing: number,
      loss: Float32Array,
      grad: Float32Array | null,
      rowScale: Float32Array | null,
    ): void;
    probabilityCrossEntropy(
      probs: Float32Array,
      labels: Int32Array | null,
      targets: Float32Array | null,
      n: number,
      c: number,
      labelSmoothing: number,
      epsilon: number,
      loss: Float32Array,
      grad: Float32Array | null,
      rowScale: Float32Array | null,
    ): void;
  }
}
