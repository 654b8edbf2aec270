// Run with: node --expose-gc test/helpers/memory-child.mjs  (uses the built dist/)
// Prints one JSON line with memory figures before/after 100,000 small ops and 1,000 large ones,
// both with dispose() and left to the garbage collector.
import * as ck from '../../dist/index.js';

const gc = globalThis.gc;
if (!gc) throw new Error('run with --expose-gc');

async function settle() {
  // Finalizers of external ArrayBuffers run on a later turn of the event loop: alternate GCs and
  // turns until the live native bytes stop changing.
  let prev = -1;
  let stable = 0;
  for (let i = 0; i < 30 && stable < 3; i++) {
    gc();
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setTimeout(r, 5));
    const now = ck.memory().numBytes;
    stable = now === prev ? stable + 1 : 0;
    prev = now;
  }
}

function snapshot() {
  const m = process.memoryUsage();
  return { native: ck.memory().numBytes, buffers: ck.memory().numBuffers, cached: ck.memory().cachedBytes, rss: m.rss, heapUsed: m.heapUsed, arrayBuffers: m.arrayBuffers };
}

const small = ck.tensor([1, 2, 3, 4, 5, 6, 7], [7]);
const big = ck.randomNormal([1024, 1024], 0, 1, 'float32', 1); // 4 MB
// Warm up (JIT, lazily created pools), then take the baseline.
// Warm-up: JIT and lazily created pools.
for (let i = 0; i < 2000; i++) ck.mul(ck.relu(small), 2).dispose();
for (let i = 0; i < 5; i++) ck.add(big, big).dispose();
await settle();
const base = snapshot();

// 1) 100,000 small ops, each result disposed at once.
for (let i = 0; i < 100_000; i++) {
  const y = ck.mul(ck.relu(small), 2);
  y.dispose();
}
await settle();
const afterSmallDisposed = snapshot();

// 2) 100,000 small ops never disposed: the GC must free them.
let peakNative = 0;
for (let i = 0; i < 100_000; i++) {
  ck.add(small, small);
  if (i % 1000 === 0) await new Promise((r) => setImmediate(r));
}
await settle();
const afterSmallGc = snapshot();

// 3) 1,000 large ops (4 MB each), disposed.
for (let i = 0; i < 1000; i++) ck.add(big, 1).dispose();
await settle();
const afterLargeDisposed = snapshot();

// 4) 1,000 large ops never disposed (4 GB in total): V8 must count the external memory and collect.
for (let i = 0; i < 1000; i++) {
  ck.add(big, 1);
  peakNative = Math.max(peakNative, ck.memory().numBytes);
  if (i % 10 === 0) await new Promise((r) => setImmediate(r));
}
await settle();
const afterLargeGc = snapshot();

console.log(JSON.stringify({ base, afterSmallDisposed, afterSmallGc, afterLargeDisposed, afterLargeGc, peakNative }));
