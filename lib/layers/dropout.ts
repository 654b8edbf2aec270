/**
 * Regularisation layers active only in training: Dropout (inverted dropout: kept units scaled by
 * 1/(1 − rate), so inference is the identity), SpatialDropout2D (whole feature maps dropped:
 * noise shape [N, 1, 1, C]) and GaussianNoise (additive N(0, stddev²)).
 *
 * Randomness: without `seed` masks and noise come from the global generator (`setSeed`). With
 * `seed` the layer owns a generator started from it (layerRng): its draws are the same in every
 * run and do not depend on, nor disturb, any other draw; successive calls get fresh masks (the
 * generator advances), as Keras 3's seeded layers do.
 */
import type { Tensor } from '../tensor/index.js';
import { checkSeed } from '../initializers/index.js';
import { globalRng, Rng } from '../random/index.js';
import { type CallArgs, Layer, type LayerArgs, type LayerConfig, type LayerInput, singleInput, singleShape, checkRank } from './layer.js';
import { registerLayer } from './registry.js';
import { checkDataFormat, checkRate, type DataFormat, type Shape } from './shape.js';
import * as K from './backend.js';

export interface DropoutArgs extends LayerArgs {
  rate: number;
  /** Shape of the binary mask, broadcast against the input (null entries: the input's size). */
  noiseShape?: (number | null)[] | null;
  seed?: number | null;
}

export class Dropout extends Layer {
  static override readonly className: string = 'Dropout';
  readonly rate: number;
  readonly noiseShape: (number | null)[] | null;
  readonly seed: number | null;
  private readonly ownRng: Rng | null;
  constructor(args: DropoutArgs) {
    super(args);
    this.rate = checkRate(args?.rate, `${this.getClassName()} '${this.name}': rate`);
    this.noiseShape = args.noiseShape ? [...args.noiseShape] : null;
    this.seed = checkSeed(args.seed, `${this.getClassName()} '${this.name}'`);
    this.ownRng = this.seed === null ? null : new Rng(this.seed);
  }

  /** This layer's generator when seeded, else the global one (read at call time: setSeed replaces it). */
  protected rng(): Rng {
    return this.ownRng ?? globalRng();
  }

  protected maskShape(x: Tensor): number[] {
    if (!this.noiseShape) return [...x.shape];
    if (this.noiseShape.length !== x.shape.length) {
      throw new RangeError(`noiseShape ${JSON.stringify(this.noiseShape)} must have the input's rank ${x.shape.length}`);
    }
    return this.noiseShape.map((d, i) => (d === null ? x.shape[i]! : d));
  }

  override call(inputs: LayerInput, kwargs: CallArgs): Tensor {
    const x = singleInput(inputs);
    if (!kwargs.training || this.rate === 0) return x;
    // mask_i = [u_i ≥ rate] / (1 − rate), u ~ U[0,1): E[mask] = 1, so inference needs no rescale.
    const mask = K.withoutTape(() => K.dropoutMask(this.maskShape(x), this.rate, this.rng()));
    return K.mul(x, mask);
  }

  override getConfig(): LayerConfig {
    return { ...super.getConfig(), rate: this.rate, noiseShape: this.noiseShape, seed: this.seed };
  }
}

export interface SpatialDropout2DArgs extends LayerArgs {
  rate: number;
  dataFormat?: DataFormat;
  seed?: number | null;
}

export class SpatialDropout2D extends Dropout {
  static override readonly className: string = 'SpatialDropout2D';
  readonly dataFormat: DataFormat;
  constructor(args: SpatialDropout2DArgs) {
    super({ ...args, noiseShape: null });
    this.dataFormat = checkDataFormat(args.dataFormat);
  }
  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = singleShape(this, inputShape);
    checkRank(s, 4);
    return s;
  }
  protected override maskShape(x: Tensor): number[] {
    if (x.shape.length !== 4) throw new RangeError(`expected an input of rank 4, got shape [${x.shape.join(', ')}]`);
    const [n, a, , c] = x.shape as [number, number, number, number];
    return this.dataFormat === 'channelsLast' ? [n, 1, 1, c] : [n, a, 1, 1];
  }
  override getConfig(): LayerConfig {
    const { noiseShape: _n, ...rest } = super.getConfig();
    return { ...rest, dataFormat: this.dataFormat };
  }
}

export interface GaussianNoiseArgs extends LayerArgs {
  stddev: number;
  seed?: number | null;
}

export class GaussianNoise extends Layer {
  static override readonly className: string = 'GaussianNoise';
  readonly stddev: number;
  readonly seed: number | null;
  private readonly ownRng: Rng | null;
  constructor(args: GaussianNoiseArgs) {
    super(args);
    if (typeof args?.stddev !== 'number' || !(args.stddev >= 0)) {
      throw new RangeError(`GaussianNoise '${this.name}': stddev must be a number >= 0, got ${JSON.stringify(args?.stddev)}`);
    }
    this.stddev = args.stddev;
    this.seed = checkSeed(args.seed, `GaussianNoise '${this.name}'`);
    this.ownRng = this.seed === null ? null : new Rng(this.seed);
  }
  override call(inputs: LayerInput, kwargs: CallArgs): Tensor {
    const x = singleInput(inputs);
    if (!kwargs.training || this.stddev === 0) return x;
    const noise = K.withoutTape(() => K.randomNormalTensor([...x.shape], 0, this.stddev, this.ownRng ?? globalRng()));
    return K.add(x, noise);
  }
  override getConfig(): LayerConfig {
    return { ...super.getConfig(), stddev: this.stddev, seed: this.seed };
  }
}

registerLayer(Dropout);
registerLayer(SpatialDropout2D);
registerLayer(GaussianNoise);
