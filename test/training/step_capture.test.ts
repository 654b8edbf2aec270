// Step capture and replay (lib/training/step_capture.ts): once a training step is captured, later
// steps replay its recorded native jobs. The reference is the eager path (capture and deferred
// execution off, every op run by its JavaScript): a captured/replayed fit must give bit-for-bit the
// same weights, losses and metrics over several epochs, and steps that cannot be captured must fall
// back to the normal path (and say why) with the same results.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import * as ck from '../../lib/index.js';
import { native } from '../../lib/native/index.js';
import { ExponentialDecay } from '../../lib/training/schedules.js';

const L = ck.layers;
const ISAS = native().backendInfo().availableIsas;

afterEach(() => {
  ck.setStepCapture(true);
  ck.setDeferredExecution(true);
});
afterAll(() => native().setIsa(null));

function data(n: number, shape: number[], classes: number, seed: number): { x: ck.Tensor; y: ck.Tensor } {
  const x = ck.randomNormal([n, ...shape], 0, 1, 'float32', seed);
  const yv = new Float32Array(n * classes);
  for (let i = 0; i < n; i++) yv[i * classes + ((i * 7 + seed) % classes)] = 1;
  return { x, y: ck.tensor(yv, [n, classes]) };
}

// Dense + BatchNormalization + Dropout: the moving statistics are replaced by new tensors each step
// and the dropout masks are drawn from the global generator each step.
function bnDropoutModel(): ck.Model {
  return ck.sequential({
    layers: [
      L.conv2d({ filters: 3, kernelSize: 3, activation: 'relu', inputShape: [7, 7, 2] }),
      L.batchNormalization({}),
      L.flatten(),
      L.dropout({ rate: 0.4 }),
      L.dense({ units: 9 }),
      L.batchNormalization({}),
      L.dense({ units: 4, activation: 'softmax' }),
    ],
  });
}

interface Run {
  history: Record<string, number[]>;
  weights: Float32Array[];
  captured: number;
  replayed: number;
  reason: string | null;
}

type Mode = 'eager' | 'capture-async' | 'capture-sync';

async function train(
  build: () => ck.Model,
  shape: number[],
  classes: number,
  mode: Mode,
  opts: { n?: number; batch?: number; epochs?: number; optimizer?: () => ck.Optimizer | string; callbacks?: ck.Callback[] } = {},
): Promise<Run> {
  ck.setStepCapture(mode !== 'eager');
  ck.setDeferredExecution(mode === 'capture-async');
  ck.setSeed(21);
  const m = build();
  const n = opts.n ?? 20, batch = opts.batch ?? 8;
  const { x, y } = data(n, shape, classes, 3);
  const v = data(6, shape, classes, 4);
  m.compile({ optimizer: opts.optimizer ? opts.optimizer() : 'adam', loss: 'categorical_crossentropy', metrics: ['accuracy'] });
  const before = ck.stepCaptureStats();
  const h = await m.fit(x, y, { batchSize: batch, epochs: opts.epochs ?? 3, shuffle: true, validationData: [v.x, v.y], verbose: 0, callbacks: opts.callbacks });
  const after = ck.stepCaptureStats();
  const weights = m.getWeights().map((t) => t.dataSync() as Float32Array);
  for (const t of [x, y, v.x, v.y]) t.dispose();
  m.dispose();
  return {
    history: h.history as Record<string, number[]>,
    weights,
    captured: after.captured - before.captured,
    replayed: after.replayed - before.replayed,
    reason: after.lastReason,
  };
}

function expectSame(a: Run, b: Run): void {
  expect(b.history).toEqual(a.history);
  expect(b.weights.length).toBe(a.weights.length);
  b.weights.forEach((w, i) => expect(Buffer.from(w.buffer).equals(Buffer.from(a.weights[i]!.buffer))).toBe(true));
}

describe('step capture: replayed fit is bit-for-bit the eager fit', () => {
  const cases: [string, () => ck.Model, number[], number, { n?: number; batch?: number }][] = [
    ['lenet5', () => ck.zoo.lenet5(), [28, 28, 1], 10, {}],
    ['cifar baseline (batch norm, dropout)', () => ck.zoo.cifarBaseline(), [32, 32, 3], 10, { n: 14, batch: 4 }],
    ['conv + batch norm + dropout', bnDropoutModel, [7, 7, 2], 4, {}],
  ];
  for (const [name, build, shape, classes, o] of cases) {
    it(`${name}: async (fit) and sync replays`, async () => {
      const eager = await train(build, shape, classes, 'eager', o);
      const replay = await train(build, shape, classes, 'capture-async', o);
      // A full batch and the last partial one are each captured (two steps compared) then replayed.
      expect(replay.captured).toBe(2);
      expect(replay.replayed).toBeGreaterThan(0);
      expectSame(eager, replay);
      const sync = await train(build, shape, classes, 'capture-sync', o);
      expect(sync.replayed).toBeGreaterThan(0);
      expectSame(eager, sync);
    });
  }

  it('Adam with an exponential learning-rate schedule (step count and lr read per step)', async () => {
    const optimizer = () => new ck.Adam({ learningRate: new ExponentialDecay({ initialLearningRate: 0.01, decaySteps: 2, decayRate: 0.5 }) });
    const o = { optimizer, epochs: 4 };
    const eager = await train(bnDropoutModel, [7, 7, 2], 4, 'eager', o);
    const replay = await train(bnDropoutModel, [7, 7, 2], 4, 'capture-async', o);
    expect(replay.replayed).toBeGreaterThan(4);
    expectSame(eager, replay);
  });

  it('every ISA, SGD with momentum, odd batch (tail) sizes', async () => {
    for (const isa of ISAS) {
      native().setIsa(isa);
      const o = { n: 17, batch: 5, optimizer: () => new ck.SGD({ learningRate: 0.05, momentum: 0.9 }) };
      const eager = await train(bnDropoutModel, [7, 7, 2], 4, 'eager', o);
      const replay = await train(bnDropoutModel, [7, 7, 2], 4, 'capture-async', o);
      expect(replay.replayed).toBeGreaterThan(0);
      expectSame(eager, replay);
    }
    native().setIsa(null);
  });

  it('trainOnBatch replays too, with the same losses and weights', () => {
    const run = (capture: boolean) => {
      ck.setStepCapture(capture);
      ck.setSeed(5);
      const m = bnDropoutModel();
      const { x, y } = data(6, [7, 7, 2], 4, 1);
      m.compile({ optimizer: 'adam', loss: 'categorical_crossentropy', metrics: ['accuracy'] });
      const losses: unknown[] = [];
      for (let i = 0; i < 6; i++) losses.push(m.trainOnBatch(x, y));
      const w = m.getWeights().map((t) => Array.from(t.dataSync()));
      x.dispose();
      y.dispose();
      m.dispose();
      return { losses, w };
    };
    const before = ck.stepCaptureStats().replayed;
    const a = run(true);
    expect(ck.stepCaptureStats().replayed - before).toBe(4);
    const b = run(false);
    expect(a.losses).toEqual(b.losses);
    expect(a.w).toEqual(b.w);
  });
});

describe('step capture: fallbacks', () => {
  it('a step that reads tensor memory in JavaScript is not captured, says why, and agrees with eager', async () => {
    // A layer that looks at its input's values: the recording cannot stand for later steps.
    class Peek extends L.Layer {
      static override readonly className: string = 'Peek';
      seen = 0;
      override call(inputs: ck.Tensor | ck.Tensor[]): ck.Tensor {
        const x = Array.isArray(inputs) ? inputs[0]! : inputs;
        this.seen += (x.dataSync() as Float32Array)[0]!;
        return x;
      }
    }
    const build = () =>
      ck.sequential({
        layers: [L.conv2d({ filters: 2, kernelSize: 3, padding: 'same', inputShape: [6, 6, 1] }), new Peek(), L.flatten(), L.dense({ units: 3, activation: 'softmax' })],
      });
    const eager = await train(build, [6, 6, 1], 3, 'eager');
    const replay = await train(build, [6, 6, 1], 3, 'capture-async');
    expect(replay.replayed).toBe(0);
    expect(replay.reason).toMatch(/JavaScript read of tensor memory/);
    expectSame(eager, replay);
  });

  it('a model with a regularizer is not captured (the penalty is read in JavaScript)', async () => {
    const build = () => ck.sequential({ layers: [L.flatten({ inputShape: [3, 3, 1] }), L.dense({ units: 3, activation: 'softmax', kernelRegularizer: 'l2' })] });
    const eager = await train(build, [3, 3, 1], 3, 'eager');
    const replay = await train(build, [3, 3, 1], 3, 'capture-async');
    expect(replay.replayed).toBe(0);
    expect(replay.reason).not.toBeNull();
    expectSame(eager, replay);
  });

  it('weights replaced by a callback drop the capture; training stays identical to eager', async () => {
    // setWeights after the second batch of the first epoch gives every variable a new tensor: the
    // capture made by then must not be replayed (its jobs point at the old buffers); a new one is.
    class Reset extends ck.Callback {
      private done = false;
      override onBatchEnd(batch: number): void {
        const m = this.model as ck.Model;
        if (batch === 1 && !this.done) {
          this.done = true;
          const w = m.getWeights();
          m.setWeights(w);
          for (const t of w) t.dispose();
        }
      }
    }
    const eager = await train(bnDropoutModel, [7, 7, 2], 4, 'eager', { epochs: 4, callbacks: [new Reset()] });
    const replay = await train(bnDropoutModel, [7, 7, 2], 4, 'capture-async', { epochs: 4, callbacks: [new Reset()] });
    expect(replay.captured).toBe(3);
    expect(replay.replayed).toBeGreaterThan(0);
    expect(replay.reason).toMatch(/replaced/);
    expectSame(eager, replay);
  });

  it('setStepCapture validates its argument', () => {
    expect(() => ck.setStepCapture('no' as unknown as boolean)).toThrow(TypeError);
  });
});
