/**
 * Writing a training history: JSON (`{"epoch": [1, 2, …], "loss": [...], …}`) or CSV with one row per
 * epoch (the format of Keras's CSVLogger: header `epoch,<metric>,…`), chosen by the file extension.
 */
import type { HistoryRecord } from './plot.js';

export function historyToJson(history: HistoryRecord): string {
  const epochs = Math.max(0, ...Object.values(history).map((v) => v.length));
  return JSON.stringify({ epoch: Array.from({ length: epochs }, (_, i) => i + 1), ...history }, null, 2) + '\n';
}

export function historyToCsv(history: HistoryRecord): string {
  const keys = Object.keys(history);
  const epochs = Math.max(0, ...Object.values(history).map((v) => v.length));
  const rows = [['epoch', ...keys].join(',')];
  for (let e = 0; e < epochs; e++) rows.push([String(e + 1), ...keys.map((k) => (history[k]![e] === undefined ? '' : String(history[k]![e])))].join(','));
  return rows.join('\n') + '\n';
}

export function historyToFile(history: HistoryRecord, path: string): string {
  return path.toLowerCase().endsWith('.csv') ? historyToCsv(history) : historyToJson(history);
}
