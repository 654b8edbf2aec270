/**
 * `convkit summary MODEL`: the model's layer table (output shape, parameters, receptive field, forward
 * FLOPs per sample) plus the convolution algorithm each conv layer actually runs: the model is called
 * once on zeros of the requested batch size, and each conv layer reports the algorithm it chose then.
 */
import type { ParsedArgs } from '../args.js';
import { bool, int } from '../args.js';
import type { CliIO } from '../io.js';
import { EXIT_OK } from '../errors.js';
import { formatTable } from '../table.js';
import { modelSampleShape, resolveModel } from '../model_source.js';
import { summaryRows } from '../../models/index.js';
import { zeros } from '../../tensor/index.js';

const fmtInt = (n: number): string => n.toLocaleString('en-US');

export async function runSummary(args: ParsedArgs, io: CliIO): Promise<number> {
  const batch = int(args, 'batch-size', { min: 1, max: 4096 }) ?? 1;
  const { model, name } = await resolveModel(args.positionals[0]!);
  const shape = modelSampleShape(model);
  let ranForward = false;
  if (shape && shape.every((d) => typeof d === 'number')) {
    const x = zeros([batch, ...(shape as number[])]);
    try {
      const y = model.predictSync(x);
      (Array.isArray(y) ? y : [y]).forEach((t) => t.dispose());
      ranForward = true;
    } finally {
      x.dispose();
    }
  }
  const rows = summaryRows(model).map((r) => {
    const alg = (r.layer as unknown as { lastAlgorithm?: string | null }).lastAlgorithm;
    return {
      layer: r.layer.name,
      type: r.layer.getClassName(),
      outputShape: r.outputShape,
      params: r.params,
      receptiveField: r.receptiveField,
      flops: r.flops,
      convAlgorithm: typeof alg === 'string' ? alg : null,
    };
  });
  const trainable = model.trainableWeights.reduce((n, w) => n + w.size, 0);
  const total = model.weights.reduce((n, w) => n + w.size, 0);
  const flops = rows.reduce((n, r) => n + r.flops, 0);
  if (bool(args, 'json')) {
    io.out(JSON.stringify({ model: name, batchSize: batch, layers: rows, totalParams: total, trainableParams: trainable, flopsPerSample: flops }, null, 2) + '\n');
    return EXIT_OK;
  }
  io.out(`Model: ${name} (${model.getClassName()})${shape ? `, input [${shape.map((d) => d ?? '?').join(', ')}]` : ''}\n\n`);
  io.out(
    formatTable(
      ['Layer (type)', 'Output shape', 'Params', 'Receptive field', 'FLOPs/sample', 'Conv algorithm'],
      rows.map((r) => [`${r.layer} (${r.type})`, r.outputShape, fmtInt(r.params), r.receptiveField, fmtInt(r.flops), r.convAlgorithm ?? (/conv/i.test(r.type) ? '?' : '')]),
    ),
  );
  io.out(`\nTotal params: ${fmtInt(total)} (trainable ${fmtInt(trainable)}, non-trainable ${fmtInt(total - trainable)})\n`);
  io.out(`Forward FLOPs per sample: ${fmtInt(flops)} (2 × multiply-adds of conv/dense)\n`);
  if (ranForward) io.out(`Conv algorithms as chosen for batch size ${batch} on this CPU (convkit info: ISA, threads).\n`);
  return EXIT_OK;
}
