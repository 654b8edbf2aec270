import type { CommandSpec } from '../args.js';

export const serveSpec: CommandSpec = {
  name: 'serve',
  summary: 'Serve a model over HTTP (TF Serving REST and KServe v2 protocols) with dynamic batching.',
  usage: 'convkit serve MODEL [options]',
  positionals: [1, 1],
  description: [
    'Endpoints: POST /v1/models/NAME:predict {"instances": [...]}, POST /v2/models/NAME/infer (KServe v2),',
    'POST /v1/models/NAME:classify with a PNG/JPEG or raw float32 body, GET /v1/models/NAME,',
    'GET /healthz, /readyz, /metrics (Prometheus). SIGTERM drains in-flight requests and exits 0.',
  ].join('\n'),
  options: [
    { name: 'port', short: 'p', type: 'string', value: 'N', description: 'TCP port (0 = any free port, printed at start)', default: '8501' },
    { name: 'host', type: 'string', value: 'ADDR', description: 'address to listen on', default: '127.0.0.1' },
    { name: 'name', type: 'string', value: 'NAME', description: 'model name in the URLs', default: 'the file name without extension' },
    { name: 'max-batch-size', type: 'string', value: 'N', description: 'largest batch the batcher forms', default: '32' },
    { name: 'max-delay-ms', type: 'string', value: 'MS', description: 'how long the first request of a batch waits for company', default: '2' },
    { name: 'concurrency', type: 'string', value: 'N', description: 'batches run at once, one per core (a copy of the weights per lane)', default: '1' },
    { name: 'inline-max-us', type: 'string', value: 'US', description: 'batches whose last run was shorter run on the event-loop thread (0 = never)', default: '500' },
    { name: 'max-queue', type: 'string', value: 'N', description: 'queued samples before requests are refused with 503', default: '1024' },
    { name: 'timeout-ms', type: 'string', value: 'MS', description: 'per-request deadline (504 after it)', default: '30000' },
    { name: 'body-limit', type: 'string', value: 'BYTES', description: 'largest request body accepted (413 above)', default: '16777216' },
    { name: 'threads', type: 'string', value: 'N', description: 'native threads' },
    { name: 'labels', type: 'string', value: 'FILE|LIST', description: 'class names for :classify responses' },
  ],
  examples: ['npx convkit serve lenet.keras --port 8501', 'curl -s localhost:8501/v1/models/lenet:predict -d \'{"instances": [[[[0]]]]}\''],
};
