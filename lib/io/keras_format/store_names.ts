/**
 * Where the Keras 3 weights store (`model.weights.h5` in a `.keras`, or a `.weights.h5`) keeps each
 * layer's variables. Keras does NOT use the layer's name: saving_lib's `_save_container_state` names
 * every layer of a model's `layers` list after its CLASS, snake_cased, made unique within that list
 * with a counter ("dense", "dense_1", …; keras/src/saving/saving_lib.py `_get_unique_name`,
 * keras/src/utils/naming.py `to_snake_case`), because layer names are auto-generated and not
 * reproducible. So a Dense layer named "fc1" lives at `layers/dense/vars`, and a nested model's layers
 * at `layers/sequential/layers/<class name>/vars`. Keras 3.11+ also records the layer name as the
 * `name` attribute of each `vars` group, but its loader ignores it.
 *
 * The `layers` list is Sequential's layers without its InputLayer, and a functional model's layers
 * including its InputLayers — exactly the neutral form's `NModel.layers`.
 */
import type { NModel } from './neutral.js';

/** keras.src.utils.naming.to_snake_case. */
export function kerasSnakeCase(name: string): string {
  let s = name.replace(/\W+/g, '');
  s = s.replace(/(.)([A-Z][a-z]+)/g, '$1_$2');
  return s.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
}

/** Store keys of one model's `layers` list, in order. */
export function storeKeys(m: NModel): string[] {
  const used = new Map<string, number>();
  return m.layers.map((l) => {
    const base = kerasSnakeCase(l.model ? l.model.kind : l.className);
    const n = used.get(base);
    if (n === undefined) {
      used.set(base, 0);
      return base;
    }
    used.set(base, n + 1);
    return `${base}_${n + 1}`;
  });
}

/**
 * For every leaf layer (path "outer/inner" by layer names), its path in the store relative to the
 * root `layers` group, with the `layers` levels removed ("sequential/dense" for
 * `layers/sequential/layers/dense/vars`).
 */
export function storePaths(m: NModel): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (model: NModel, namePrefix: string, keyPrefix: string): void => {
    const keys = storeKeys(model);
    model.layers.forEach((l, i) => {
      const p = `${namePrefix}${l.name}`;
      const k = `${keyPrefix}${keys[i]!}`;
      if (l.model) walk(l.model, `${p}/`, `${k}/`);
      else out.set(p, k);
    });
  };
  walk(m, '', '');
  return out;
}
