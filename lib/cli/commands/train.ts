/**
 * `convkit train`: data → model → compile → fit with progress → checkpoint/history/plot/model files.
 * With no arguments: LeNet-5 on the bundled mnist digits (6 epochs, batch 64), validated on their held-out 2,000.
 */
import { writeFileSync } from 'node:fs';
import type { ParsedArgs } from '../args.js';
import { bool, choice, int, list, num, size, str } from '../args.js';
import type { CliIO } from '../io.js';
import { EXIT_INTERRUPTED, EXIT_OK, UsageError } from '../errors.js';
import { historyToFile } from '../history_file.js';
import { historyToSvg, type HistoryRecord } from '../plot.js';
import { writePlot } from '../plot_file.js';
import { modelSampleShape, resolveModel, ZOO_NAMES, zooKey } from '../model_source.js';
import { fitModel, OPTIMIZERS } from '../fit.js';
import type { ArrayDataset, AugmentOptions } from '../../data/index.js';
import { count, loadDataset, slice, take } from '../../data/index.js';
import { setSeed } from '../../random/index.js';
import { setNumThreads } from '../../backend.js';

export function parseAugment(spec: string | undefined): AugmentOptions | undefined {
  if (spec === undefined) return undefined;
  const out: { flip?: boolean; cropPadding?: number; shift?: number } = {};
  for (const part of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [name, arg] = part.split(':') as [string, string | undefined];
    if (name === 'flip' && arg === undefined) out.flip = true;
    else if (name === 'crop' && (arg === undefined || /^\d+$/.test(arg))) out.cropPadding = arg === undefined ? 4 : Number(arg);
    else if (name === 'shift' && (arg === undefined || (Number(arg) > 0 && Number(arg) < 1))) out.shift = arg === undefined ? 0.1 : Number(arg);
    else throw new UsageError(`--augment expects a list of flip, crop[:PAD] (integer), shift[:FRACTION] (in (0, 1)), got ${JSON.stringify(part)}`);
  }
  return out;
}

function finalLine(h: HistoryRecord): string {
  const last = (k: string): number | undefined => h[k]?.at(-1);
  const parts: string[] = [];
  for (const k of Object.keys(h)) {
    const v = last(k);
    if (v !== undefined && k !== 'lr' && k !== 'learning_rate') parts.push(`${k} ${v.toFixed(4)}`);
  }
  return parts.join(', ');
}

export async function runTrain(args: ParsedArgs, io: CliIO): Promise<number> {
  if (bool(args, 'list-models')) {
    io.out(Object.keys(ZOO_NAMES).join('\n') + '\n');
    return EXIT_OK;
  }
  const modelSpec = args.positionals[0] ?? 'lenet5';
  const epochs = int(args, 'epochs', { min: 1, max: 100000 }) ?? 6;
  const batchSize = int(args, 'batch-size', { min: 1, max: 1 << 20 }) ?? 64;
  const optimizer = choice(args, 'optimizer', OPTIMIZERS) ?? 'adam';
  const lr = num(args, 'lr', { min: 0, exclusiveMin: true });
  const loss = str(args, 'loss') ?? 'sparse_categorical_crossentropy';
  const metrics = list(args, 'metrics') ?? ['accuracy'];
  const validationSplit = num(args, 'validation-split', { min: 0, max: 0.9 });
  const limit = int(args, 'limit', { min: 1 });
  const seed = int(args, 'seed', { min: 0, max: 2 ** 32 - 1 }) ?? 42;
  const threads = int(args, 'threads', { min: 1, max: 1024 });
  const augment = parseAugment(str(args, 'augment'));
  const inputSize = size(args, 'input-size');
  const checkpoint = str(args, 'checkpoint');
  const resume = bool(args, 'resume');
  const out = str(args, 'out');
  const historyPath = str(args, 'history');
  const plotPath = bool(args, 'no-plot') ? undefined : (str(args, 'plot') ?? 'convkit-training.svg');
  const quiet = bool(args, 'quiet');
  if (resume && !checkpoint) throw new UsageError('--resume needs --checkpoint PATH (the file to resume from)');
  if (plotPath && !/\.(svg|png)$/i.test(plotPath)) throw new UsageError(`--plot expects a .svg or .png path, got ${JSON.stringify(plotPath)}`);
  if (historyPath && !/\.(json|csv)$/i.test(historyPath)) throw new UsageError(`--history expects a .json or .csv path, got ${JSON.stringify(historyPath)}`);

  setSeed(seed);
  if (threads !== undefined) setNumThreads(threads);

  // 1. Model first when it is a file (its input size decides how images are loaded), else data first.
  const dataSpec = str(args, 'data') ?? 'mnist';
  const fromFile = resume ? checkpoint! : zooKey(modelSpec) ? undefined : modelSpec;
  let loaded = fromFile ? await resolveModel(fromFile) : undefined;
  const wanted = loaded ? modelSampleShape(loaded.model) : undefined;
  const imageSize = inputSize
    ? { width: inputSize.width, height: inputSize.height, channels: inputSize.channels ?? 3 }
    : wanted && wanted.length === 3 && wanted.every((d) => typeof d === 'number')
      ? { height: wanted[0] as number, width: wanted[1] as number, channels: (wanted[2] === 1 ? 1 : 3) as 1 | 3 }
      : undefined;
  const data = loadDataset(dataSpec, imageSize ? { imageSize } : {});

  // 2. Train / validation parts.
  let train: ArrayDataset = data.train;
  let val: ArrayDataset | undefined = data.test;
  if (validationSplit !== undefined && validationSplit > 0) {
    // Keras's validation_split: the last fraction of the (pre-shuffled) training samples.
    const n = count(train);
    const nVal = Math.round(n * validationSplit);
    val = slice(train, n - nVal, n);
    train = slice(train, 0, n - nVal);
  }
  if (limit !== undefined) {
    train = take(train, Array.from({ length: Math.min(limit, count(train)) }, (_, i) => i));
    if (val) val = take(val, Array.from({ length: Math.min(Math.max(1, Math.floor(limit / 4)), count(val)) }, (_, i) => i));
  }

  loaded ??= await resolveModel(modelSpec, { inputShape: train.sampleShape, classes: train.numClasses });
  const { model } = loaded;
  const log = (s: string): void => {
    if (!quiet) io.err(s);
  };
  log(`convkit train: ${loaded.name} (${model.countParams().toLocaleString('en-US')} parameters) on ${data.name}\n`);
  log(`  ${count(train)} training samples${val ? `, ${count(val)} validation samples` : ''}, ${epochs} epoch${epochs > 1 ? 's' : ''}, batch ${batchSize}, ${optimizer}${lr !== undefined ? ` lr ${lr}` : ''}${augment ? `, augment ${str(args, 'augment')}` : ''}\n`);

  // 3. Fit, with Ctrl-C → stop after the current batch.
  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = (): void => {
    interrupts++;
    if (interrupts > 1) {
      io.err('\nconvkit train: interrupted again, exiting without saving\n');
      process.exit(EXIT_INTERRUPTED);
    }
    io.err('\nconvkit train: stopping after the current batch (Ctrl-C again to quit at once)…\n');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  let result;
  try {
    result = await fitModel(model, {
      train,
      ...(val ? { val } : {}),
      epochs,
      batchSize,
      optimizer,
      ...(lr !== undefined ? { lr } : {}),
      loss,
      metrics,
      seed,
      ...(augment ? { augment } : {}),
      ...(checkpoint ? { checkpoint } : {}),
      resume,
      signal: controller.signal,
      progress: quiet ? undefined : { write: (s: string) => io.err(s), isTTY: io.isTTY },
    });
  } finally {
    process.off('SIGINT', onSigint);
  }
  const history = result.history;

  // 4. Files.
  const written: string[] = [];
  if (result.interrupted) {
    const target = checkpoint ?? 'convkit-interrupted.keras';
    await result.save(target);
    written.push(`checkpoint ${target}`);
  }
  if (out) {
    await result.save(out);
    written.push(`model ${out}`);
  }
  if (historyPath) {
    writeFileSync(historyPath, historyToFile(history, historyPath));
    written.push(`history ${historyPath}`);
  }
  if (plotPath && Object.values(history).some((v) => v.length > 0)) {
    writePlot(plotPath, history, `${loaded.name} on ${dataSpec}`);
    written.push(`plot ${plotPath}`);
  }
  void historyToSvg;
  io.out(`${result.interrupted ? 'interrupted after' : 'trained'} ${result.epochsDone} epoch${result.epochsDone === 1 ? '' : 's'}: ${finalLine(history)}\n`);
  for (const w of written) io.out(`wrote ${w}\n`);
  return result.interrupted ? EXIT_INTERRUPTED : EXIT_OK;
}
