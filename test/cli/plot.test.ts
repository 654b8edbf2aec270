import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { choosePanels, historyToSvg, niceTicks } from '../../lib/cli/plot.js';

const history = {
  loss: [0.9, 0.3, 0.18],
  accuracy: [0.72, 0.91, 0.945],
  val_loss: [0.4, 0.22, 0.16],
  val_accuracy: [0.88, 0.935, 0.955],
};

interface Node { [k: string]: unknown }

describe('training plot (SVG)', () => {
  it('is well-formed XML with an accuracy and a loss panel, each with a training and a validation polyline', () => {
    const svg = historyToSvg(history, { title: 'a <b> & c' });
    expect(XMLValidator.validate(svg)).toBe(true);
    const doc = new XMLParser({ ignoreAttributes: false, isArray: (name) => ['g', 'polyline'].includes(name) }).parse(svg) as { svg: Node };
    const groups = doc.svg['g'] as Node[];
    expect(groups.map((g) => g['@_id'])).toEqual(['panel-accuracy', 'panel-loss']);
    for (const g of groups) {
      const lines = g['polyline'] as Node[];
      expect(lines.map((l) => l['@_data-series'])).toEqual(['training', 'validation']);
      for (const l of lines) expect(String(l['@_points']).split(' ')).toHaveLength(3);
    }
    // the panels sit side by side: the loss panel's points are all right of the accuracy panel's
    const xs = (g: Node): number[] => String((g['polyline'] as Node[])[0]!['@_points']).split(' ').map((p) => Number(p.split(',')[0]));
    expect(Math.min(...xs(groups[1]!))).toBeGreaterThan(Math.max(...xs(groups[0]!)));
  });

  it('maps lower loss to a lower point on screen (higher y)', () => {
    const svg = historyToSvg({ loss: [2, 1] });
    const pts = /points="([^"]+)"/.exec(svg)![1]!.split(' ').map((p) => p.split(',').map(Number));
    expect(pts[1]![1]).toBeGreaterThan(pts[0]![1]!);
  });

  it('draws only the training curve when there is no validation, and rejects an empty history', () => {
    expect(choosePanels({ loss: [1] })[0]!.series).toHaveLength(1);
    expect(() => historyToSvg({})).toThrow(RangeError);
  });

  it('chooses nice ticks that cover the range', () => {
    const t = niceTicks(0.72, 0.955);
    expect(t.lo).toBeLessThanOrEqual(0.72);
    expect(t.hi).toBeGreaterThanOrEqual(0.955);
    expect(t.ticks.length).toBeGreaterThanOrEqual(3);
  });
});
