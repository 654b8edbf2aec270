import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, TSX } from './helpers.js';

/** `convkit serve` in a subprocess; resolves once it prints its address. */
function startServer(args: string[]): Promise<{ url: string; exited: Promise<number | null>; kill: (s: NodeJS.Signals) => void; stderr: () => string }> {
  const child = spawn(process.execPath, ['--import', TSX, join(ROOT, 'test', 'cli', 'run-cli.ts'), 'serve', ...args], { cwd: ROOT, env: { ...process.env, CONVKIT_NUM_THREADS: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const exited = new Promise<number | null>((res) => child.on('close', (code) => res(code)));
  const killTimer = setTimeout(() => child.kill('SIGKILL'), 110_000);
  void exited.then(() => clearTimeout(killTimer));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((res, rej) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /on (http:\/\/[\d.]+:\d+)/.exec(out);
      if (m) res({ url: m[1]!, exited, kill: (s) => child.kill(s), stderr: () => err });
    });
    void exited.then((code) => rej(new Error(`serve exited early (${code}): ${err}`)));
  });
}

/**
 * Polls /metrics until every one of `n` requests has reached the server: queued in the batcher
 * (convkit_queue_depth) or already answered (`answered()`; under heavy load the batch delay may
 * expire while we poll, which is harmless). Gives up after 60 s.
 */
async function waitUntilArrived(url: string, n: number, answered: () => number): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const text = await (await fetch(`${url}/metrics`)).text();
    const m = /^convkit_queue_depth (\d+)/m.exec(text);
    if (m && Number(m[1]) + answered() >= n) return;
    if (Date.now() > deadline) throw new Error(`only ${m?.[1] ?? '?'} queued + ${answered()} answered of ${n} requests after 60 s`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const zeros = { instances: [Array.from({ length: 28 }, () => Array.from({ length: 28 }, () => [0]))] };

describe('convkit serve', () => {
  it('serves over HTTP and drains in-flight requests on SIGTERM (none lost), then exits 0', async () => {
    // Two lanes: SIGTERM's drain must wait for every lane's batch.
    const s = await startServer(['lenet5', '--port', '0', '--max-delay-ms', '3000', '--max-batch-size', '8', '--concurrency', '2', '--name', 'digits']);
    const health = await fetch(`${s.url}/healthz`);
    expect(health.status).toBe(200);
    // 20 requests wait in the batcher (3 s delay) when SIGTERM arrives
    let answered = 0;
    const inflight = Array.from({ length: 20 }, () =>
      fetch(`${s.url}/v1/models/digits:predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(zeros) }).then(async (r) => {
        answered++;
        return { status: r.status, body: (await r.json()) as { predictions?: number[][] } };
      }),
    );
    // SIGTERM only once all 20 are really queued (event order, not a fixed sleep: under CPU load
    // 100 ms was sometimes too short for the requests to reach the server, and a request arriving
    // after SIGTERM is rightly refused). The 3 s batch delay keeps them queued while we look.
    await waitUntilArrived(s.url, 20, () => answered);
    s.kill('SIGTERM');
    const results = await Promise.all(inflight);
    for (const r of results) {
      expect(r.status).toBe(200);
      expect(r.body.predictions![0]).toHaveLength(10);
    }
    expect(await s.exited).toBe(0);
    expect(s.stderr()).toMatch(/SIGTERM: draining in-flight requests[\s\S]*stopped/);
    await expect(fetch(`${s.url}/healthz`)).rejects.toThrow();
  });

  it('rejects bad serve options with exit 2', async () => {
    const { convkit } = await import('./helpers.js');
    const r = await convkit(['serve', 'lenet5', '--port', '70000']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--port expects an integer in \[0, 65535\]/);
    const c = await convkit(['serve', 'lenet5', '--concurrency', '0']);
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(/--concurrency expects an integer in \[1, 64\]/);
  });
});
