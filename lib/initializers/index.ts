/**
 * Initializers: factories with TF.js names (`initializers.heNormal()`), and lookup by the
 * identifiers and class names found in Keras configs ('glorot_uniform', 'GlorotUniform', ...).
 */
import {
  Constant,
  glorotNormalInit,
  glorotUniformInit,
  heNormalInit,
  heUniformInit,
  type Initializer,
  lecunNormalInit,
  lecunUniformInit,
  Ones,
  Orthogonal,
  RandomNormal,
  RandomUniform,
  TruncatedNormal,
  VarianceScaling,
  type Distribution,
  type FanMode,
  type SeedArgs,
  Zeros,
} from './initializer.js';

export { Initializer, computeFans, VarianceScaling, RandomInitializer, checkSeed } from './initializer.js';
import { checkSeed } from './initializer.js';
export type { InitializerConfig, FanMode, Distribution, SeedArgs } from './initializer.js';

export const zeros = (): Initializer => new Zeros();
export const ones = (): Initializer => new Ones();
export const constant = (args: { value: number }): Initializer => new Constant(args.value);
// `seed`: the initializer then draws from its own generator (the same values on every call).
export const randomNormal = (args: { mean?: number; stddev?: number } & SeedArgs = {}): Initializer => new RandomNormal(args.mean, args.stddev, args.seed ?? null);
export const randomUniform = (args: { minval?: number; maxval?: number } & SeedArgs = {}): Initializer => new RandomUniform(args.minval, args.maxval, args.seed ?? null);
export const truncatedNormal = (args: { mean?: number; stddev?: number } & SeedArgs = {}): Initializer => new TruncatedNormal(args.mean, args.stddev, args.seed ?? null);
export const orthogonal = (args: { gain?: number } & SeedArgs = {}): Initializer => new Orthogonal(args.gain, args.seed ?? null);
export const varianceScaling = (args: { scale?: number; mode?: FanMode; distribution?: Distribution } & SeedArgs = {}): Initializer =>
  new VarianceScaling(args.scale, args.mode, args.distribution, args.seed ?? null);
export const glorotUniform = glorotUniformInit;
export const glorotNormal = glorotNormalInit;
export const heNormal = heNormalInit;
export const heUniform = heUniformInit;
export const lecunNormal = lecunNormalInit;
export const lecunUniform = lecunUniformInit;

export type InitializerIdentifier =
  | 'zeros' | 'ones' | 'glorotUniform' | 'glorotNormal' | 'heNormal' | 'heUniform' | 'lecunNormal' | 'lecunUniform'
  | 'randomNormal' | 'randomUniform' | 'truncatedNormal' | 'orthogonal' | 'varianceScaling' | 'constant';

const byName: Record<string, (cfg: Record<string, unknown>) => Initializer> = {
  zeros: () => zeros(),
  ones: () => ones(),
  constant: (c) => constant({ value: Number(c['value'] ?? 0) }),
  randomnormal: (c) => randomNormal({ ...(c as { mean?: number; stddev?: number }), seed: seedOf(c) }),
  randomuniform: (c) => randomUniform({ ...(c as { minval?: number; maxval?: number }), seed: seedOf(c) }),
  truncatednormal: (c) => truncatedNormal({ ...(c as { mean?: number; stddev?: number }), seed: seedOf(c) }),
  orthogonal: (c) => orthogonal({ ...(c as { gain?: number }), seed: seedOf(c) }),
  variancescaling: (c) => varianceScaling({ ...normalizeVsConfig(c), seed: seedOf(c) }),
  glorotuniform: (c) => glorotUniform({ seed: seedOf(c) }),
  glorotnormal: (c) => glorotNormal({ seed: seedOf(c) }),
  henormal: (c) => heNormal({ seed: seedOf(c) }),
  heuniform: (c) => heUniform({ seed: seedOf(c) }),
  lecunnormal: (c) => lecunNormal({ seed: seedOf(c) }),
  lecununiform: (c) => lecunUniform({ seed: seedOf(c) }),
};

/** The `seed` of a config (Keras writes `"seed": null` when unseeded). */
function seedOf(c: Record<string, unknown>): number | null {
  return checkSeed(c['seed'], 'initializer config');
}

function normalizeVsConfig(c: Record<string, unknown>): { scale?: number; mode?: FanMode; distribution?: Distribution } {
  const camel = (s: unknown): string | undefined =>
    typeof s === 'string' ? s.replace(/_([a-z])/g, (_m, ch: string) => ch.toUpperCase()) : undefined;
  return {
    scale: c['scale'] as number | undefined,
    mode: camel(c['mode']) as FanMode | undefined,
    distribution: camel(c['distribution']) as Distribution | undefined,
  };
}

export interface SerializedInitializer {
  className: string;
  config: Record<string, unknown>;
}

/** Accepts an Initializer, a TF.js/Keras identifier ('heNormal', 'he_normal') or {className, config}. */
export function getInitializer(id: Initializer | string | SerializedInitializer | undefined, fallback: string, argName = 'initializer'): Initializer {
  if (id === undefined || id === null) return getInitializer(fallback, fallback, argName);
  if (typeof id === 'object' && 'generate' in id) return id;
  const name = typeof id === 'string' ? id : id.className;
  const cfg = typeof id === 'string' ? {} : (id.config ?? {});
  const f = byName[name.replace(/_/g, '').toLowerCase()];
  if (!f) throw new RangeError(`${argName}: unknown initializer ${JSON.stringify(name)}`);
  return f(cfg);
}

export function serializeInitializer(init: Initializer): SerializedInitializer {
  return { className: init.className, config: init.getConfig() };
}
