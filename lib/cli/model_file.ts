/** Loading and saving model files for the CLI, through lib/io. */
import type { Model } from '../models/index.js';

export async function loadModelFile(path: string): Promise<Model> {
  throw new Error(`cannot load ${path}: model file loading (lib/io) is not in this build yet`);
}

export async function saveModelFile(_model: Model, path: string): Promise<void> {
  throw new Error(`cannot save ${path}: model saving (lib/io) is not in this build yet`);
}
