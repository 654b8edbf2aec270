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
  const killTimer = setTimeout(() => child.kill('SIGKILL'), 60_000);
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

const zeros = { instances: [Array.from({ length: 28 }, () => Array.from({ length: 28 }, () => [0]))] };

describe('convkit serve', () => {
  it('serves over HTTP and drains in-flight requests on SIGTERM (none lost), then exits 0', async () => {
    const s = await startServer(['lenet5', '--port', '0', '--max-delay-ms', '300', '--max-batch-size', '64', '--name', 'digits']);
    const health = await fetch(`${s.url}/healthz`);
    expect(health.status).toBe(200);
    // 20 requests wait in the batcher (300 ms delay) when SIGTERM arrives
    const inflight = Array.from({ length: 20 }, () =>
      fetch(`${s.url}/v1/models/digits:predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(zeros) }).then(async (r) => ({ status: r.status, body: (await r.json()) as { predictions?: number[][] } })),
    );
    await new Promise((r) => setTimeout(r, 100));
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
  });
});
