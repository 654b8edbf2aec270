/**
 * LayerNormalization (Ba et al. 2016): per sample, y = γ·(x − μ)/√(σ² + ε) + β with μ, σ² over
 * `axis` (default the last); γ, β have the shape of the normalised axes.
 */
import type { Tensor } from '../tensor/index.js';
import type { Initializer, SerializedInitializer } from '../initializers/index.js';
import { type CallArgs, Layer, type LayerArgs, type LayerConfig, type LayerInput, singleInput, singleShape } from './layer.js';
import { registerLayer } from './registry.js';
import type { Shape } from './shape.js';
import type { LayerVariable } from './variable.js';
import { initConfig } from './config_util.js';
import * as K from './backend.js';

export interface LayerNormalizationArgs extends LayerArgs {
  axis?: number | number[];
  epsilon?: number;
  center?: boolean;
  scale?: boolean;
  betaInitializer?: Initializer | string | SerializedInitializer;
  gammaInitializer?: Initializer | string | SerializedInitializer;
}

export class LayerNormalization extends Layer {
  static override readonly className: string = 'LayerNormalization';
  readonly axis: number[];
  readonly epsilon: number;
  readonly center: boolean;
  readonly scale: boolean;
  private readonly args: LayerNormalizationArgs;
  gamma: LayerVariable | null = null;
  beta: LayerVariable | null = null;

  constructor(args: LayerNormalizationArgs = {}) {
    super(args);
    this.axis = typeof args.axis === 'number' ? [args.axis] : args.axis ? [...args.axis] : [-1];
    this.epsilon = args.epsilon ?? 1e-3;
    if (!(this.epsilon > 0)) throw new RangeError(`LayerNormalization '${this.name}': epsilon must be > 0, got ${args.epsilon}`);
    this.center = args.center ?? true;
    this.scale = args.scale ?? true;
    this.args = args;
  }

  private axes(rank: number): number[] {
    const out = this.axis.map((a) => (a < 0 ? rank + a : a));
    for (const a of out) if (a <= 0 || a >= rank) throw new RangeError(`axis ${JSON.stringify(this.axis)} is out of range for an input of rank ${rank}`);
    return [...new Set(out)].sort((p, q) => p - q);
  }

  override build(inputShape: Shape | Shape[]): void {
    const s = singleShape(this, inputShape);
    const axes = this.axes(s.length);
    const pshape = axes.map((a) => {
      const d = s[a];
      if (d === null || d === undefined) throw new RangeError(`axis ${a}: the normalised dimension must be known`);
      return d;
    });
    if (this.scale) this.gamma = this.addWeight('gamma', pshape, this.args.gammaInitializer, { defaultInitializer: 'ones' });
    if (this.center) this.beta = this.addWeight('beta', pshape, this.args.betaInitializer, { defaultInitializer: 'zeros' });
    super.build(inputShape);
  }

  override call(inputs: LayerInput, _kwargs: CallArgs): Tensor {
    const x = singleInput(inputs);
    const axes = this.axes(x.shape.length);
    const bshape = x.shape.map((d, i) => (axes.includes(i) ? d : 1));
    const mean = K.mean(x, axes, true);
    const xc = K.sub(x, mean);
    const variance = K.mean(K.square(xc), axes, true);
    let y = K.mul(xc, K.rsqrt(K.addScalar(variance, this.epsilon)));
    if (this.gamma) y = K.mul(y, K.reshape(this.gamma.read(), bshape));
    if (this.beta) y = K.add(y, K.reshape(this.beta.read(), bshape));
    return y;
  }

  override getConfig(): LayerConfig {
    return {
      ...super.getConfig(),
      axis: this.axis.length === 1 ? this.axis[0] : [...this.axis],
      epsilon: this.epsilon,
      center: this.center,
      scale: this.scale,
      ...initConfig(this.args, ['betaInitializer', 'zeros'], ['gammaInitializer', 'ones']),
    };
  }
}
registerLayer(LayerNormalization);
