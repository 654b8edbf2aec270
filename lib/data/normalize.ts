/**
 * Input normalisation: per-channel standardisation x' = (x − μ_c) / σ_c over the last (channel) axis,
 * with statistics computed on the training part and then applied unchanged to validation/test data
 * (computing them on test data would leak it).
 */
import type { ArrayDataset } from './dataset.js';

export interface ChannelStats {
  readonly mean: number[];
  readonly std: number[];
}

/** Mean and population standard deviation per channel, accumulated in double precision. */
export function channelStats(ds: ArrayDataset): ChannelStats {
  const c = ds.sampleShape[ds.sampleShape.length - 1]!;
  const sum = new Float64Array(c);
  const sq = new Float64Array(c);
  for (let i = 0; i < ds.x.length; i++) {
    const v = ds.x[i]!;
    sum[i % c] += v;
    sq[i % c] += v * v;
  }
  const per = ds.x.length / c;
  const mean = [...sum].map((s) => s / per);
  const std = [...sq].map((s, k) => Math.sqrt(Math.max(s / per - mean[k]! ** 2, 0)));
  return { mean, std };
}

/** A new dataset with (x − mean) / std per channel; a zero std leaves that channel centred only. */
export function standardize(ds: ArrayDataset, stats: ChannelStats): ArrayDataset {
  const c = stats.mean.length;
  const x = new Float32Array(ds.x.length);
  for (let i = 0; i < x.length; i++) {
    const k = i % c;
    const s = stats.std[k]! > 1e-12 ? stats.std[k]! : 1;
    x[i] = (ds.x[i]! - stats.mean[k]!) / s;
  }
  return { ...ds, x };
}

/** x' = x · scale + offset, e.g. scale 2, offset −1 maps [0, 1] to [−1, 1]. */
export function rescale(ds: ArrayDataset, scale: number, offset = 0): ArrayDataset {
  const x = new Float32Array(ds.x.length);
  for (let i = 0; i < x.length; i++) x[i] = ds.x[i]! * scale + offset;
  return { ...ds, x };
}
