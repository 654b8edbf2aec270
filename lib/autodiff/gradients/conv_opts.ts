/** The ConvOptions of a recorded conv op's attrs (lib/ops/conv.ts attrsOf), for its gradients. */
import type { ConvOptions, DataFormat } from '../../ops/conv.js';

/** Backward passes use algorithm 'auto' whatever the forward was forced to (Winograd/FFT cannot compute filter gradients). */
export function convOpts(attrs: Readonly<Record<string, unknown>>): ConvOptions {
  return {
    strides: attrs['strides'] as number[],
    padding: attrs['pads'] as [number, number][],
    dilationRate: attrs['dilationRate'] as number[],
    groups: attrs['groups'] as number,
    dataFormat: attrs['dataFormat'] as DataFormat,
    algorithm: 'auto',
  };
}
