/**
 * Training curves as a self-contained SVG: one panel per quantity (accuracy, loss), side by side,
 * each with the training curve and, when present, the validation curve, axes with "nice" ticks
 * (Heckbert, "Nice numbers for graph labels", Graphics Gems 1990) and a legend. Plain SVG 1.1 with
 * inline styles only, so it opens in any browser or viewer without fonts or scripts.
 */

/** Keras-style history: metric name → one value per epoch (`loss`, `val_loss`, `accuracy`, …). */
export type HistoryRecord = Readonly<Record<string, readonly number[]>>;

export interface PlotOptions {
  title?: string;
  /** Panel size in px (default 420 × 300). */
  panelWidth?: number;
  panelHeight?: number;
}

export interface PlotPanel {
  readonly name: string;
  readonly series: { readonly label: string; readonly values: readonly number[]; readonly color: string; readonly dashed: boolean }[];
}

const TRAIN_COLOR = '#1f77b4';
const VAL_COLOR = '#d62728';
const ACCURACY_KEYS = ['accuracy', 'acc', 'categorical_accuracy', 'sparse_categorical_accuracy', 'binary_accuracy'];

/** Which panels to draw: an accuracy-like metric first (if any), then the loss, then other metrics. */
export function choosePanels(history: HistoryRecord): PlotPanel[] {
  const bases = Object.keys(history).filter((k) => !k.startsWith('val_') && history[k]!.length > 0);
  const acc = bases.filter((k) => ACCURACY_KEYS.includes(k));
  const ordered = [...acc, ...(bases.includes('loss') ? ['loss'] : []), ...bases.filter((k) => !acc.includes(k) && k !== 'loss' && k !== 'lr')];
  return ordered.map((name) => {
    const series: PlotPanel['series'] = [{ label: 'training', values: history[name]!, color: TRAIN_COLOR, dashed: false }];
    const val = history[`val_${name}`];
    if (val && val.length > 0) series.push({ label: 'validation', values: val, color: VAL_COLOR, dashed: true });
    return { name, series };
  });
}

/** Heckbert's nice number: the closest (or next larger) of 1, 2, 5 × 10^k. */
function nice(x: number, round: boolean): number {
  const e = Math.floor(Math.log10(x));
  const f = x / 10 ** e;
  const nf = round ? (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) : f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
  return nf * 10 ** e;
}

export function niceTicks(lo: number, hi: number, count = 5): { lo: number; hi: number; step: number; ticks: number[] } {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return { lo: 0, hi: 1, step: 0.25, ticks: [0, 0.25, 0.5, 0.75, 1] };
  if (hi - lo < 1e-12) {
    const pad = Math.abs(lo) > 1e-12 ? Math.abs(lo) * 0.05 : 0.5;
    lo -= pad;
    hi += pad;
  }
  const step = nice(nice(hi - lo, false) / (count - 1), true);
  const l = Math.floor(lo / step) * step;
  const h = Math.ceil(hi / step) * step;
  const ticks: number[] = [];
  for (let v = l; v <= h + step / 2; v += step) ticks.push(Number(v.toPrecision(12)));
  return { lo: l, hi: h, step, ticks };
}

function fmt(v: number, step: number): string {
  const digits = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  return v.toFixed(Math.min(digits, 6));
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Geometry shared by the SVG and PNG renderers. */
export interface PanelLayout {
  x0: number; y0: number; w: number; h: number;
  xTicks: number[]; yTicks: { lo: number; hi: number; step: number; ticks: number[] };
  epochs: number;
  px: (epoch: number) => number;
  py: (v: number) => number;
}

export function layoutPanel(panel: PlotPanel, left: number, top: number, width: number, height: number): PanelLayout {
  const values = panel.series.flatMap((s) => s.values.filter((v) => Number.isFinite(v)));
  const yTicks = niceTicks(Math.min(...values), Math.max(...values));
  const epochs = Math.max(...panel.series.map((s) => s.values.length));
  const x0 = left + 56;
  const y0 = top + 34;
  const w = width - 56 - 16;
  const h = height - 34 - 44;
  const xStep = epochs <= 10 ? 1 : nice(epochs / 8, true);
  const xTicks: number[] = [];
  for (let e = 1; e <= epochs; e += xStep) xTicks.push(e);
  const px = (e: number): number => x0 + (epochs <= 1 ? w / 2 : ((e - 1) / (epochs - 1)) * w);
  const py = (v: number): number => y0 + h - ((v - yTicks.lo) / (yTicks.hi - yTicks.lo)) * h;
  return { x0, y0, w, h, xTicks, yTicks, epochs, px, py };
}

export function historyToSvg(history: HistoryRecord, opts: PlotOptions = {}): string {
  const panels = choosePanels(history);
  if (panels.length === 0) throw new RangeError('plot: the history has no metric with values (expected e.g. "loss": [..])');
  const pw = opts.panelWidth ?? 420;
  const ph = opts.panelHeight ?? 300;
  const titleH = opts.title ? 28 : 0;
  const W = pw * panels.length;
  const H = ph + titleH;
  const out: string[] = [];
  out.push('<?xml version="1.0" encoding="UTF-8"?>');
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif" font-size="12">`);
  out.push(`<rect x="0" y="0" width="${W}" height="${H}" fill="#ffffff"/>`);
  if (opts.title) out.push(`<text x="${W / 2}" y="19" text-anchor="middle" font-size="15" font-weight="bold">${esc(opts.title)}</text>`);
  panels.forEach((panel, i) => {
    const L = layoutPanel(panel, i * pw, titleH, pw, ph);
    out.push(`<g class="panel" id="panel-${esc(panel.name)}">`);
    out.push(`<text x="${L.x0 + L.w / 2}" y="${titleH + 20}" text-anchor="middle" font-size="14">${esc(panel.name)}</text>`);
    for (const t of L.yTicks.ticks) {
      const y = L.py(t).toFixed(1);
      out.push(`<line x1="${L.x0}" y1="${y}" x2="${L.x0 + L.w}" y2="${y}" stroke="#e6e6e6"/>`);
      out.push(`<text x="${L.x0 - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${fmt(t, L.yTicks.step)}</text>`);
    }
    for (const e of L.xTicks) {
      const x = L.px(e).toFixed(1);
      out.push(`<line x1="${x}" y1="${L.y0 + L.h}" x2="${x}" y2="${L.y0 + L.h + 4}" stroke="#333"/>`);
      out.push(`<text x="${x}" y="${L.y0 + L.h + 16}" text-anchor="middle">${e}</text>`);
    }
    out.push(`<rect x="${L.x0}" y="${L.y0}" width="${L.w}" height="${L.h}" fill="none" stroke="#333"/>`);
    out.push(`<text x="${L.x0 + L.w / 2}" y="${L.y0 + L.h + 34}" text-anchor="middle">epoch</text>`);
    for (const s of panel.series) {
      const pts = s.values
        .map((v, k) => (Number.isFinite(v) ? `${L.px(k + 1).toFixed(1)},${L.py(v).toFixed(1)}` : ''))
        .filter((p) => p.length > 0)
        .join(' ');
      const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
      out.push(`<polyline class="series" data-series="${esc(s.label)}" points="${pts}" fill="none" stroke="${s.color}" stroke-width="2"${dash}/>`);
      for (const p of pts.split(' ')) {
        if (!p) continue;
        const [cx, cy] = p.split(',');
        out.push(`<circle cx="${cx}" cy="${cy}" r="2.5" fill="${s.color}"/>`);
      }
    }
    // Legend in the corner the curves leave free: bottom-right when they end high (accuracy), else top-right.
    const last = panel.series[0]!.values.filter((v) => Number.isFinite(v)).at(-1) ?? L.yTicks.lo;
    const endsHigh = L.py(last) < L.y0 + L.h / 2;
    const legendTop = endsHigh ? L.y0 + L.h - 8 - panel.series.length * 16 : L.y0 + 4;
    out.push(`<rect x="${L.x0 + L.w - 106}" y="${legendTop}" width="100" height="${panel.series.length * 16 + 4}" fill="#ffffff" fill-opacity="0.85" stroke="#cccccc"/>`);
    panel.series.forEach((s, k) => {
      const ly = legendTop + 10 + k * 16;
      const lx = L.x0 + L.w - 100;
      const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
      out.push(`<line x1="${lx}" y1="${ly}" x2="${lx + 22}" y2="${ly}" stroke="${s.color}" stroke-width="2"${dash}/>`);
      out.push(`<text x="${lx + 28}" y="${ly}" dominant-baseline="middle">${esc(s.label)}</text>`);
    });
    out.push('</g>');
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
