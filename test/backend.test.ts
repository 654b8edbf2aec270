import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import * as ck from '../lib/index.js';
import { addonPath, native, describeLoadFailure } from '../lib/native/index.js';

describe('backend', () => {
  it('reports version, ISA, threads, compiler, flags and CPU features', () => {
    const info = ck.backendInfo();
    expect(info.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(info.availableIsas[0]).toBe('scalar');
    expect(info.availableIsas).toContain(info.isa);
    expect(info.threads).toBeGreaterThanOrEqual(1);
    expect(info.compiler).toMatch(/gcc|clang/);
    expect(info.buildFlags).toContain('-O3');
    expect(info.buildFlags).not.toContain('march=native');
    expect(Array.isArray(info.cpu.features)).toBe(true);
    expect(info.bindingFamilies).toEqual(expect.arrayContaining(['core', 'memory']));
  });

  it('setNumThreads changes the pool at run time', () => {
    const n = ck.getNumThreads();
    ck.setNumThreads(3);
    expect(ck.getNumThreads()).toBe(3);
    expect(ck.backendInfo().threads).toBe(3);
    ck.setNumThreads(n);
    expect(() => ck.setNumThreads(0)).toThrow(RangeError);
    expect(() => ck.setNumThreads(2.5)).toThrow(/integer in \[1, 1024\], got 2.5/);
  });

  it('setIsa forces each available ISA and rejects unknown ones', () => {
    for (const isa of ck.backendInfo().availableIsas) {
      ck.setIsa(isa);
      expect(ck.getIsa()).toBe(isa);
    }
    ck.setIsa(null);
    expect(() => ck.setIsa('sse9' as ck.IsaName)).toThrow(/'isa' must be one of 'scalar', 'avx2', 'avx512' or null, got 'sse9'/);
  });

  it('CONVKIT_ISA caps the ISA at load', () => {
    const out = execFileSync(
      process.execPath,
      ['-e', `console.log(require(${JSON.stringify(addonPath())}).getIsa())`],
      { env: { ...process.env, CONVKIT_ISA: 'scalar' }, encoding: 'utf8' },
    );
    expect(out.trim()).toBe('scalar');
  });

  it('CONVKIT_NUM_THREADS sizes the pool at load', () => {
    const out = execFileSync(
      process.execPath,
      ['-e', `console.log(require(${JSON.stringify(addonPath())}).getNumThreads())`],
      { env: { ...process.env, CONVKIT_NUM_THREADS: '3' }, encoding: 'utf8' },
    );
    expect(out.trim()).toBe('3');
  });

  it('raw binding argument errors name the argument, expected vs got', () => {
    const b = native();
    expect(() => b.alloc(-1, true)).toThrow(/'bytes' must be an integer in \[0, \d+\], got -1/);
    expect(() => b.alloc(10, 'yes' as unknown as boolean)).toThrow(/'zero' must be a boolean, got string 'yes'/);
    expect(() => b.free(new Float32Array(2) as unknown as ArrayBuffer)).toThrow(TypeError);
    expect(b.free(new ArrayBuffer(8))).toBe(false); // not ours: refused, not freed
  });

  it('the load-failure message names platform, arch, libc, Node ABI, CPU features and the fix', () => {
    const msg = describeLoadFailure('/nowhere', new Error('No native build was found'));
    expect(msg).toContain(`platform: ${process.platform}, arch: ${process.arch}`);
    expect(msg).toMatch(/libc: (glibc|musl)/);
    expect(msg).toContain(`ABI ${process.versions.modules}`);
    expect(msg).toMatch(/CPU features: /);
    expect(msg).toContain('npm rebuild convkit --build-from-source');
  });

});
