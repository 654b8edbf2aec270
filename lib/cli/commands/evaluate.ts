/** `convkit evaluate MODEL --data …`: loss and metrics through model.evaluate, plus a confusion matrix. */
import type { ParsedArgs } from '../args.js';
import { bool, choice, int, list, size, str } from '../args.js';
import type { CliIO } from '../io.js';
import { EXIT_OK } from '../errors.js';
import { argmaxRows, classStats, confusionMatrix, formatConfusion } from '../confusion.js';
import { xTensor, yTensor } from '../dataset_tensors.js';
import { modelOutputUnits, modelSampleShape, resolveModel } from '../model_source.js';
import { count, loadDataset, take } from '../../data/index.js';
import { setNumThreads } from '../../backend.js';
import { Tensor } from '../../tensor/index.js';
import '../../training/model_training.js';

export async function runEvaluate(args: ParsedArgs, io: CliIO): Promise<number> {
  const batchSize = int(args, 'batch-size', { min: 1 }) ?? 128;
  const loss = str(args, 'loss') ?? 'sparse_categorical_crossentropy';
  const metrics = list(args, 'metrics') ?? ['accuracy'];
  const limit = int(args, 'limit', { min: 1 });
  const part = choice(args, 'split', ['test', 'train'] as const) ?? 'test';
  const threads = int(args, 'threads', { min: 1, max: 1024 });
  const inputSize = size(args, 'input-size');
  if (threads !== undefined) setNumThreads(threads);

  const spec = args.positionals[0]!;
  // Zoo names are built for the data (fresh weights: useful to check a pipeline, not a score).
  const dataSpec = str(args, 'data') ?? 'mnist';
  let loaded = await resolveModel(spec);
  const want = modelSampleShape(loaded.model);
  const imageSize = inputSize
    ? { width: inputSize.width, height: inputSize.height, channels: inputSize.channels ?? 3 }
    : want?.length === 3 && want.every((d) => typeof d === 'number')
      ? { height: want[0] as number, width: want[1] as number, channels: (want[2] === 1 ? 1 : 3) as 1 | 3 }
      : undefined;
  const data = loadDataset(dataSpec, imageSize ? { imageSize } : {});
  let ds = part === 'test' ? (data.test ?? data.train) : data.train;
  if (limit !== undefined && limit < count(ds)) ds = take(ds, Array.from({ length: limit }, (_, i) => i));
  if (loaded.kind === 'zoo') loaded = await resolveModel(spec, { inputShape: ds.sampleShape, classes: ds.numClasses });
  const { model } = loaded;
  const units = modelOutputUnits(model);
  if (units !== undefined && units !== ds.numClasses && units > 1) {
    throw new Error(`the model outputs ${units} classes but ${dataSpec} has ${ds.numClasses}`);
  }

  model.compile({ optimizer: 'sgd', loss, metrics });
  const x = xTensor(ds);
  const y = yTensor(ds, loss);
  let logs: Record<string, number>;
  let pred: Tensor | Tensor[] | undefined;
  try {
    logs = (await model.evaluate(x, y, { batchSize, verbose: 0, returnDict: true })) as Record<string, number>;
    pred = await model.predict(x, { batchSize });
  } finally {
    x.dispose();
    y.dispose();
  }
  const p = Array.isArray(pred) ? pred[0]! : pred!;
  const classes = p.shape.at(-1)!;
  const confusion = classes > 1 ? confusionMatrix(ds.y, argmaxRows(p.dataSync() as Float32Array, classes), classes) : undefined;
  if (Array.isArray(pred)) pred.forEach((t) => t.dispose());
  else pred?.dispose();

  const where = `${data.name}, ${part === 'test' && data.test ? 'test' : 'train'} part, ${count(ds)} samples`;
  if (bool(args, 'json')) {
    io.out(JSON.stringify({ model: spec, data: where, samples: count(ds), ...logs, ...(confusion ? { confusion: Array.from({ length: classes }, (_, i) => [...confusion.counts.subarray(i * classes, (i + 1) * classes)]), classStats: classStats(confusion) } : {}) }) + '\n');
    return EXIT_OK;
  }
  io.out(`${loaded.name} on ${where}\n`);
  for (const [k, v] of Object.entries(logs)) io.out(`  ${k.padEnd(12)} ${v.toFixed(4)}\n`);
  if (confusion && !bool(args, 'no-confusion')) io.out('\nconfusion matrix (rows: true class, columns: predicted)\n' + formatConfusion(confusion, ds.classNames));
  return EXIT_OK;
}
