/**
 * model.summary(): Keras's table (layer name and type, output shape, parameter count; totals
 * with trainable and non-trainable) plus receptive field and forward FLOPs per sample.
 */
import type { Layer } from '../layers/layer.js';
import { isShapeList, type Shape, shapeToString } from '../layers/shape.js';
import type { SymbolicTensor } from '../layers/symbolic.js';
import { InputLayer } from './input_layer.js';
import type { Model } from './model.js';
import { formatRF, layerFlops, layerReceptiveField, type RF } from './receptive_field.js';

export interface SummaryOptions {
  /** Where lines go (default console.log); pass `() => {}` to only get the returned string. */
  printFn?: (line: string) => void;
}

export interface SummaryRow {
  layer: Layer;
  outputShape: string;
  params: number;
  receptiveField: string;
  flops: number;
  connectedTo: string;
}

const fmtInt = (n: number): string => n.toLocaleString('en-US');

/** Rows of the summary: one per layer call (functional), per layer (Sequential/subclassed). */
export function summaryRows(model: Model): SummaryRow[] {
  const nodes = model.graphNodes();
  if (!nodes) {
    return model.layers.map((l) => {
      const out = l.lastOutputShape;
      const inp = l.lastInputShape;
      return {
        layer: l,
        outputShape: out ? shapeToString(out) : '(unbuilt)',
        params: l.countParams(),
        receptiveField: '?',
        flops: out && inp && !isShapeList(out) && !isShapeList(inp) ? layerFlops(l, inp, out) : 0,
        connectedTo: '',
      };
    });
  }
  const rfs = new Map<SymbolicTensor, RF>();
  for (const t of model.inputs) rfs.set(t, t.shape.length > 2 ? { r: t.shape.slice(1, -1).map(() => 1), j: t.shape.slice(1, -1).map(() => 1) } : null);
  const rows: SummaryRow[] = [];
  const seq = model.getClassName() === 'Sequential';
  if (!seq) {
    for (const t of model.inputs) {
      rows.push({ layer: t.node.layer, outputShape: shapeToString(t.shape), params: 0, receptiveField: formatRF(rfs.get(t)!), flops: 0, connectedTo: '-' });
    }
  }
  for (const n of nodes) {
    const rf = layerReceptiveField(n.layer, n.inputs.map((t) => rfs.get(t) ?? 'unknown'));
    for (const t of n.outputs) rfs.set(t, rf);
    const inShape: Shape | null = n.inputs.length === 1 ? n.inputs[0]!.shape : null;
    const outShape = n.outputs.length === 1 ? n.outputs[0]!.shape : null;
    const firstUse = n.layer.inboundNodes.find((q) => nodes.includes(q)) === n;
    rows.push({
      layer: n.layer,
      outputShape: n.outputs.length === 1 ? shapeToString(n.outputs[0]!.shape) : shapeToString(n.outputs.map((t) => t.shape)),
      params: firstUse ? n.layer.countParams() : 0,
      receptiveField: formatRF(rf),
      flops: layerFlops(n.layer, inShape, outShape),
      connectedTo: n.inputs.map((t) => `${t.node.layer.name}[${t.node.layer.inboundNodes.indexOf(t.node)}][${t.outputIndex}]`).join(', '),
    });
  }
  return rows;
}

export function formatSummary(model: Model, opts: SummaryOptions = {}): string {
  if (!model.built) {
    throw new Error(`Model '${model.name}' has not been built yet: give the first layer an inputShape, call build(shape), or call the model on data first`);
  }
  const rows = summaryRows(model);
  const functional = model.getClassName() !== 'Sequential' && model.graphNodes() !== null;
  const headers = ['Layer (type)', 'Output Shape', 'Param #', 'Receptive field', 'FLOPs', ...(functional ? ['Connected to'] : [])];
  const cells = rows.map((r) => [
    `${r.layer.name} (${r.layer.getClassName()})`,
    r.outputShape,
    fmtInt(r.params),
    r.receptiveField,
    fmtInt(r.flops),
    ...(functional ? [r.connectedTo] : []),
  ]);
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)) + 2);
  const line = (c: string[]): string => ' ' + c.map((v, i) => v.padEnd(widths[i]!)).join('').trimEnd();
  const total = widths.reduce((a, b) => a + b, 1);
  const out: string[] = [];
  out.push(`Model: "${model.name}"`);
  out.push('_'.repeat(total));
  out.push(line(headers));
  out.push('='.repeat(total));
  cells.forEach((c, i) => {
    out.push(line(c));
    if (i < cells.length - 1) out.push('');
  });
  out.push('='.repeat(total));
  const weights = model.weights;
  const trainable = model.trainableWeights.reduce((n, w) => n + w.size, 0);
  const all = weights.reduce((n, w) => n + w.size, 0);
  out.push(`Total params: ${fmtInt(all)}`);
  out.push(`Trainable params: ${fmtInt(trainable)}`);
  out.push(`Non-trainable params: ${fmtInt(all - trainable)}`);
  out.push(`Forward FLOPs per sample (2 x multiply-adds of conv/dense): ${fmtInt(rows.reduce((n, r) => n + r.flops, 0))}`);
  out.push('_'.repeat(total));
  const text = out.join('\n');
  (opts.printFn ?? console.log)(text);
  return text;
}

export { InputLayer };
