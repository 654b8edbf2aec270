/**
 * The HTTP front of a predictor, on fastify. Protocols (so existing clients work):
 *   TF Serving REST   GET  /v1/models/NAME                    model status
 *                     GET  /v1/models/NAME/metadata           input/output signature
 *                     POST /v1/models/NAME:predict            {"instances": [...]} | {"inputs": ...}
 *                                                             → {"predictions": [...]}
 *                          with Content-Type application/octet-stream: raw little-endian float32 samples
 *                          with Content-Type image/png or image/jpeg: one image, resized to the input;
 *                          the response then adds the top classes
 *   KServe v2 (OIP)   GET  /v2/health/live, /v2/health/ready, /v2/models/NAME, /v2/models/NAME/ready
 *                     POST /v2/models/NAME/infer              {"inputs": [{name, shape, datatype, data}]}
 *                                                             → {"model_name", "outputs": [...]}
 *   Operations        GET  /healthz  (process alive), /readyz (model loaded, not draining), /metrics
 *
 * Errors are JSON {"error": message} with 400 (malformed or mismatched input), 404 (unknown model),
 * 413 (body over the limit), 415 (unsupported content type), 503 (queue full, draining), 504 (timeout).
 * A bad request never affects another: it fails before it reaches the batcher.
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Predictor } from './predictor.js';
import { BadInputError, PredictorError } from './errors.js';
import { createMetrics, type ServerMetrics } from './metrics.js';
import { nestRows, samplesFromImage, samplesFromInputs, samplesFromInstances, samplesFromRaw, samplesFromV2, type Samples } from './decode.js';

export interface ServerOptions {
  /** Model name in the URLs. */
  name: string;
  /** Largest request body in bytes (default 16 MiB). */
  bodyLimit?: number;
  /** Class names for image responses. */
  labels?: readonly string[];
  /** Top classes returned for image bodies (default 5). */
  topK?: number;
  /** Output sample shape to report in metadata, when known. */
  outputShape?: readonly (number | null)[];
  /** Fastify's logger (default off). */
  logger?: boolean;
}

export interface ModelServer {
  readonly app: FastifyInstance;
  readonly metrics: ServerMetrics;
  /** Listens; resolves to the address (e.g. http://127.0.0.1:8501). */
  listen(port: number, host: string): Promise<string>;
  /** Graceful stop: not ready, stop accepting, finish in-flight requests, drain the predictor. */
  close(): Promise<void>;
}

function topClasses(row: Float32Array, k: number, labels?: readonly string[]): { class: number; label: string; score: number }[] {
  return [...row.keys()]
    .sort((a, b) => row[b]! - row[a]!)
    .slice(0, k)
    .map((c) => ({ class: c, label: labels?.[c] ?? String(c), score: row[c]! }));
}

export function createServer(predictor: Predictor, opts: ServerOptions): ModelServer {
  const bodyLimit = opts.bodyLimit ?? 16 * 1024 * 1024;
  const app = Fastify({ logger: opts.logger ?? false, bodyLimit, forceCloseConnections: 'idle', return503OnClosing: true });
  const metrics = createMetrics(() => predictor.queueDepth);
  let draining = false;
  predictor.onBatch = (e) => {
    metrics.batchSize.observe(e.size);
    metrics.batchLatency.observe(e.ms / 1000);
    if (e.error !== undefined) metrics.batchErrors.inc();
  };
  const inputShape = predictor.inputShape;

  // Only the types the endpoints understand: anything else (text/plain, forms, …) is a 415.
  app.removeContentTypeParser('text/plain');
  for (const type of ['application/octet-stream', 'image/png', 'image/jpeg']) {
    app.addContentTypeParser(type, { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  }

  // Count and time every request by its route pattern (not the raw URL: bounded label values).
  // Per request this is on the event loop's critical path, so the route's label and the metric
  // children per (route, code) are made once and reused, and the hooks are callback-style (no
  // promise per request and hook).
  const routeLabel = new Map<string, string>();
  const counters = new Map<string, ReturnType<typeof metrics.requests.labels>>();
  const timers = new Map<string, ReturnType<typeof metrics.latency.labels>>();
  app.addHook('onResponse', (req, reply, done) => {
    const pattern = req.routeOptions.url ?? 'unmatched';
    let route = routeLabel.get(pattern);
    if (route === undefined) routeLabel.set(pattern, (route = pattern.replace(/\(\^[^)]*\)/g, '')));
    const key = `${route} ${reply.statusCode}`;
    let counter = counters.get(key);
    if (!counter) counters.set(key, (counter = metrics.requests.labels(route, String(reply.statusCode))));
    counter.inc();
    let timer = timers.get(route);
    if (!timer) timers.set(route, (timer = metrics.latency.labels(route)));
    timer.observe(reply.elapsedTime / 1000);
    done();
  });

  app.addHook('onSend', (_req, reply, payload, done) => {
    if (draining) reply.header('connection', 'close');
    done(null, payload);
  });

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, _req, reply) => {
    if (err instanceof PredictorError) return reply.code(err.httpStatus).send({ error: err.message });
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    const msg = err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' ? `unsupported content type; send application/json, application/octet-stream, image/png or image/jpeg` : err.message;
    return reply.code(status).send({ error: status === 500 ? `internal error: ${err.message}` : msg });
  });
  app.setNotFoundHandler((req, reply) => reply.code(404).send({ error: `no route ${req.method} ${req.url}` }));

  const checkName = (req: FastifyRequest, reply: FastifyReply): boolean => {
    const name = (req.params as { name: string }).name;
    if (name !== opts.name) {
      void reply.code(404).send({ error: `unknown model ${JSON.stringify(name)}; this server has ${JSON.stringify(opts.name)}` });
      return false;
    }
    return true;
  };
  const run = async (s: Samples) => predictor.predictArray(s.data, [s.n, ...s.sampleShape]);
  const dims = (s: readonly (number | null)[] | undefined): number[] => [-1, ...(s ?? []).map((d) => d ?? -1)];

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => (draining ? reply.code(503).send({ status: 'draining' }) : { status: 'ready', model: opts.name }));
  app.get('/metrics', async (_req, reply) => reply.header('content-type', metrics.registry.contentType).send(await metrics.registry.metrics()));

  // ---- TF Serving REST ----
  app.get('/v1/models/:name', async (req, reply) => {
    if (!checkName(req, reply)) return reply;
    return { model_version_status: [{ version: '1', state: draining ? 'UNAVAILABLE' : 'AVAILABLE', status: { error_code: 'OK', error_message: '' } }] };
  });
  app.get('/v1/models/:name/metadata', async (req, reply) => {
    if (!checkName(req, reply)) return reply;
    return {
      model_spec: { name: opts.name, version: '1' },
      metadata: { signature_def: { signature_def: { serving_default: {
        inputs: { input: { dtype: 'DT_FLOAT', tensor_shape: { dim: dims(inputShape).map((size) => ({ size: String(size) })) } } },
        outputs: { output: { dtype: 'DT_FLOAT', tensor_shape: { dim: dims(opts.outputShape).map((size) => ({ size: String(size) })) } } },
        method_name: 'tensorflow/serving/predict',
      } } } },
    };
  });
  app.post('/v1/models/:name(^[^:/]+)::predict', async (req, reply) => {
    if (!checkName(req, reply)) return reply;
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
    const body = req.body;
    if (Buffer.isBuffer(body)) {
      const isImage = type === 'image/png' || type === 'image/jpeg';
      const s = isImage ? samplesFromImage(body, inputShape) : samplesFromRaw(body, inputShape);
      const r = await run(s);
      const predictions = nestRows(r.data, r.shape);
      if (!isImage) return { predictions };
      return { predictions, classes: topClasses(r.data, opts.topK ?? 5, opts.labels) };
    }
    if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new BadInputError('expected a JSON object {"instances": [...]} or {"inputs": ...}');
    const o = body as { instances?: unknown; inputs?: unknown; signature_name?: unknown };
    if (o.signature_name !== undefined && o.signature_name !== 'serving_default') throw new BadInputError(`unknown signature_name ${JSON.stringify(o.signature_name)}; this model has serving_default`);
    if (o.instances !== undefined && o.inputs !== undefined) throw new BadInputError('give either "instances" (row format) or "inputs" (columnar format), not both');
    if (o.instances !== undefined) {
      const r = await run(samplesFromInstances(o.instances, inputShape));
      return { predictions: nestRows(r.data, r.shape) };
    }
    if (o.inputs !== undefined) {
      const r = await run(samplesFromInputs(o.inputs, inputShape));
      return { outputs: nestRows(r.data, r.shape) };
    }
    throw new BadInputError('expected "instances" or "inputs" in the request body');
  });

  // ---- KServe v2 / Open Inference Protocol ----
  app.get('/v2/health/live', async () => ({ live: true }));
  app.get('/v2/health/ready', async (_req, reply) => (draining ? reply.code(503).send({ ready: false }) : { ready: true }));
  app.get('/v2/models/:name', async (req, reply) => {
    if (!checkName(req, reply)) return reply;
    return {
      name: opts.name,
      versions: ['1'],
      platform: 'convkit',
      inputs: [{ name: 'input', datatype: 'FP32', shape: dims(inputShape) }],
      outputs: [{ name: 'output', datatype: 'FP32', shape: dims(opts.outputShape) }],
    };
  });
  app.get('/v2/models/:name/ready', async (req, reply) => {
    if (!checkName(req, reply)) return reply;
    return draining ? reply.code(503).send({ name: opts.name, ready: false }) : { name: opts.name, ready: true };
  });
  app.post('/v2/models/:name/infer', async (req, reply) => {
    if (!checkName(req, reply)) return reply;
    const body = req.body as { id?: unknown; inputs?: unknown } | null;
    if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new BadInputError('expected a JSON object {"inputs": [{name, shape, datatype, data}]}');
    if (!Array.isArray(body.inputs) || body.inputs.length !== 1) {
      throw new BadInputError(`"inputs": expected a list with exactly one input tensor, got ${Array.isArray(body.inputs) ? body.inputs.length : typeof body.inputs}`);
    }
    const r = await run(samplesFromV2(body.inputs[0], inputShape));
    return {
      model_name: opts.name,
      model_version: '1',
      ...(typeof body.id === 'string' ? { id: body.id } : {}),
      outputs: [{ name: 'output', datatype: 'FP32', shape: [...r.shape], data: Array.from(r.data) }],
    };
  });

  return {
    app,
    metrics,
    async listen(port, host) {
      return app.listen({ port, host });
    },
    async close() {
      draining = true;
      // fastify.close(): stops accepting, answers new requests on open sockets with 503 and waits for
      // in-flight handlers (which await the predictor). Keep-alive sockets that go idle after their
      // last response would hold the close open until the keep-alive timeout: responses now carry
      // `Connection: close`, and idle sockets are closed as they appear.
      const sweep = setInterval(() => app.server.closeIdleConnections(), 50);
      try {
        await app.close();
      } finally {
        clearInterval(sweep);
      }
      await predictor.close();
    },
  };
}
