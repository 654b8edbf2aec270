/**
 * THE converter between Keras file configs (snake_case, `class_name`) and convkit's runtime layer
 * configs (camelCase, `className`, TF.js style). Keys are renamed generically; a handful of values are
 * enums whose spelling differs (data_format 'channels_last' ↔ 'channelsLast', VarianceScaling mode
 * 'fan_in' ↔ 'fanIn', activations 'hard_sigmoid' ↔ 'hardSigmoid'), and a few options were renamed or
 * changed type between Keras versions (LeakyReLU alpha → negative_slope in Keras 3, BatchNormalization
 * axis written as [3], `scale: 1`). Anchor: tfjs-layers/src/utils/serialization_utils.ts
 * (convertPythonicToTs / convertTsToPythonic).
 */
import type { JsonObject, JsonValue } from './types.js';

export function snakeToCamel(s: string): string {
  return s.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}
export function camelToSnake(s: string): string {
  return s.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/([A-Z])([A-Z][a-z])/g, '$1_$2').toLowerCase();
}

/** Keys whose string VALUES are enums spelled differently on the two sides. */
const ENUM_KEYS = new Set(['data_format', 'mode', 'distribution', 'activation', 'interpolation']);

/** convkit-only options that Keras does not know (Keras 3 rejects unknown constructor arguments). */
const CONVKIT_ONLY = new Set(['algorithm']);

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function valueToCamel(key: string, v: JsonValue): unknown {
  if (typeof v === 'string' && ENUM_KEYS.has(key)) return snakeToCamel(v);
  if (Array.isArray(v)) return v.map((x) => valueToCamel('', x));
  if (isObj(v)) {
    if (typeof v.class_name === 'string' && 'config' in v) {
      const inner = isObj(v.config) ? objToCamel(v.config as JsonObject) : v.config;
      return { className: v.class_name, config: inner };
    }
    return objToCamel(v as JsonObject);
  }
  return v;
}

function objToCamel(o: JsonObject): Obj {
  const out: Obj = {};
  for (const [k, v] of Object.entries(o)) {
    if (k === 'module' || k === 'registered_name') continue;
    out[snakeToCamel(k)] = valueToCamel(k, v);
  }
  return out;
}

function valueToSnake(key: string, v: unknown): JsonValue {
  if (typeof v === 'string' && ENUM_KEYS.has(key)) return camelToSnake(v);
  if (v === undefined) return null;
  if (Array.isArray(v)) return v.map((x) => valueToSnake('', x));
  if (isObj(v)) {
    if (typeof v.className === 'string' && 'config' in v) {
      return { class_name: v.className, config: isObj(v.config) ? objToSnake(v.config) : ((v.config ?? {}) as JsonValue) };
    }
    return objToSnake(v);
  }
  if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean' || v === null) return v;
  return String(v);
}

function objToSnake(o: Obj): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined) continue;
    const sk = camelToSnake(k);
    out[sk] = valueToSnake(sk, v);
  }
  return out;
}

/** Keras layer config (snake_case, any Keras version) → convkit layer config (camelCase). */
export function kerasToConvkitConfig(className: string, cfg: JsonObject): Obj {
  const c: JsonObject = { ...cfg };
  if (className === 'LeakyReLU' && 'negative_slope' in c) {
    c.alpha = c.negative_slope!;
    delete c.negative_slope;
  }
  if ((className === 'BatchNormalization' || className === 'LayerNormalization') && Array.isArray(c.axis) && c.axis.length === 1) c.axis = c.axis[0]!;
  for (const b of ['center', 'scale', 'use_bias']) if (typeof c[b] === 'number') c[b] = c[b] !== 0;
  return objToCamel(c);
}

/** convkit layer config (camelCase) → Keras layer config (snake_case; dialect renames happen in the writers). */
export function convkitToKerasConfig(className: string, cfg: Obj): JsonObject {
  const c: Obj = {};
  for (const [k, v] of Object.entries(cfg)) if (!CONVKIT_ONLY.has(k)) c[k] = v;
  void className;
  return objToSnake(c);
}
