/**
 * Layers registered by their Keras class name ('Conv2D', 'Dense', ...). The Keras-file loader
 * (lib/io) and `fromConfig` of models go through `deserializeLayer`.
 */
import type { Layer, LayerConfig } from './layer.js';

export interface LayerClass {
  readonly className: string;
  fromConfig(config: LayerConfig): Layer;
}

const registry = new Map<string, LayerClass>();

export function registerLayer(cls: LayerClass): void {
  registry.set(cls.className, cls);
}

export function getLayerClass(className: string): LayerClass {
  const cls = registry.get(className);
  if (!cls) {
    throw new Error(`Unknown layer class '${className}'. Registered: ${[...registry.keys()].sort().join(', ')}`);
  }
  return cls;
}

export function registeredLayerNames(): string[] {
  return [...registry.keys()].sort();
}

export interface SerializedLayer {
  className: string;
  config: LayerConfig;
}

export function deserializeLayer(s: SerializedLayer): Layer {
  return getLayerClass(s.className).fromConfig(s.config);
}

export function serializeLayer(layer: Layer): SerializedLayer {
  return { className: layer.getClassName(), config: layer.getConfig() };
}
