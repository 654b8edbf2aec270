// Callbacks against Keras's behaviour, driven by real fit() runs on a small model and, where the
// rule is about numbers, by scripted logs.
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { setSeed } from '../../lib/random/index.js';
import { resetNames } from '../../lib/layers/index.js';
import * as T from '../../lib/training/index.js';
import type { Tensor } from '../../lib/tensor/index.js';
import { allocTensor, i32 } from '../../lib/tensor/internal.js';
import { blobs, mlp, weightsOf } from './helpers.js';

/** A stand-in model for scripted-log tests. */
function fakeModel() {
  const opt = new T.SGD({ learningRate: 1 });
  let w = [0];
  return {
    stopTraining: false,
    optimizer: opt,
    getWeights: () => [{ v: [...w], dispose() {} }] as unknown as Tensor[],
    setWeights: (ws: Tensor[]) => void (w = (ws[0] as unknown as { v: number[] }).v),
    set: (v: number) => void (w = [v]),
    get w() {
      return w[0];
    },
  };
}

describe('callbacks', () => {
  it('EarlyStopping: patience, minDelta, restoreBestWeights (scripted val_loss)', () => {
    const m = fakeModel();
    const es = new T.EarlyStopping({ patience: 2, minDelta: 0.01, restoreBestWeights: true });
    es.setModel(m);
    es.onTrainBegin();
    const vals = [1.0, 0.8, 0.795, 0.9, 0.7];
    let stoppedAt = -1;
    for (let e = 0; e < vals.length && stoppedAt < 0; e++) {
      m.set(e);
      es.onEpochEnd(e, { val_loss: vals[e]! });
      if (m.stopTraining) stoppedAt = e;
    }
    // 0.795 is not an improvement over 0.8 by more than 0.01: epochs 2 and 3 wait, stop after 3.
    expect(stoppedAt).toBe(3);
    expect(es.bestEpoch).toBe(1);
    expect(m.w).toBe(1); // weights from the best epoch
    const max = new T.EarlyStopping({ monitor: 'val_accuracy' });
    expect(max.mode).toBe('max');
  });

  it('EarlyStopping in a real fit: stops after patience epochs and restores the best epoch weights', async () => {
    setSeed(3);
    const { x, y } = blobs(96);
    // Validation labels shifted by one class: the better the model fits, the worse val_loss gets,
    // so epoch 0 is the best and with patience 2 fit stops at the end of epoch 2.
    const yBad = allocTensor([96], 'int32');
    i32(yBad).set(Array.from(y.dataSync() as Int32Array, (k) => (k + 1) % 3));
    const m = mlp();
    m.compile({ optimizer: T.optimizers.adam({ learningRate: 0.05 }), loss: 'sparse_categorical_crossentropy' });
    const seen: number[][][] = [];
    const es = new T.EarlyStopping({ patience: 2, restoreBestWeights: true });
    const h = await m.fit(x, y, {
      epochs: 10, batchSize: 16, verbose: 0, validationData: [x, yBad],
      callbacks: [{ onEpochEnd: () => void seen.push(weightsOf(m)) }, es],
    });
    const vl = h.history['val_loss']!;
    expect(vl[1]!).toBeGreaterThan(vl[0]!);
    expect(vl[2]!).toBeGreaterThan(vl[0]!);
    expect(h.epoch).toEqual([0, 1, 2]);
    expect(es.bestEpoch).toBe(0);
    expect(weightsOf(m)).toEqual(seen[0]);
    expect(weightsOf(m)).not.toEqual(seen[2]);
  });

  it('ReduceLROnPlateau: factor, patience, cooldown, minLr; logs learning_rate', () => {
    const m = fakeModel();
    const cb = new T.ReduceLROnPlateau({ factor: 0.5, patience: 1, cooldown: 1, minLr: 0.2 });
    cb.setModel(m);
    cb.onTrainBegin();
    const lrs: number[] = [];
    for (const [e, v] of [1, 1, 1, 1, 1, 1].entries()) {
      const logs: T.Logs = { val_loss: v };
      cb.onEpochEnd(e, logs);
      lrs.push(m.optimizer.currentLearningRate());
      expect(logs['learning_rate']).toBeDefined();
    }
    expect(lrs).toEqual([1, 0.5, 0.5, 0.25, 0.25, 0.2]);
  });

  it('ReduceLROnPlateau in a real fit: the reduced rate is the one the (replayed) steps use', async () => {
    const run = async (withCb: boolean) => {
      resetNames();
      setSeed(4);
      const { x, y } = blobs(64);
      const m = mlp();
      m.compile({ optimizer: new T.SGD({ learningRate: 0.1 }), loss: 'sparse_categorical_crossentropy' });
      const after: number[][][] = [];
      // monitor 'loss' with minDelta 10: never "improves", so with patience 1 the rate drops to
      // 0.1 * 0 = 0 (minLr 0) at the end of epoch 1 (logged before the change, as Keras) and later epochs must not
      // move the weights.
      const cbs: T.CallbackLike[] = [{ onEpochEnd: () => void after.push(weightsOf(m)) }];
      if (withCb) cbs.push(new T.ReduceLROnPlateau({ monitor: 'loss', factor: 0, patience: 1, minDelta: 10 }));
      const h = await m.fit(x, y, { epochs: 4, batchSize: 16, shuffle: false, verbose: 0, callbacks: cbs });
      return { after, h, lr: m.optimizer!.currentLearningRate() };
    };
    const a = await run(true);
    expect(a.lr).toBe(0);
    expect(a.h.history['learning_rate']).toEqual([0.1, 0.1, 0, 0].map((v) => expect.closeTo(v, 7)));
    expect(a.after[3]).toEqual(a.after[1]);
    const b = await run(false);
    expect(b.after[1]).toEqual(a.after[1]);
    expect(b.after[3]).not.toEqual(b.after[1]);
  });

  it('stopTraining from a custom async callback ends fit after the epoch; hooks run in order', async () => {
    setSeed(1);
    const { x, y } = blobs(64);
    const m = mlp();
    m.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy' });
    const calls: string[] = [];
    const h = await m.fit(x, y, {
      epochs: 5,
      batchSize: 32,
      verbose: 0,
      callbacks: [
        {
          onTrainBegin: async () => void calls.push('trainBegin'),
          onEpochBegin: async (e) => void calls.push(`epochBegin${e}`),
          onBatchEnd: async (b) => {
            await new Promise((r) => setTimeout(r, 1));
            calls.push(`batchEnd${b}`);
          },
          onEpochEnd: async (e) => {
            calls.push(`epochEnd${e}`);
            if (e === 1) m.stopTraining = true;
          },
          onTrainEnd: () => void calls.push('trainEnd'),
        },
      ],
    });
    expect(h.epoch).toEqual([0, 1]);
    expect(calls).toEqual(['trainBegin', 'epochBegin0', 'batchEnd0', 'batchEnd1', 'epochEnd0', 'epochBegin1', 'batchEnd0', 'batchEnd1', 'epochEnd1', 'trainEnd']);
  });

  it('TerminateOnNaN stops on a non-finite loss', async () => {
    const m = fakeModel();
    const cb = new T.TerminateOnNaN();
    cb.setModel(m);
    cb.onBatchEnd(0, { loss: 1 });
    expect(m.stopTraining).toBe(false);
    cb.onBatchEnd(1, { loss: NaN });
    expect(m.stopTraining).toBe(true);
  });

  it('CSVLogger writes a header and one row per epoch', async () => {
    setSeed(2);
    const dir = mkdtempSync(join(tmpdir(), 'ck-csv-'));
    const file = join(dir, 'log.csv');
    const { x, y } = blobs(64);
    const m = mlp();
    m.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
    await m.fit(x, y, { epochs: 2, batchSize: 32, verbose: 0, validationData: [x, y], callbacks: [new T.CSVLogger(file)] });
    const rows = readFileSync(file, 'utf8').trim().split('\n');
    expect(rows[0]).toBe('epoch,accuracy,loss,val_accuracy,val_loss');
    expect(rows).toHaveLength(3);
    expect(rows[2]!.startsWith('1,')).toBe(true);
    await m.fit(x, y, { epochs: 1, batchSize: 32, verbose: 0, validationData: [x, y], callbacks: [new T.CSVLogger(file, ',', true)] });
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(4);
  });

  it('ModelCheckpoint: path templates, saveBestOnly, weights-only flag (through a saver)', async () => {
    expect(T.formatPath('ck-{epoch:02d}-{val_loss:.2f}.keras', { epoch: 3, val_loss: 0.12345 })).toBe('ck-03-0.12.keras');
    expect(() => T.formatPath('{nope}', { epoch: 1 })).toThrow(/nope/);
    const saved: [string, boolean][] = [];
    const cb = new T.ModelCheckpoint({ filepath: 'w-{epoch}.weights.h5', saveBestOnly: true, saveWeightsOnly: true, saver: { save: (_m, p, wo) => void saved.push([p, wo]) } });
    const m = fakeModel();
    cb.setModel(m);
    for (const [e, v] of [0.5, 0.4, 0.6, 0.3].entries()) await cb.onEpochEnd(e, { val_loss: v });
    expect(saved).toEqual([
      ['w-1.weights.h5', true],
      ['w-2.weights.h5', true],
      ['w-4.weights.h5', true],
    ]);
    const noSave = new T.ModelCheckpoint({ filepath: 'x.keras', saveBestOnly: false });
    noSave.setModel(m);
    await expect(noSave.onEpochEnd(0, {})).rejects.toThrow(/save\(\)/);
  });

  it('ModelCheckpoint mode: auto picks max for accuracy and min otherwise; explicit min/max; bad mode', async () => {
    const run = async (args: Partial<T.ModelCheckpointArgs>, vals: number[]) => {
      const saved: string[] = [];
      const cb = new T.ModelCheckpoint({ filepath: 'm-{epoch}.keras', saveBestOnly: true, saver: { save: (_m, p) => void saved.push(p) }, ...args });
      cb.setModel(fakeModel());
      for (const [e, v] of vals.entries()) await cb.onEpochEnd(e, { [cb.monitor]: v });
      return { saved, mode: cb.mode };
    };
    const acc = [0.5, 0.7, 0.6, 0.8];
    expect(await run({ monitor: 'val_accuracy' }, acc)).toEqual({ saved: ['m-1.keras', 'm-2.keras', 'm-4.keras'], mode: 'max' });
    expect(await run({ monitor: 'val_accuracy', mode: 'min' }, acc)).toEqual({ saved: ['m-1.keras'], mode: 'min' });
    expect(await run({ monitor: 'val_score', mode: 'max' }, acc)).toEqual({ saved: ['m-1.keras', 'm-2.keras', 'm-4.keras'], mode: 'max' });
    expect(await run({ monitor: 'val_score' }, acc)).toEqual({ saved: ['m-1.keras'], mode: 'min' });
    expect(() => new T.ModelCheckpoint({ filepath: 'x.keras', mode: 'up' as 'max' })).toThrow(/mode/);
  });

  it('BackupAndRestore: an interrupted run resumes where it stopped and ends like an uninterrupted one', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'ck-bak-')), 'backup');
    const setup = () => {
      resetNames();
      setSeed(21);
      const d = blobs(96);
      const m = mlp();
      m.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy' });
      return { m, ...d };
    };
    const a = setup();
    const full = await a.m.fit(a.x, a.y, { epochs: 4, batchSize: 16, verbose: 0, shuffle: false });
    // Run 1: interrupted (AbortSignal) right after epoch 2 ends, i.e. at the first batch of epoch 3.
    const b = setup();
    const ac = new AbortController();
    await b.m.fit(b.x, b.y, {
      epochs: 4, batchSize: 16, verbose: 0, shuffle: false, signal: ac.signal,
      callbacks: [new T.BackupAndRestore({ backupDir: dir }), { onEpochEnd: (e) => void (e === 1 && ac.abort()) }],
    });
    expect(existsSync(join(dir, 'backup.json'))).toBe(true);
    // Run 2: a fresh process would rebuild the model; here a fresh model with other initial weights.
    resetNames();
    setSeed(999);
    const c = mlp();
    c.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy' });
    const rest = await c.fit(b.x, b.y, { epochs: 4, batchSize: 16, verbose: 0, shuffle: false, callbacks: [new T.BackupAndRestore({ backupDir: dir })] });
    expect(rest.epoch).toEqual([2, 3]);
    expect(rest.history['loss']).toEqual(full.history['loss']!.slice(2));
    expect(weightsOf(c)).toEqual(weightsOf(a.m));
    expect(existsSync(dir)).toBe(false); // deleted after a completed run
  });
});
