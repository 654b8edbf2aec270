/**
 * Loading and saving model files for the CLI, through lib/io: the format is recognised from the
 * content when loading (.keras zip, HDF5 .h5, TF.js model.json, Keras architecture JSON) and chosen
 * from the extension when saving (.keras, .h5, model.json).
 */
import type { Model } from '../models/index.js';
import { loadModel, saveModel } from '../io/index.js';

export async function loadModelFile(path: string): Promise<Model> {
  return loadModel(path);
}

export async function saveModelFile(model: Model, path: string): Promise<void> {
  await saveModel(model, path);
}
