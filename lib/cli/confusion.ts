/** Confusion matrix of a classifier: rows = true class, columns = predicted class (argmax of the output row). */
import { formatTable } from './table.js';

export interface Confusion {
  readonly classes: number;
  /** counts[t * classes + p] */
  readonly counts: Int32Array;
}

export function argmaxRows(pred: Float32Array, classes: number): Int32Array {
  const n = pred.length / classes;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 1; j < classes; j++) if (pred[i * classes + j]! > pred[i * classes + best]!) best = j;
    out[i] = best;
  }
  return out;
}

export function confusionMatrix(labels: Int32Array, predicted: Int32Array, classes: number): Confusion {
  const counts = new Int32Array(classes * classes);
  for (let i = 0; i < labels.length; i++) counts[labels[i]! * classes + predicted[i]!]!++;
  return { classes, counts };
}

export interface ClassStats {
  readonly precision: number;
  readonly recall: number;
  readonly support: number;
}

export function classStats(c: Confusion): ClassStats[] {
  const k = c.classes;
  return Array.from({ length: k }, (_, i) => {
    let row = 0;
    let col = 0;
    for (let j = 0; j < k; j++) {
      row += c.counts[i * k + j]!;
      col += c.counts[j * k + i]!;
    }
    const tp = c.counts[i * k + i]!;
    return { precision: col > 0 ? tp / col : 0, recall: row > 0 ? tp / row : 0, support: row };
  });
}

/** The matrix as a table with true classes as rows, plus recall and precision columns. */
export function formatConfusion(c: Confusion, names?: readonly string[]): string {
  const k = c.classes;
  const label = (i: number): string => (names?.[i] ?? String(i)).slice(0, 12);
  const stats = classStats(c);
  const header = ['true \\ pred', ...Array.from({ length: k }, (_, j) => label(j)), 'recall', 'precision'];
  const rows = Array.from({ length: k }, (_, i) => [
    label(i),
    ...Array.from({ length: k }, (_, j) => c.counts[i * k + j]!),
    stats[i]!.recall.toFixed(3),
    stats[i]!.precision.toFixed(3),
  ]);
  return formatTable(header, rows);
}
