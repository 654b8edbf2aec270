/**
 * The training plot as a PNG, rasterised in JavaScript (pngjs for the encoding) from the same layout
 * as the SVG: grid, axes, tick labels in a 5×7 bitmap font, the curves as 2-px polylines (dashed for
 * validation) with point markers, and a legend.
 */
import { PNG } from 'pngjs';
import { GLYPH_H, GLYPH_W, glyph } from './font5x7.js';
import { choosePanels, layoutPanel, type HistoryRecord, type PlotOptions } from './plot.js';

type RGB = readonly [number, number, number];

function hex(c: string): RGB {
  const v = parseInt(c.slice(1), 16);
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
}

class Canvas {
  readonly png: PNG;
  constructor(readonly width: number, readonly height: number) {
    this.png = new PNG({ width, height });
    this.png.data.fill(255);
  }
  set(x: number, y: number, c: RGB): void {
    x = Math.round(x);
    y = Math.round(y);
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const i = 4 * (y * this.width + x);
    this.png.data[i] = c[0];
    this.png.data[i + 1] = c[1];
    this.png.data[i + 2] = c[2];
    this.png.data[i + 3] = 255;
  }
  /** A line of the given width, stepping along the longer axis (DDA); `dash` = [on, off] in px. */
  line(x0: number, y0: number, x1: number, y1: number, c: RGB, width = 1, dash?: [number, number], phase = 0): number {
    const len = Math.hypot(x1 - x0, y1 - y0);
    const steps = Math.max(1, Math.ceil(len * 2));
    const r = (width - 1) / 2;
    for (let s = 0; s <= steps; s++) {
      const t = s / steps;
      const d = phase + t * len;
      if (dash && d % (dash[0] + dash[1]) >= dash[0]) continue;
      const x = x0 + t * (x1 - x0);
      const y = y0 + t * (y1 - y0);
      for (let dy = -Math.ceil(r); dy <= Math.ceil(r); dy++) for (let dx = -Math.ceil(r); dx <= Math.ceil(r); dx++) if (dx * dx + dy * dy <= r * r + 0.5) this.set(x + dx, y + dy, c);
    }
    return phase + len;
  }
  rect(x: number, y: number, w: number, h: number, c: RGB): void {
    this.line(x, y, x + w, y, c);
    this.line(x + w, y, x + w, y + h, c);
    this.line(x + w, y + h, x, y + h, c);
    this.line(x, y + h, x, y, c);
  }
  fillRect(x: number, y: number, w: number, h: number, c: RGB): void {
    for (let j = 0; j < h; j++) for (let i = 0; i < w; i++) this.set(x + i, y + j, c);
  }
  disc(cx: number, cy: number, r: number, c: RGB): void {
    for (let dy = -r; dy <= r; dy++) for (let dx = -r; dx <= r; dx++) if (dx * dx + dy * dy <= r * r) this.set(cx + dx, cy + dy, c);
  }
  /** Text at (x, y) = left, vertical centre; `anchor` aligns it; scale 1 = 5×7 px glyphs + 1 px spacing. */
  text(s: string, x: number, y: number, c: RGB, anchor: 'start' | 'middle' | 'end' = 'start', scale = 1): void {
    const w = s.length * (GLYPH_W + 1) * scale - scale;
    let left = anchor === 'start' ? x : anchor === 'middle' ? x - w / 2 : x - w;
    left = Math.round(left);
    const top = Math.round(y - (GLYPH_H * scale) / 2);
    for (const ch of s) {
      const g = glyph(ch);
      for (let r = 0; r < GLYPH_H; r++) for (let k = 0; k < GLYPH_W; k++) if (g[r]![k]) this.fillRect(left + k * scale, top + r * scale, scale, scale, c);
      left += (GLYPH_W + 1) * scale;
    }
  }
}

export function historyToPng(history: HistoryRecord, opts: PlotOptions = {}): Buffer {
  const panels = choosePanels(history);
  if (panels.length === 0) throw new RangeError('plot: the history has no metric with values (expected e.g. "loss": [..])');
  const pw = opts.panelWidth ?? 420;
  const ph = opts.panelHeight ?? 300;
  const titleH = opts.title ? 28 : 0;
  const cv = new Canvas(pw * panels.length, ph + titleH);
  const ink: RGB = [51, 51, 51];
  const grid: RGB = [230, 230, 230];
  if (opts.title) cv.text(opts.title, cv.width / 2, 14, [0, 0, 0], 'middle', 2);
  panels.forEach((panel, i) => {
    const L = layoutPanel(panel, i * pw, titleH, pw, ph);
    cv.text(panel.name, L.x0 + L.w / 2, titleH + 16, [0, 0, 0], 'middle', 2);
    const digits = Math.max(0, -Math.floor(Math.log10(L.yTicks.step) + 1e-9));
    for (const t of L.yTicks.ticks) {
      const y = L.py(t);
      cv.line(L.x0, y, L.x0 + L.w, y, grid);
      cv.text(t.toFixed(Math.min(digits, 6)), L.x0 - 6, y, ink, 'end');
    }
    for (const e of L.xTicks) {
      const x = L.px(e);
      cv.line(x, L.y0 + L.h, x, L.y0 + L.h + 4, ink);
      cv.text(String(e), x, L.y0 + L.h + 12, ink, 'middle');
    }
    cv.rect(L.x0, L.y0, L.w, L.h, ink);
    cv.text('epoch', L.x0 + L.w / 2, L.y0 + L.h + 30, ink, 'middle');
    for (const s of panel.series) {
      const c = hex(s.color);
      const pts = s.values.map((v, k) => [L.px(k + 1), L.py(v)] as const).filter(([, y]) => Number.isFinite(y));
      let phase = 0;
      for (let k = 1; k < pts.length; k++) phase = cv.line(pts[k - 1]![0], pts[k - 1]![1], pts[k]![0], pts[k]![1], c, 2, s.dashed ? [6, 4] : undefined, phase);
      for (const [x, y] of pts) cv.disc(x, y, 2, c);
    }
    const last = panel.series[0]!.values.filter((v) => Number.isFinite(v)).at(-1) ?? L.yTicks.lo;
    const endsHigh = L.py(last) < L.y0 + L.h / 2;
    const top = endsHigh ? L.y0 + L.h - 8 - panel.series.length * 16 : L.y0 + 4;
    cv.fillRect(L.x0 + L.w - 106, top, 100, panel.series.length * 16 + 4, [255, 255, 255]);
    cv.rect(L.x0 + L.w - 106, top, 100, panel.series.length * 16 + 4, [204, 204, 204]);
    panel.series.forEach((s, k) => {
      const ly = top + 10 + k * 16;
      const lx = L.x0 + L.w - 100;
      cv.line(lx, ly, lx + 22, ly, hex(s.color), 2, s.dashed ? [6, 4] : undefined);
      cv.text(s.label, lx + 28, ly, ink);
    });
  });
  return PNG.sync.write(cv.png);
}
