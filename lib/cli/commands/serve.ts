/**
 * `convkit serve MODEL`: loads the model, wraps it in a dynamic-batching predictor and serves it over
 * HTTP (lib/serving/server.ts). SIGTERM/SIGINT: stop accepting, finish in-flight requests, exit 0.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { ParsedArgs } from '../args.js';
import { int, str } from '../args.js';
import type { CliIO } from '../io.js';
import { EXIT_OK } from '../errors.js';
import { modelSampleShape, resolveModel } from '../model_source.js';
import { setNumThreads } from '../../backend.js';
import { createPredictor, DEFAULT_INLINE_MAX_US } from '../../serving/predictor.js';
import { createHttpServer } from '../../serving/index.js';

export async function runServe(args: ParsedArgs, io: CliIO): Promise<number> {
  const port = int(args, 'port', { min: 0, max: 65535 }) ?? 8501;
  const host = str(args, 'host') ?? '127.0.0.1';
  const maxBatchSize = int(args, 'max-batch-size', { min: 1, max: 4096 }) ?? 32;
  const maxDelayMs = int(args, 'max-delay-ms', { min: 0, max: 10000 }) ?? 2;
  const maxQueue = int(args, 'max-queue', { min: 1 }) ?? 1024;
  const concurrency = int(args, 'concurrency', { min: 1, max: 64 }) ?? 1;
  const timeoutMs = int(args, 'timeout-ms', { min: 1 }) ?? 30000;
  const inlineMaxUs = int(args, 'inline-max-us', { min: 0, max: 100000 }) ?? DEFAULT_INLINE_MAX_US;
  const bodyLimit = int(args, 'body-limit', { min: 1024 }) ?? 16 * 1024 * 1024;
  const threads = int(args, 'threads', { min: 1, max: 1024 });
  const labelsSpec = str(args, 'labels');
  if (threads !== undefined) setNumThreads(threads);
  const labels = labelsSpec === undefined ? undefined : existsSync(labelsSpec) ? readFileSync(labelsSpec, 'utf8').split(/\r?\n/).map((s) => s.trim()).filter(Boolean) : labelsSpec.split(',');

  const loaded = await resolveModel(args.positionals[0]!);
  const name = str(args, 'name') ?? loaded.name;
  const inputShape = modelSampleShape(loaded.model);
  const outputs = loaded.model.outputs;
  const predictor = createPredictor(loaded.model, { maxBatchSize, maxDelayMs, maxQueue, timeoutMs, concurrency, inlineMaxUs, ...(inputShape ? { inputShape } : {}) });
  const server = await createHttpServer(predictor, {
    name,
    bodyLimit,
    ...(labels ? { labels } : {}),
    ...(outputs.length > 0 ? { outputShape: outputs[0]!.shape.slice(1) } : {}),
  });
  const address = await server.listen(port, host);
  io.out(`convkit serve: ${name} on ${address} (max batch ${maxBatchSize}, max delay ${maxDelayMs} ms, concurrency ${concurrency}, queue ${maxQueue})\n`);
  io.out(`  POST ${address}/v1/models/${name}:predict   POST ${address}/v2/models/${name}/infer   GET ${address}/metrics\n`);

  await new Promise<void>((resolve) => {
    const stop = (sig: string): void => {
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onInt);
      io.err(`convkit serve: ${sig}: draining in-flight requests…\n`);
      server.close().then(
        () => {
          io.err('convkit serve: stopped\n');
          resolve();
        },
        (e: unknown) => {
          io.err(`convkit serve: error while stopping: ${(e as Error).message}\n`);
          resolve();
        },
      );
    };
    const onTerm = (): void => stop('SIGTERM');
    const onInt = (): void => stop('SIGINT');
    process.on('SIGTERM', onTerm);
    process.on('SIGINT', onInt);
  });
  return EXIT_OK;
}
