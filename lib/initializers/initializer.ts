/**
 * Weight initializers with Keras semantics and TF.js camelCase names. An initializer turns a
 * shape into values (float64 math, stored as float32).
 *
 * Randomness: without a seed an initializer draws from the process-wide generator (lib/random,
 * `setSeed(n)` makes a run reproducible). With `seed`, every generate() call starts a generator
 * of its own from that seed, so it returns the same values each time, whatever else was drawn
 * (Keras 3: "a seeded initializer will produce the same random values across multiple calls";
 * TF.js likewise).
 */
import { globalRng, Rng } from '../random/index.js';

export type InitializerConfig = Record<string, unknown>;

export abstract class Initializer {
  abstract readonly className: string;
  /** Values for a tensor of `shape`, row-major. */
  abstract generate(shape: readonly number[]): Float32Array;
  getConfig(): InitializerConfig {
    return {};
  }
}

/** A seed argument: a finite number, or null/undefined for the global generator. */
export function checkSeed(seed: unknown, who: string): number | null {
  if (seed === undefined || seed === null) return null;
  if (typeof seed !== 'number' || !Number.isFinite(seed)) throw new RangeError(`${who}: seed must be a finite number or null, got ${typeof seed === 'number' ? String(seed) : JSON.stringify(seed)}`);
  return seed;
}

/** An initializer drawing random numbers: from its own generator when seeded (see the file comment). */
export abstract class RandomInitializer extends Initializer {
  readonly seed: number | null;
  constructor(seed: number | null | undefined, who: string) {
    super();
    this.seed = checkSeed(seed, who);
  }
  /** The generator for one generate() call. */
  protected rng(): Rng {
    return this.seed === null ? globalRng() : new Rng(this.seed);
  }
  protected seedConfig(): InitializerConfig {
    return { seed: this.seed };
  }
}

function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * Keras's compute_fans: dense kernels [in, out]; conv kernels [...spatial, in, out] with the
 * receptive-field size multiplying both fans.
 */
export function computeFans(shape: readonly number[]): [number, number] {
  if (shape.length === 0) return [1, 1];
  if (shape.length === 1) return [shape[0]!, shape[0]!];
  if (shape.length === 2) return [shape[0]!, shape[1]!];
  const rf = size(shape.slice(0, -2));
  return [shape[shape.length - 2]! * rf, shape[shape.length - 1]! * rf];
}

export class Zeros extends Initializer {
  readonly className = 'Zeros';
  generate(shape: readonly number[]): Float32Array {
    return new Float32Array(size(shape));
  }
}

export class Ones extends Initializer {
  readonly className = 'Ones';
  generate(shape: readonly number[]): Float32Array {
    return new Float32Array(size(shape)).fill(1);
  }
}

export class Constant extends Initializer {
  readonly className = 'Constant';
  constructor(readonly value = 0) {
    super();
    if (!Number.isFinite(value)) throw new RangeError(`constant: value must be finite, got ${value}`);
  }
  generate(shape: readonly number[]): Float32Array {
    return new Float32Array(size(shape)).fill(this.value);
  }
  override getConfig(): InitializerConfig {
    return { value: this.value };
  }
}

export class RandomUniform extends RandomInitializer {
  readonly className = 'RandomUniform';
  constructor(readonly minval = -0.05, readonly maxval = 0.05, seed: number | null = null) {
    super(seed, 'randomUniform');
    if (!(maxval >= minval)) throw new RangeError(`randomUniform: maxval (${maxval}) must be >= minval (${minval})`);
  }
  generate(shape: readonly number[]): Float32Array {
    const out = new Float32Array(size(shape));
    const rng = this.rng();
    for (let i = 0; i < out.length; i++) out[i] = this.minval + (this.maxval - this.minval) * rng.random();
    return out;
  }
  override getConfig(): InitializerConfig {
    return { minval: this.minval, maxval: this.maxval, ...this.seedConfig() };
  }
}

export class RandomNormal extends RandomInitializer {
  readonly className: string = 'RandomNormal';
  constructor(readonly mean = 0, readonly stddev = 0.05, seed: number | null = null) {
    super(seed, 'randomNormal');
    if (!(stddev >= 0)) throw new RangeError(`randomNormal: stddev must be >= 0, got ${stddev}`);
  }
  generate(shape: readonly number[]): Float32Array {
    const out = new Float32Array(size(shape));
    const rng = this.rng();
    for (let i = 0; i < out.length; i++) out[i] = this.mean + this.stddev * rng.normal();
    return out;
  }
  override getConfig(): InitializerConfig {
    return { mean: this.mean, stddev: this.stddev, ...this.seedConfig() };
  }
}

export class TruncatedNormal extends RandomNormal {
  override readonly className = 'TruncatedNormal';
  override generate(shape: readonly number[]): Float32Array {
    const out = new Float32Array(size(shape));
    const rng = this.rng();
    for (let i = 0; i < out.length; i++) out[i] = this.mean + this.stddev * rng.truncatedNormal();
    return out;
  }
}

export type FanMode = 'fanIn' | 'fanOut' | 'fanAvg';
export type Distribution = 'truncatedNormal' | 'normal' | 'uniform' | 'untruncatedNormal';

/**
 * Keras VarianceScaling: variance = scale / n with n the chosen fan. Uniform draws from
 * ±sqrt(3·variance); truncated normal uses stddev = sqrt(variance) / 0.87962566103423978 (the
 * stddev of N(0,1) truncated to [-2, 2]) so the drawn values keep the target variance.
 */
export class VarianceScaling extends RandomInitializer {
  readonly className: string = 'VarianceScaling';
  constructor(
    readonly scale = 1,
    readonly mode: FanMode = 'fanIn',
    readonly distribution: Distribution = 'truncatedNormal',
    seed: number | null = null,
  ) {
    super(seed, 'varianceScaling');
    if (!(scale > 0)) throw new RangeError(`varianceScaling: scale must be > 0, got ${scale}`);
    if (!['fanIn', 'fanOut', 'fanAvg'].includes(mode)) throw new RangeError(`varianceScaling: mode must be fanIn|fanOut|fanAvg, got ${mode}`);
    if (!['truncatedNormal', 'normal', 'uniform', 'untruncatedNormal'].includes(distribution)) {
      throw new RangeError(`varianceScaling: distribution must be truncatedNormal|normal|untruncatedNormal|uniform, got ${distribution}`);
    }
  }
  generate(shape: readonly number[]): Float32Array {
    const [fanIn, fanOut] = computeFans(shape);
    const n = this.mode === 'fanIn' ? fanIn : this.mode === 'fanOut' ? fanOut : (fanIn + fanOut) / 2;
    const variance = this.scale / Math.max(1, n);
    const out = new Float32Array(size(shape));
    const rng = this.rng();
    if (this.distribution === 'uniform') {
      const limit = Math.sqrt(3 * variance);
      for (let i = 0; i < out.length; i++) out[i] = (2 * rng.random() - 1) * limit;
    } else if (this.distribution === 'truncatedNormal') {
      const std = Math.sqrt(variance) / 0.8796256610342398;
      for (let i = 0; i < out.length; i++) out[i] = std * rng.truncatedNormal();
    } else {
      const std = Math.sqrt(variance);
      for (let i = 0; i < out.length; i++) out[i] = std * rng.normal();
    }
    return out;
  }
  override getConfig(): InitializerConfig {
    return { scale: this.scale, mode: this.mode, distribution: this.distribution, ...this.seedConfig() };
  }
}

class Preset extends VarianceScaling {
  constructor(
    override readonly className: string,
    scale: number,
    mode: FanMode,
    distribution: Distribution,
    seed: number | null,
  ) {
    super(scale, mode, distribution, seed);
  }
  override getConfig(): InitializerConfig {
    return this.seedConfig();
  }
}

export interface SeedArgs {
  seed?: number | null;
}

export const glorotUniformInit = (a: SeedArgs = {}): Initializer => new Preset('GlorotUniform', 1, 'fanAvg', 'uniform', a.seed ?? null);
export const glorotNormalInit = (a: SeedArgs = {}): Initializer => new Preset('GlorotNormal', 1, 'fanAvg', 'truncatedNormal', a.seed ?? null);
export const heNormalInit = (a: SeedArgs = {}): Initializer => new Preset('HeNormal', 2, 'fanIn', 'truncatedNormal', a.seed ?? null);
export const heUniformInit = (a: SeedArgs = {}): Initializer => new Preset('HeUniform', 2, 'fanIn', 'uniform', a.seed ?? null);
export const lecunNormalInit = (a: SeedArgs = {}): Initializer => new Preset('LecunNormal', 1, 'fanIn', 'truncatedNormal', a.seed ?? null);
export const lecunUniformInit = (a: SeedArgs = {}): Initializer => new Preset('LecunUniform', 1, 'fanIn', 'uniform', a.seed ?? null);

/**
 * Orthogonal: QR of a Gaussian matrix (rows = prod(shape[:-1]), cols = shape[-1]), Q made unique by
 * the signs of diag(R) (Saxe et al. 2013; Keras's Orthogonal). Householder-free modified
 * Gram–Schmidt in float64 is enough at initialisation sizes.
 */
export class Orthogonal extends RandomInitializer {
  readonly className = 'Orthogonal';
  constructor(readonly gain = 1, seed: number | null = null) {
    super(seed, 'orthogonal');
  }
  generate(shape: readonly number[]): Float32Array {
    if (shape.length < 2) throw new RangeError(`orthogonal: needs a shape of rank >= 2, got [${shape.join(', ')}]`);
    const cols = shape[shape.length - 1]!;
    const rows = size(shape) / cols;
    // Work on the tall orientation: columns of a (big x small) matrix are made orthonormal.
    const tall = rows >= cols;
    const m = tall ? rows : cols;
    const n = tall ? cols : rows;
    const a = new Float64Array(m * n); // column-major: column j at a[j*m ...]
    const rng = this.rng();
    for (let i = 0; i < a.length; i++) a[i] = rng.normal();
    for (let j = 0; j < n; j++) {
      const cj = a.subarray(j * m, (j + 1) * m);
      for (let k = 0; k < j; k++) {
        const ck = a.subarray(k * m, (k + 1) * m);
        let dot = 0;
        for (let i = 0; i < m; i++) dot += ck[i]! * cj[i]!;
        for (let i = 0; i < m; i++) cj[i] = cj[i]! - dot * ck[i]!;
      }
      let norm = 0;
      for (let i = 0; i < m; i++) norm += cj[i]! * cj[i]!;
      norm = Math.sqrt(norm) || 1;
      for (let i = 0; i < m; i++) cj[i] = cj[i]! / norm;
    }
    const out = new Float32Array(rows * cols);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        // tall: element (r, c) = column c, row r. wide: transpose.
        out[r * cols + c] = this.gain * (tall ? a[c * m + r]! : a[r * m + c]!);
      }
    }
    return out;
  }
  override getConfig(): InitializerConfig {
    return { gain: this.gain, ...this.seedConfig() };
  }
}
