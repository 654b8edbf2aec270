/**
 * Resource limits applied while reading untrusted model files. Every size read from a file (zip entry
 * sizes, HDF5 dataset shapes, TF.js manifest shapes) is checked against these BEFORE any allocation, so a
 * hostile file cannot make us allocate unbounded memory (a 2^40-element "weight" is refused up front).
 */
export interface LoadLimits {
  /** Largest single weight tensor, in bytes. */
  maxTensorBytes: number;
  /** Sum of all weight tensors, in bytes. */
  maxTotalWeightBytes: number;
  /** Zip: sum of uncompressed sizes of the members we extract. */
  maxZipUncompressedBytes: number;
  /** Zip: number of central-directory entries. */
  maxZipEntries: number;
  /** Zip: uncompressed/compressed ratio above which a deflated member is treated as a bomb. */
  maxZipRatio: number;
  /** Largest JSON document (config.json, model.json, model_config attribute), in bytes. */
  maxJsonBytes: number;
  /** Deepest nesting of models inside models. */
  maxModelDepth: number;
  /** Largest tensor rank. */
  maxRank: number;
  /** HDF5 parsing runs in a worker thread; a file that takes longer than this is abandoned. */
  hdf5TimeoutMs: number;
  /** Most HDF5 objects (groups + datasets) walked in one file. */
  maxHdf5Objects: number;
}

export const DEFAULT_LIMITS: Readonly<LoadLimits> = Object.freeze({
  maxTensorBytes: 1 << 30,
  maxTotalWeightBytes: 4 * 2 ** 30,
  maxZipUncompressedBytes: 2 * 2 ** 30,
  maxZipEntries: 10_000,
  maxZipRatio: 200,
  maxJsonBytes: 64 << 20,
  maxModelDepth: 16,
  maxRank: 8,
  hdf5TimeoutMs: 60_000,
  maxHdf5Objects: 200_000,
});

export function resolveLimits(partial?: Partial<LoadLimits>): LoadLimits {
  return { ...DEFAULT_LIMITS, ...(partial ?? {}) };
}
