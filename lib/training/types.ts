/**
 * What the training loop and the callbacks need from a model. The layers team's Model provides it
 * (compile/fit are installed on it by lib/training/model_training.ts); keeping it an interface lets
 * callbacks be tested on a stand-in.
 */
import type { Tensor } from '../tensor/index.js';
import type { Optimizer } from './optimizers.js';

/** Numbers by Keras key: loss, sparse_categorical_accuracy, val_loss, learning_rate, ... */
export type Logs = Record<string, number>;

export interface TrainingModel {
  /** Set by a callback (or AbortSignal) to end fit after the current batch/epoch. */
  stopTraining: boolean;
  readonly optimizer: Optimizer | null;
  /** Copies of all weights (trainable and not), in a stable order. */
  getWeights(): Tensor[];
  setWeights(weights: Tensor[]): void;
  /** Whole-model save (lib/io), when available. */
  save?(path: string): unknown;
  /** Weights-only save (lib/io), when available. */
  saveWeights?(path: string): unknown;
}

/** fit()'s parameters as callbacks see them (Keras callback.params). */
export interface TrainingParams {
  epochs: number;
  /** Batches per epoch, or null when unknown (an iterator without stepsPerEpoch). */
  steps: number | null;
  verbose: Verbosity;
  batchSize?: number;
  samples?: number;
  initialEpoch?: number;
}

/** 0 silent, 1 progress bar (one line per epoch off a TTY), 2 one line per epoch, 'json' JSON lines. */
export type Verbosity = 0 | 1 | 2 | 'json';
