/** Writes the training plot as SVG, or as PNG through the pure-JS rasteriser. */
import { writeFileSync } from 'node:fs';
import { historyToSvg, type HistoryRecord } from './plot.js';
import { historyToPng } from './plot_png.js';

export function writePlot(path: string, history: HistoryRecord, title: string): void {
  if (path.toLowerCase().endsWith('.png')) writeFileSync(path, historyToPng(history, { title }));
  else writeFileSync(path, historyToSvg(history, { title }));
}
