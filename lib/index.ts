// convkit's public API. Everything users import comes from here.
export * from './tensor/index.js';
export { setSeed, Rng } from './random/index.js';
export {
  backendInfo,
  setNumThreads,
  getNumThreads,
  setIsa,
  getIsa,
  memory,
  type BackendInfo,
  type MemoryInfo,
} from './backend.js';
export type { IsaName } from './native/index.js';
export { setOpRecorder, type OpRecord, type OpRecorder, type OpAttrs } from './engine/index.js';
