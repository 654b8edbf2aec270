// Async native work: runs off the main thread, many concurrent calls equal serial results,
// AbortSignal aborts long work, and dispose() during async work is safe.
import { describe, expect, it } from 'vitest';
import * as ck from '../lib/index.js';
import { native } from '../lib/native/index.js';
import { nativeAsync } from '../lib/ops/async.js';
import { referenceConv2dAsync, referenceMatMul, referenceMatMulAsync } from '../lib/ops/reference.js';
import { allocTensor, f32 } from '../lib/tensor/internal.js';

describe('async ops', () => {
  it('a timer keeps ticking during a long native computation', async () => {
    const a = ck.randomNormal([500, 500], 0, 1, 'float32', 1);
    const b = ck.randomNormal([500, 500], 0, 1, 'float32', 2);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    const t0 = performance.now();
    const c = await referenceMatMulAsync(a, b);
    const ms = performance.now() - t0;
    clearInterval(timer);
    console.log(`referenceMatMulAsync 500^3 took ${ms.toFixed(0)} ms, timer ticked ${ticks} times`);
    expect(ms).toBeGreaterThan(30); // long enough to be meaningful
    // A blocking call would give 0 ticks. On a busy 2-core machine the event loop itself gets
    // little CPU, so only require that it clearly kept running.
    expect(ticks).toBeGreaterThanOrEqual(3);
    expect(Array.from(c.dataSync())).toEqual(Array.from(referenceMatMul(a, b).dataSync()));
  });

  it('many concurrent async calls give the same results as serial sync ones', async () => {
    const xs = Array.from({ length: 24 }, (_, i) => ck.randomNormal([37, 129], 0, 2, 'float32', 10 + i));
    const serial = xs.map((x) => [
      ck.softmax(x, 0).dataSync(),
      ck.sum(x, 1).dataSync(),
      ck.transpose(x).dataSync(),
      ck.add(x, x).dataSync(),
      ck.tanh(x).dataSync(),
    ]);
    const concurrent = await Promise.all(
      xs.map(async (x) => {
        const r = await Promise.all([
          ck.softmaxAsync(x, 0),
          ck.sumAsync(x, 1),
          ck.transposeAsync(x),
          ck.addAsync(x, x),
          ck.unaryOpAsync('tanh', x),
        ]);
        return r.map((t) => t.dataSync());
      }),
    );
    for (let i = 0; i < xs.length; i++)
      for (let k = 0; k < 5; k++) expect(Array.from(concurrent[i]![k]!)).toEqual(Array.from(serial[i]![k]!));
  });

  it('AbortSignal aborts a long op; the output is freed', async () => {
    const x = ck.randomNormal([2, 128, 128, 64], 0, 1, 'float32', 3);
    const w = ck.randomNormal([3, 3, 64, 64], 0, 1, 'float32', 4);
    const out = allocTensor([2, 128, 128, 64]);
    const ac = new AbortController();
    const t0 = performance.now();
    // The same path as referenceConv2dAsync, with the output in hand to check it is freed.
    const p = nativeAsync([x, w], out, (cell) =>
      native().referenceConv2dAsync(f32(x), x.shape, f32(w), w.shape, null, f32(out), [1, 1], [1, 1], 'same', 1, cell),
      { signal: ac.signal },
    );
    setTimeout(() => ac.abort(new Error('stop')), 30);
    const err = await p.then(
      () => null,
      (e: unknown) => e as Error,
    );
    const ms = performance.now() - t0;
    console.log(`aborted after ${ms.toFixed(0)} ms`);
    expect(err).toBeInstanceOf(Error);
    expect(err!.name).toBe('AbortError');
    expect((err as Error & { code: string }).code).toBe('ABORT_ERR');
    expect((err!.cause as Error).message).toBe('stop');
    expect(ms).toBeLessThan(2000); // the full conv takes far longer (~2.4 GMAC in double)
    expect(out.isDisposed).toBe(true);
    // The public wrapper aborts the same way.
    const ac2 = new AbortController();
    const p2 = referenceConv2dAsync(x, w, null, { padding: 'same', signal: ac2.signal });
    ac2.abort();
    await expect(p2).rejects.toMatchObject({ name: 'AbortError' });
    // An already-aborted signal rejects at once.
    await expect(ck.sumAsync(x, undefined, false, { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('dispose() during async work is deferred until the work is done', async () => {
    const a = ck.randomNormal([300, 300], 0, 1, 'float32', 5);
    const b = ck.randomNormal([300, 300], 0, 1, 'float32', 6);
    const want = referenceMatMul(a, b).dataSync();
    const before = ck.memory().numBuffers;
    const p = referenceMatMulAsync(a, b);
    a.dispose();
    b.dispose();
    expect(a.isDisposed).toBe(true);
    // Synchronously (no GC finalizer can run here): a and b are still allocated (pinned), plus the output.
    expect(ck.memory().numBuffers).toBe(before + 1);
    const pending = ck.memory().numBytes;
    const c = await p;
    expect(Array.from(c.dataSync())).toEqual(Array.from(want));
    // a and b (360 KB each) were freed when the work finished (the GC can only free more).
    expect(ck.memory().numBytes).toBeLessThanOrEqual(pending - 2 * 300 * 300 * 4);
  });

  it('async argument errors reject (never throw synchronously)', async () => {
    const x = ck.tensor([1, 2, 3]);
    const p = ck.sumAsync(x, 5);
    await expect(p).rejects.toThrow(RangeError);
    x.dispose();
    await expect(ck.softmaxAsync(x)).rejects.toThrow(/disposed/);
  });
});
