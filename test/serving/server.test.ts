import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PNG } from 'pngjs';
import { setSeed } from '../../lib/random/index.js';
import { memory } from '../../lib/backend.js';
import { tensor } from '../../lib/tensor/index.js';
import { buildZooModel } from '../../lib/zoo/index.js';
import type { Model } from '../../lib/models/index.js';
import { createHttpServer, createPredictor } from '../../lib/serving/index.js';
import type { BatchRunner } from '../../lib/serving/index.js';
import { createServer, type ModelServer } from '../../lib/serving/server.js';

const PER = 28 * 28;

function sample(seed: number): number[] {
  return Array.from({ length: PER }, (_, i) => ((i * 7 + seed * 13) % 17) / 17);
}
function nested(v: number[]): number[][][] {
  return Array.from({ length: 28 }, (_, y) => Array.from({ length: 28 }, (_, x) => [v[y * 28 + x]!]));
}

let model: Model;
let server: ModelServer;

// A full GC on demand (vitest's forks do not run with --expose-gc): tensors that were dropped but
// not yet collected still count as live native buffers until their finalizers run.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Lets pending I/O, timers and finalizers run, with full GCs in between, so a memory snapshot
 * counts only what is really live (not garbage whose collection happens to be pending). */
async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setImmediate(r));
  }
}

/** The model's own output for samples, one predict call each (the serial reference). */
async function reference(samples: number[][]): Promise<number[][]> {
  const out: number[][] = [];
  for (const s of samples) {
    const y = (await model.predict(tensor(Float32Array.from(s), [1, 28, 28, 1]))) as ReturnType<typeof tensor>;
    out.push([...(y.dataSync() as Float32Array)]);
    y.dispose();
  }
  return out;
}

function close(a: number[][], b: number[][]): void {
  expect(a.length).toBe(b.length);
  a.forEach((row, i) => row.forEach((v, j) => expect(Math.abs(v - b[i]![j]!)).toBeLessThan(1e-5)));
}

beforeAll(() => {
  setSeed(3);
  model = buildZooModel('lenet5');
  server = createServer(createPredictor(model, { maxBatchSize: 16, maxDelayMs: 2 }), { name: 'lenet', bodyLimit: 64 * 1024 });
});
afterAll(async () => {
  await server.close();
});

describe('HTTP serving: protocols', () => {
  it('answers TF Serving row-format predict like the model', async () => {
    const xs = [sample(1), sample(2), sample(3)];
    const r = await server.app.inject({ method: 'POST', url: '/v1/models/lenet:predict', payload: { instances: xs.map(nested) } });
    expect(r.statusCode, r.body).toBe(200);
    close((r.json() as { predictions: number[][] }).predictions, await reference(xs));
  });

  it('answers TF Serving columnar "inputs" and KServe v2 infer', async () => {
    const xs = [sample(4), sample(5)];
    const ref = await reference(xs);
    const c = await server.app.inject({ method: 'POST', url: '/v1/models/lenet:predict', payload: { inputs: { input: xs.map(nested) } } });
    expect(c.statusCode, c.body).toBe(200);
    close((c.json() as { outputs: number[][] }).outputs, ref);
    const v2 = await server.app.inject({ method: 'POST', url: '/v2/models/lenet/infer', payload: { id: 'q1', inputs: [{ name: 'input', shape: [2, 28, 28, 1], datatype: 'FP32', data: xs.flat() }] } });
    expect(v2.statusCode, v2.body).toBe(200);
    const body = v2.json() as { id: string; model_name: string; outputs: { shape: number[]; data: number[]; datatype: string }[] };
    expect(body.id).toBe('q1');
    expect(body.model_name).toBe('lenet');
    expect(body.outputs[0]!.shape).toEqual([2, 10]);
    close([body.outputs[0]!.data.slice(0, 10), body.outputs[0]!.data.slice(10)], ref);
  });

  it('takes raw float32 bodies and PNG images', async () => {
    const x = sample(6);
    const raw = Buffer.from(Float32Array.from(x).buffer);
    const r = await server.app.inject({ method: 'POST', url: '/v1/models/lenet:predict', headers: { 'content-type': 'application/octet-stream' }, payload: raw });
    expect(r.statusCode, r.body).toBe(200);
    close((r.json() as { predictions: number[][] }).predictions, await reference([x]));
    // a 56×56 grey PNG of the same picture: resized to 28×28 by the server
    const png = new PNG({ width: 56, height: 56 });
    for (let y = 0; y < 56; y++) for (let xx = 0; xx < 56; xx++) {
      const v = Math.round(x[(y >> 1) * 28 + (xx >> 1)]! * 255);
      png.data.set([v, v, v, 255], 4 * (y * 56 + xx));
    }
    const img = await server.app.inject({ method: 'POST', url: '/v1/models/lenet:predict', headers: { 'content-type': 'image/png' }, payload: PNG.sync.write(png) });
    expect(img.statusCode, img.body).toBe(200);
    const b = img.json() as { predictions: number[][]; classes: { class: number; score: number }[] };
    expect(b.predictions[0]).toHaveLength(10);
    expect(b.classes).toHaveLength(5);
    expect(b.classes[0]!.score).toBe(Math.max(...b.predictions[0]!));
  });

  it('reports health, readiness, model status and metadata', async () => {
    expect((await server.app.inject('/healthz')).json()).toEqual({ status: 'ok' });
    expect((await server.app.inject('/readyz')).statusCode).toBe(200);
    expect((await server.app.inject('/v2/health/ready')).json()).toEqual({ ready: true });
    const st = (await server.app.inject('/v1/models/lenet')).json() as { model_version_status: { state: string }[] };
    expect(st.model_version_status[0]!.state).toBe('AVAILABLE');
    const meta = (await server.app.inject('/v2/models/lenet')).json() as { inputs: { shape: number[] }[]; outputs: { shape: number[] }[] };
    expect(meta.inputs[0]!.shape).toEqual([-1, 28, 28, 1]);
    expect((await server.app.inject('/v1/models/lenet/metadata')).statusCode).toBe(200);
  });
});

describe('HTTP serving: malformed requests get clear 4xx and harm nobody', () => {
  it('rejects each kind of bad body with the right status and message', async () => {
    const post = (payload: string | Buffer | object, type = 'application/json', url = '/v1/models/lenet:predict') =>
      server.app.inject({ method: 'POST', url, headers: { 'content-type': type }, payload: typeof payload === 'object' && !Buffer.isBuffer(payload) ? JSON.stringify(payload) : payload });
    const cases: [Promise<{ statusCode: number; body: string }>, number, RegExp][] = [
      [post('{"instances": [1, 2'), 400, /not valid JSON/],
      [post({ instances: [[1, 2]] }), 400, /each instance must have shape \[28, 28, 1\], got \[2\]/],
      [post({ instances: [nested(sample(1)), [[1]]] }), 400, /not rectangular/],
      [post({ instances: [[[['x']]]] }), 400, /expected a finite number, got a string/],
      [post({ instances: [] }), 400, /non-empty list/],
      [post({ nothing: 1 }), 400, /expected "instances" or "inputs"/],
      [post([1, 2, 3]), 400, /expected a JSON object/],
      [post(Buffer.alloc(10), 'application/octet-stream'), 400, /multiple of 3136 bytes/],
      [post(Buffer.from('GIF89a'), 'image/png'), 400, /expected PNG or JPEG/],
      [post('hello', 'text/plain'), 415, /unsupported content type/i],
      [post({ instances: [nested(sample(1))] }, 'application/json', '/v1/models/other:predict'), 404, /unknown model "other"/],
      [post({ inputs: [{ name: 'x', shape: [1, 28, 28, 1], datatype: 'BYTES', data: [] }] }, 'application/json', '/v2/models/lenet/infer'), 400, /datatype.*expected FP32/],
      [post({ inputs: [{ name: 'x', shape: [1, 28, 28, 1], datatype: 'FP32', data: [1, 2] }] }, 'application/json', '/v2/models/lenet/infer'), 400, /needs 784 values, got 2/],
      [post({ inputs: [] }, 'application/json', '/v2/models/lenet/infer'), 400, /exactly one input tensor/],
      [post(Buffer.alloc(128 * 1024), 'application/octet-stream'), 413, /too large/i],
    ];
    const good = server.app.inject({ method: 'POST', url: '/v1/models/lenet:predict', payload: { instances: [nested(sample(9))] } });
    for (const [p, status, msg] of cases) {
      const r = await p;
      expect(r.statusCode, r.body).toBe(status);
      expect((JSON.parse(r.body) as { error: string }).error).toMatch(msg);
    }
    const g = await good;
    expect(g.statusCode).toBe(200);
    close((g.json() as { predictions: number[][] }).predictions, await reference([sample(9)]));
  });
});

describe('HTTP serving: batching, backpressure, timeouts, metrics, memory', () => {
  it('batches concurrent requests of different sizes and gives each exactly its rows', async () => {
    const before = (await server.metrics.batchSize.get()).values.find((v) => v.metricName === 'convkit_batch_size_count')?.value ?? 0;
    const reqs = Array.from({ length: 40 }, (_, i) => Array.from({ length: 1 + (i % 3) }, (_, k) => sample(100 + i * 3 + k)));
    const res = await Promise.all(reqs.map((xs) => server.app.inject({ method: 'POST', url: '/v1/models/lenet:predict', payload: { instances: xs.map(nested) } })));
    for (let i = 0; i < reqs.length; i++) {
      expect(res[i]!.statusCode).toBe(200);
      close((res[i]!.json() as { predictions: number[][] }).predictions, await reference(reqs[i]!));
    }
    const after = (await server.metrics.batchSize.get()).values.find((v) => v.metricName === 'convkit_batch_size_count')!.value;
    expect(after - before).toBeLessThan(40);
    const text = (await server.app.inject('/metrics')).body;
    expect(text).toMatch(/convkit_requests_total\{route="\/v1\/models\/:name::predict",code="200"\} \d+/);
    expect(text).toMatch(/convkit_request_duration_seconds_bucket\{le="0.005",route="\/v1\/models\/:name::predict"\}/);
    expect(text).toMatch(/convkit_batch_size_bucket\{le="16"\}/);
    expect(text).toMatch(/convkit_queue_depth 0/);
  });

  it('createHttpServer serves a predictor over a custom runner on a real socket (raw float32 and v2)', async () => {
    // y = 2x + sample index, from a runner that knows nothing of models: what the load test does with onnxruntime.
    const runner: BatchRunner = async (x, n) => ({ data: Float32Array.from({ length: n * 3 }, (_, i) => 2 * x[i]! + (i % 3)), sampleShape: [3] });
    const s = await createHttpServer(createPredictor(runner, { maxBatchSize: 8, maxDelayMs: 1, inputShape: [3] }), { name: 'r' });
    const url = await s.listen(0, '127.0.0.1');
    try {
      const raw = await fetch(`${url}/v1/models/r:predict`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: Buffer.from(new Float32Array([1, 2, 3, 4, 5, 6]).buffer) });
      expect(raw.status).toBe(200);
      expect(((await raw.json()) as { predictions: number[][] }).predictions).toEqual([[2, 5, 8], [8, 11, 14]]);
      const v2 = await fetch(`${url}/v2/models/r/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ inputs: [{ name: 'x', shape: [1, 3], datatype: 'FP32', data: [0.5, 0, -1] }] }) });
      expect(v2.status).toBe(200);
      expect(((await v2.json()) as { outputs: { data: number[] }[] }).outputs[0]!.data).toEqual([1, 1, 0]);
      const bad = await fetch(`${url}/v1/models/r:predict`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: Buffer.from(new Float32Array([1, 2]).buffer) });
      expect(bad.status).toBe(400);
    } finally {
      await s.close();
    }
  });

  it('answers 503 when the queue is full and 504 on timeout, while the rest succeed', async () => {
    const slow: BatchRunner = async (x, n) => {
      await new Promise((r) => setTimeout(r, 30));
      return { data: Float32Array.from({ length: n }, (_, i) => x[i]!), sampleShape: [1] };
    };
    const s = createServer(createPredictor(slow, { maxBatchSize: 2, maxDelayMs: 0, maxQueue: 4, inputShape: [1] }), { name: 'm' });
    const res = await Promise.all(Array.from({ length: 12 }, (_, i) => s.app.inject({ method: 'POST', url: '/v1/models/m:predict', payload: { instances: [[i]] } })));
    const codes = res.map((r) => r.statusCode);
    expect(codes.filter((c) => c === 503).length).toBeGreaterThan(0);
    expect(codes.filter((c) => c === 200).length).toBeGreaterThanOrEqual(4);
    res.forEach((r, i) => {
      if (r.statusCode === 200) expect((r.json() as { predictions: number[][] }).predictions[0]![0]).toBe(i);
      else expect((r.json() as { error: string }).error).toMatch(/queue is full/);
    });
    await s.close();
    const t = createServer(createPredictor(slow, { maxBatchSize: 1, maxDelayMs: 0, timeoutMs: 10, inputShape: [1] }), { name: 'm' });
    const [a, b] = await Promise.all([0, 1].map((i) => t.app.inject({ method: 'POST', url: '/v1/models/m:predict', payload: { instances: [[i]] } })));
    expect([a!.statusCode, b!.statusCode]).toContain(504);
    await t.close();
  });

  it('serves thousands of requests with native memory returning to its level', async () => {
    const x = { instances: [nested(sample(1))] };
    const warm = await Promise.all(Array.from({ length: 50 }, () => server.app.inject({ method: 'POST', url: '/v1/models/lenet:predict', payload: x })));
    expect(warm.every((r) => r.statusCode === 200)).toBe(true);
    // Baseline only once the warm-up's garbage is collected and its batches have finished.
    await settle();
    const base = memory();
    for (let round = 0; round < 20; round++) {
      const res = await Promise.all(Array.from({ length: 100 }, () => server.app.inject({ method: 'POST', url: '/v1/models/lenet:predict', payload: x })));
      expect(res.every((r) => r.statusCode === 200)).toBe(true);
    }
    await settle();
    const after = memory();
    // The point is no growth: 2,000 requests leave no native buffer or byte behind. A baseline can
    // still hold garbage whose collection was pending (once 13 buffers vs 10 after), hence <= not ==;
    // a leak of even one buffer per 2,000 requests would still fail.
    expect(after.numBuffers).toBeLessThanOrEqual(base.numBuffers);
    expect(after.numBytes).toBeLessThanOrEqual(base.numBytes);
  });
});
