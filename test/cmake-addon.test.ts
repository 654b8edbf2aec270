// The cmake-js build (build-cmake/, made by `npm run build:cmake` or `npm run test:native`) is the
// same addon: load it through CONVKIT_ADDON in a child process and compare a computation.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as ck from '../lib/index.js';
import { packageRoot } from '../lib/native/index.js';

const addon = join(packageRoot(), 'build-cmake', 'Release', 'convkit.node');
const script = `
import * as ck from ${JSON.stringify(join(packageRoot(), 'dist', 'index.js'))};
const x = ck.randomNormal([31, 65], 0, 1, 'float32', 42);
const y = ck.sum(ck.mul(ck.softmax(x), ck.sigmoid(x)), 1);
console.log(JSON.stringify({ info: ck.backendInfo(), y: Array.from(y.dataSync()) }));
`;

describe.runIf(existsSync(addon))('cmake-js build', () => {
  it('loads via CONVKIT_ADDON and computes the same values', () => {
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, CONVKIT_ADDON: addon },
      encoding: 'utf8',
    });
    const r = JSON.parse(out) as { info: ck.BackendInfo; y: number[] };
    expect(r.info.buildSystem).toBe('cmake-js');
    expect(r.info.addonPath).toBe(addon);
    const x = ck.randomNormal([31, 65], 0, 1, 'float32', 42);
    const y = ck.sum(ck.mul(ck.softmax(x), ck.sigmoid(x)), 1);
    expect(r.y).toEqual(Array.from(y.dataSync()));
  });

  it('a missing CONVKIT_ADDON path fails with a clear message', () => {
    let err = '';
    try {
      execFileSync(process.execPath, ['--input-type=module', '-e', script], {
        env: { ...process.env, CONVKIT_ADDON: '/nonexistent/convkit.node' },
        encoding: 'utf8',
        stdio: 'pipe',
      });
    } catch (e) {
      err = String((e as { stderr: string }).stderr);
    }
    expect(err).toContain('CONVKIT_ADDON=/nonexistent/convkit.node does not exist');
  });
});
