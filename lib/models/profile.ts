/**
 * model.profile(x): runs x through the model one layer call at a time (inference mode) and
 * reports wall time per layer, the convolution algorithm each conv used, output sizes and the
 * native memory in use.
 */
import type { Tensor } from '../tensor/index.js';
import { memory } from '../backend.js';
import type { Layer } from '../layers/layer.js';
import type { SymbolicTensor } from '../layers/symbolic.js';
import { tidy } from '../autodiff/scope.js';
import type { Model } from './model.js';

export interface LayerProfile {
  name: string;
  className: string;
  timeMs: number;
  /** Convolution algorithm the layer ran with ('direct', 'im2col', 'winograd-f2', 'winograd-f4', 'winograd-s2', 'fft'), or null. */
  algorithm: string | null;
  outputShape: number[][];
  outputBytes: number;
  paramBytes: number;
}

export interface ProfileReport {
  layers: LayerProfile[];
  totalMs: number;
  /** Largest native memory in use after any layer, in bytes. */
  peakLiveBytes: number;
  /** Native bytes in use before the run. */
  baselineBytes: number;
  table: string;
}

export interface ProfileOptions {
  printFn?: (line: string) => void;
  /** Run the model once before timing (default true), so one-time work does not skew layer 1. */
  warmup?: boolean;
}

function algorithmOf(layer: Layer): string | null {
  const a = (layer as unknown as { lastAlgorithm?: unknown }).lastAlgorithm;
  return typeof a === 'string' ? a : null;
}

export function profileModel(model: Model, x: Tensor | Tensor[], opts: ProfileOptions = {}): ProfileReport {
  if (opts.warmup ?? true) tidy(() => model.predictSync(x));
  const nodes = model.graphNodes();
  const baseline = memory().numBytes;
  let peak = baseline;
  const layers: LayerProfile[] = [];
  const t0 = performance.now();
  if (nodes) {
    const values = new Map<SymbolicTensor, Tensor>();
    const xs = Array.isArray(x) ? x : [x];
    model.inputs.forEach((t, i) => values.set(t, xs[i]!));
    const created: Tensor[] = [];
    for (const n of nodes) {
      const ins = n.inputs.map((t) => values.get(t)!);
      const s = performance.now();
      const out = tidy(() => n.layer.apply(n.inputIsList ? ins : ins[0]!, { ...n.callKwargs, training: false }));
      const ms = performance.now() - s;
      const outs = Array.isArray(out) ? out : [out];
      n.outputs.forEach((t, i) => values.set(t, outs[i]!));
      for (const o of outs) if (!xs.includes(o)) created.push(o);
      peak = Math.max(peak, memory().numBytes);
      layers.push({
        name: n.layer.name,
        className: n.layer.getClassName(),
        timeMs: ms,
        algorithm: algorithmOf(n.layer),
        outputShape: outs.map((o) => [...o.shape]),
        outputBytes: outs.reduce((b, o) => b + o.size * 4, 0),
        paramBytes: n.layer.countParams() * 4,
      });
    }
    for (const t of new Set(created)) t.dispose();
  } else {
    // Subclassed: time the whole call, then attribute nothing per layer but the algorithms.
    const s = performance.now();
    const out = tidy(() => model.predictSync(x));
    const ms = performance.now() - s;
    peak = Math.max(peak, memory().numBytes);
    (Array.isArray(out) ? out : [out]).forEach((o) => o.dispose());
    layers.push({ name: model.name, className: model.getClassName(), timeMs: ms, algorithm: null, outputShape: [], outputBytes: 0, paramBytes: model.countParams() * 4 });
    for (const l of model.layers) {
      layers.push({ name: l.name, className: l.getClassName(), timeMs: NaN, algorithm: algorithmOf(l), outputShape: [], outputBytes: 0, paramBytes: l.countParams() * 4 });
    }
  }
  const totalMs = performance.now() - t0;
  const header = ['Layer (type)', 'Time (ms)', 'Algorithm', 'Output', 'Output KB', 'Params KB'];
  const rows = layers.map((l) => [
    `${l.name} (${l.className})`,
    Number.isNaN(l.timeMs) ? '-' : l.timeMs.toFixed(3),
    l.algorithm ?? '-',
    l.outputShape.map((s) => `[${s.join(',')}]`).join(' '),
    (l.outputBytes / 1024).toFixed(1),
    (l.paramBytes / 1024).toFixed(1),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)) + 2);
  const fmt = (r: string[]): string => r.map((c, i) => c.padEnd(widths[i]!)).join('').trimEnd();
  const table = [
    `Profile of "${model.name}" (inference, batch ${(Array.isArray(x) ? x[0]! : x).shape[0]})`,
    fmt(header),
    ...rows.map(fmt),
    `Total ${totalMs.toFixed(3)} ms; native memory: ${(baseline / 1048576).toFixed(2)} MB before, peak ${(peak / 1048576).toFixed(2)} MB during`,
  ].join('\n');
  opts.printFn?.(table);
  return { layers, totalMs, peakLiveBytes: peak, baselineBytes: baseline, table };
}
