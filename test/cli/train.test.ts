import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { convkit, tempDir } from './helpers.js';

interface Node { [k: string]: unknown }

function panelsOf(svg: string): { id: string; series: string[] }[] {
  expect(XMLValidator.validate(svg)).toBe(true);
  const doc = new XMLParser({ ignoreAttributes: false, isArray: (n) => ['g', 'polyline'].includes(n) }).parse(svg) as { svg: Node };
  return (doc.svg['g'] as Node[]).map((g) => ({ id: String(g['@_id']), series: (g['polyline'] as Node[]).map((p) => String(p['@_data-series'])) }));
}

describe('convkit train', () => {
  it('trains LeNet-5 on a slice of the bundled digits and writes history (JSON, CSV) and plots (SVG, PNG)', async () => {
    const dir = tempDir();
    const r = await convkit(['train', '--limit', '96', '--epochs', '2', '--batch-size', '32', '--history', 'h.json', '--plot', 'curves.svg', '--seed', '7'], { cwd: dir });
    expect(r.stderr).toMatch(/lenet5 \(61,706 parameters\) on mnist digits/);
    expect(r.stderr).toMatch(/Epoch 1\/2[\s\S]*Epoch 2\/2/);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^trained 2 epochs: loss \d\.\d{4}, accuracy \d\.\d{4}, val_loss \d\.\d{4}, val_accuracy \d\.\d{4}$/m);
    expect(r.stdout).toContain('wrote history h.json');
    const h = JSON.parse(readFileSync(join(dir, 'h.json'), 'utf8')) as Record<string, number[]>;
    expect(h['epoch']).toEqual([1, 2]);
    for (const k of ['loss', 'accuracy', 'val_loss', 'val_accuracy']) {
      expect(h[k]).toHaveLength(2);
      for (const v of h[k]!) expect(Number.isFinite(v)).toBe(true);
    }
    expect(panelsOf(readFileSync(join(dir, 'curves.svg'), 'utf8'))).toEqual([
      { id: 'panel-accuracy', series: ['training', 'validation'] },
      { id: 'panel-loss', series: ['training', 'validation'] },
    ]);

    const r2 = await convkit(['train', '--limit', '64', '--epochs', '1', '--history', 'h.csv', '--plot', 'curves.png', '--quiet'], { cwd: dir });
    expect(r2.code, r2.stderr).toBe(0);
    expect(r2.stderr).toBe('');
    const csv = readFileSync(join(dir, 'h.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe('epoch,loss,accuracy,val_loss,val_accuracy');
    expect(csv).toHaveLength(2);
    const png = PNG.sync.read(readFileSync(join(dir, 'curves.png')));
    expect(png.width).toBe(840);
    // both curve colours are present in the image
    const has = (r: number, g: number, b: number): boolean => {
      for (let i = 0; i < png.data.length; i += 4) if (png.data[i] === r && png.data[i + 1] === g && png.data[i + 2] === b) return true;
      return false;
    };
    expect(has(0x1f, 0x77, 0xb4)).toBe(true);
    expect(has(0xd6, 0x27, 0x28)).toBe(true);
  });

  it('writes the default plot file, and none with --no-plot', async () => {
    const dir = tempDir();
    const r = await convkit(['train', '--limit', '32', '--epochs', '1', '--quiet'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(join(dir, 'convkit-training.svg'))).toBe(true);
    const dir2 = tempDir();
    const r2 = await convkit(['train', '--limit', '32', '--epochs', '1', '--quiet', '--no-plot', '--validation-split', '0.25'], { cwd: dir2 });
    expect(r2.code, r2.stderr).toBe(0);
    expect(existsSync(join(dir2, 'convkit-training.svg'))).toBe(false);
  });

  it('trains with augmentation from a dataset iterator', async () => {
    const dir = tempDir();
    const r = await convkit(['train', '--limit', '64', '--epochs', '1', '--augment', 'shift:0.1,crop:2', '--quiet', '--no-plot'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/trained 1 epoch: loss/);
  });

  it('rejects bad arguments with exit 2 and names what it expected', async () => {
    const cases: [string[], RegExp][] = [
      [['train', '--epochs', '0'], /--epochs expects an integer in \[1, 100000\], got "0"/],
      [['train', '--epochs', '2.5'], /--epochs expects an integer/],
      [['train', '--lr=-1'], /--lr expects a number > 0/],
      [['train', '--optimizer', 'magic'], /--optimizer expects one of sgd, adam/],
      [['train', '--plot', 'x.gif'], /--plot expects a .svg or .png path/],
      [['train', '--augment', 'rotate'], /--augment expects a list of flip, crop/],
      [['train', '--resume'], /--resume needs --checkpoint/],
      [['train', 'not-a-model'], /MODEL "not-a-model" is neither a zoo model/],
    ];
    for (const [args, msg] of cases) {
      const r = await convkit(args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(msg);
    }
  });

  it('fails with exit 1 naming the file for missing or malformed datasets', async () => {
    const dir = tempDir();
    const missing = await convkit(['train', '--data', join(dir, 'nope'), '--quiet']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/DatasetError: .*nope: expected a built-in dataset .* found no such file or directory/);
    writeFileSync(join(dir, 'junk.npz'), 'this is not a zip');
    const junk = await convkit(['train', '--data', join(dir, 'junk.npz'), '--quiet']);
    expect(junk.code).toBe(1);
    expect(junk.stderr).toMatch(/junk\.npz: expected an \.npz archive .* found 17 bytes starting 74 68 69 73/);
    const cifar = await convkit(['train', 'cifar-baseline', '--data', 'cifar10']);
    expect(cifar.code).toBe(1);
    expect(cifar.stderr).toMatch(/not bundled: download cifar-10-binary\.tar\.gz/);
  });

  it('lists the zoo models', async () => {
    const r = await convkit(['train', '--list-models']);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')).toEqual(expect.arrayContaining(['lenet5', 'cifar-baseline', 'vgg-small', 'resnet18']));
  });
});
