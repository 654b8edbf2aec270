/**
 * The CLI's training driver over lib/training's compile/fit: builds the optimizer, feeds in-memory
 * tensors (or, with augmentation, a dataset that augments every epoch's batches afresh), wires the
 * best-by-val_loss checkpoint and Ctrl-C (an AbortSignal fit honours after the current batch).
 */
import type { ArrayDataset, AugmentOptions } from '../data/index.js';
import { augmentBatch, count, permutation, sampleSize, seededUniform } from '../data/index.js';
import type { Model } from '../models/index.js';
import { Tensor, tensor } from '../tensor/index.js';
import '../training/model_training.js';
import { ModelCheckpoint } from '../training/callbacks/index.js';
import { optimizers } from '../training/optimizers.js';
import type { Writable } from '../training/callbacks/progbar.js';
import { oneHot } from '../data/index.js';
import { wantsOneHot, xTensor, yTensor } from './dataset_tensors.js';
import { saveModelFile } from './model_file.js';
import type { HistoryRecord } from './plot.js';

export const OPTIMIZERS = ['sgd', 'adam', 'adamw', 'rmsprop', 'adagrad', 'adadelta', 'nadam'] as const;
export type OptimizerName = (typeof OPTIMIZERS)[number];

export interface FitOptions {
  train: ArrayDataset;
  val?: ArrayDataset;
  epochs: number;
  batchSize: number;
  optimizer: OptimizerName;
  lr?: number;
  loss: string;
  metrics: string[];
  seed: number;
  augment?: AugmentOptions;
  checkpoint?: string;
  resume?: boolean;
  signal?: AbortSignal;
  /** Where the progress bar goes; undefined = silent. */
  progress?: Writable;
}

export interface FitResult {
  history: HistoryRecord;
  epochsDone: number;
  interrupted: boolean;
  save(path: string): Promise<void>;
}

function makeOptimizer(name: OptimizerName, lr: number | undefined) {
  const a = lr !== undefined ? { learningRate: lr } : {};
  return optimizers[name](a);
}

/** Batches of one epoch with fresh augmentation; re-iterable, so fit pulls a new pass every epoch. */
function augmentedBatches(ds: ArrayDataset, batchSize: number, loss: string, aug: AugmentOptions, seed: number): AsyncIterable<readonly [Tensor, Tensor]> {
  const rand = seededUniform(seed);
  const per = sampleSize(ds);
  const [h, w, c] = ds.sampleShape as [number, number, number];
  const n = count(ds);
  return {
    async *[Symbol.asyncIterator]() {
      const order = permutation(n, rand);
      for (let b = 0; b < n; b += batchSize) {
        const m = Math.min(batchSize, n - b);
        const x = new Float32Array(m * per);
        const ids = new Int32Array(m);
        for (let i = 0; i < m; i++) {
          const j = order[b + i]!;
          x.set(ds.x.subarray(j * per, (j + 1) * per), i * per);
          ids[i] = ds.y[j]!;
        }
        const xa = augmentBatch({ data: x, shape: [m, h, w, c] }, aug, rand);
        const y = wantsOneHot(loss) ? tensor(oneHot(ids, ds.numClasses), [m, ds.numClasses]) : tensor(Float32Array.from(ids), [m]);
        yield [tensor(xa, [m, h, w, c]), y] as const;
      }
    },
  };
}

export async function fitModel(model: Model, o: FitOptions): Promise<FitResult> {
  // --resume: keep the optimizer the checkpoint restored (step count and moments, lib/io) when it is the one
  // asked for and no new learning rate was given, so training continues exactly where it stopped.
  const prev = model.optimizer;
  const keep = o.resume === true && prev !== null && prev.className.toLowerCase() === o.optimizer.toLowerCase() && o.lr === undefined;
  model.compile({ optimizer: keep ? prev : makeOptimizer(o.optimizer, o.lr), loss: o.loss, metrics: o.metrics });
  const callbacks = [];
  if (o.checkpoint && o.val) {
    callbacks.push(new ModelCheckpoint({ filepath: o.checkpoint, monitor: 'val_loss', saveBestOnly: true, saver: { save: (m, p) => saveModelFile(m as Model, p) } }));
  }
  const xv = o.val ? xTensor(o.val) : undefined;
  const yv = o.val ? yTensor(o.val, o.loss) : undefined;
  const common = {
    epochs: o.epochs,
    batchSize: o.batchSize,
    verbose: o.progress ? (1 as const) : (0 as const),
    ...(o.progress ? { progressStream: o.progress } : {}),
    ...(xv && yv ? { validationData: [xv, yv] as const } : {}),
    callbacks,
    ...(o.signal ? { signal: o.signal } : {}),
    shuffle: true,
  };
  let fitted;
  try {
    if (o.augment) {
      const steps = Math.ceil(count(o.train) / o.batchSize);
      fitted = await model.fit(augmentedBatches(o.train, o.batchSize, o.loss, o.augment, o.seed), { ...common, stepsPerEpoch: steps });
    } else {
      const x = xTensor(o.train);
      const y = yTensor(o.train, o.loss);
      try {
        fitted = await model.fit(x, y, common);
      } finally {
        x.dispose();
        y.dispose();
      }
    }
  } finally {
    xv?.dispose();
    yv?.dispose();
  }
  const history = fitted.history;
  const epochsDone = Math.max(0, ...Object.values(history).map((v) => v.length));
  return {
    history,
    epochsDone,
    interrupted: o.signal?.aborted === true,
    save: (path) => saveModelFile(model, path),
  };
}
