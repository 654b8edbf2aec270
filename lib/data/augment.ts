/**
 * Simple image augmentation on HWC float batches, driven by a seeded generator so a run is
 * reproducible: horizontal flip, random crop after zero padding (the CIFAR recipe of He et al. 2016,
 * §4.2: pad 4, crop 32×32), and random shift (a crop with padding by another name, clamped).
 * Each function writes a new array and never touches its input.
 */

export interface AugmentOptions {
  /** Mirror left–right with probability 0.5. */
  flip?: boolean;
  /** Pad by this many zero pixels on every side, then crop back to the original size at a random offset. */
  cropPadding?: number;
  /** Shift by up to this fraction of the width/height (uniform), filling with zeros. */
  shift?: number;
}

export interface ImageBatch {
  readonly data: Float32Array;
  /** [n, h, w, c] */
  readonly shape: readonly [number, number, number, number];
}

/** Copies image i translated by (dy, dx) (positive = content moves down/right), zero-filled. */
function translate(src: Float32Array, dst: Float32Array, base: number, h: number, w: number, c: number, dy: number, dx: number, flip: boolean): void {
  for (let y = 0; y < h; y++) {
    const sy = y - dy;
    for (let x = 0; x < w; x++) {
      const o = base + (y * w + x) * c;
      let sx = x - dx;
      if (flip) sx = w - 1 - sx;
      if (sy < 0 || sy >= h || sx < 0 || sx >= w) {
        for (let k = 0; k < c; k++) dst[o + k] = 0;
      } else {
        const s = base + (sy * w + sx) * c;
        for (let k = 0; k < c; k++) dst[o + k] = src[s + k]!;
      }
    }
  }
}

/**
 * One augmented copy of the batch. Per image, draws (in this order) flip, then the crop or shift
 * offsets, from `rand` (U[0,1)); the same seed gives the same batch.
 */
export function augmentBatch(batch: ImageBatch, opts: AugmentOptions, rand: () => number): Float32Array {
  const [n, h, w, c] = batch.shape;
  const out = new Float32Array(batch.data.length);
  const per = h * w * c;
  const pad = opts.cropPadding ?? 0;
  const shift = opts.shift ?? 0;
  if (!Number.isInteger(pad) || pad < 0) throw new RangeError(`augment: cropPadding must be a non-negative integer, got ${pad}`);
  if (!(shift >= 0 && shift < 1)) throw new RangeError(`augment: shift must be in [0, 1), got ${shift}`);
  for (let i = 0; i < n; i++) {
    const flip = opts.flip === true && rand() < 0.5;
    let dy = 0;
    let dx = 0;
    if (pad > 0) {
      // crop offset in the padded image is u ∈ [0, 2·pad]; the content moves by pad − u
      dy = pad - Math.floor(rand() * (2 * pad + 1));
      dx = pad - Math.floor(rand() * (2 * pad + 1));
    }
    if (shift > 0) {
      const my = Math.round(shift * h);
      const mx = Math.round(shift * w);
      dy += Math.floor(rand() * (2 * my + 1)) - my;
      dx += Math.floor(rand() * (2 * mx + 1)) - mx;
    }
    translate(batch.data, out, i * per, h, w, c, dy, dx, flip);
  }
  return out;
}

export function randomFlip(batch: ImageBatch, rand: () => number): Float32Array {
  return augmentBatch(batch, { flip: true }, rand);
}

export function randomCrop(batch: ImageBatch, padding: number, rand: () => number): Float32Array {
  return augmentBatch(batch, { cropPadding: padding }, rand);
}

export function randomShift(batch: ImageBatch, fraction: number, rand: () => number): Float32Array {
  return augmentBatch(batch, { shift: fraction }, rand);
}
