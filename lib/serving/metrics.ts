/**
 * Prometheus metrics of the server through prom-client, on a registry of its own (so several servers
 * in one process, e.g. in tests, do not collide): requests by route and status, request latency,
 * batch sizes and batch latency of the batcher, queue depth, and the process's default metrics.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface ServerMetrics {
  readonly registry: Registry;
  readonly requests: Counter<'route' | 'code'>;
  readonly latency: Histogram<'route'>;
  readonly batchSize: Histogram;
  readonly batchLatency: Histogram;
  readonly batchErrors: Counter;
}

export function createMetrics(queueDepth: () => number, opts: { defaultMetrics?: boolean } = {}): ServerMetrics {
  const registry = new Registry();
  if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'convkit_' });
  const requests = new Counter({ name: 'convkit_requests_total', help: 'HTTP requests by route and status code', labelNames: ['route', 'code'] as const, registers: [registry] });
  const latency = new Histogram({
    name: 'convkit_request_duration_seconds',
    help: 'HTTP request latency (arrival to response) by route',
    labelNames: ['route'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const batchSize = new Histogram({ name: 'convkit_batch_size', help: 'Samples per batched model call', buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256], registers: [registry] });
  const batchLatency = new Histogram({ name: 'convkit_batch_duration_seconds', help: 'Duration of one batched model call', buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers: [registry] });
  const batchErrors = new Counter({ name: 'convkit_batch_errors_total', help: 'Batched model calls that failed', registers: [registry] });
  new Gauge({
    name: 'convkit_queue_depth',
    help: 'Samples waiting in the batcher queue',
    registers: [registry],
    collect() {
      this.set(queueDepth());
    },
  });
  return { registry, requests, latency, batchSize, batchLatency, batchErrors };
}
