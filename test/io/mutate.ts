/** Deterministic file mutations for the fuzz and hostile-input tests. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    // xorshift32
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x100000000;
  };
}

export type Mut = (b: Uint8Array, r: () => number) => Uint8Array;
export const bitFlips: Mut = (b, r) => {
  const c = b.slice();
  const n = 1 + Math.floor(r() * 8);
  for (let i = 0; i < n; i++) {
    const p = r() < 0.7 ? Math.floor(r() * Math.min(c.length, 8192)) : Math.floor(r() * c.length);
    c[p]! ^= 1 << Math.floor(r() * 8);
  }
  return c;
};
export const truncate: Mut = (b, r) => b.slice(0, Math.floor(r() * b.length));
export const swapRanges: Mut = (b, r) => {
  const c = b.slice();
  const span = Math.min(c.length, 16384);
  const len = 4 + Math.floor(r() * 60);
  const a = Math.floor(r() * Math.max(1, span - len));
  const d = Math.floor(r() * Math.max(1, span - len));
  const tmp = c.slice(a, a + len);
  c.copyWithin(a, d, d + len);
  c.set(tmp.subarray(0, Math.min(tmp.length, c.length - d)), d);
  return c;
};
/** JSON: swap the values of two random keys anywhere in the document. */
export const jsonSwap: Mut = (b, r) => {
  const doc = JSON.parse(new TextDecoder().decode(b)) as unknown;
  const slots: [Record<string, unknown>, string][] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) {
      slots.push([v as Record<string, unknown>, k]);
      walk(x);
    }
  };
  walk(doc);
  for (let i = 0; i < 3 && slots.length > 1; i++) {
    const [o1, k1] = slots[Math.floor(r() * slots.length)]!;
    const [o2, k2] = slots[Math.floor(r() * slots.length)]!;
    const t = o1[k1];
    o1[k1] = o2[k2];
    o2[k2] = t;
  }
  return new TextEncoder().encode(JSON.stringify(doc));
};

