/**
 * Keras-style automatic names: the class name in snake_case, then `_1`, `_2`, ... for later
 * instances (conv2d, conv2d_1, ...). `resetNames()` is Keras's clear_session for names.
 */
const counters = new Map<string, number>();

/** Keras's to_snake_case: Conv2D -> conv2d, BatchNormalization -> batch_normalization, ReLU -> re_lu. */
export function toSnakeCase(name: string): string {
  const intermediate = name.replace(/(.)([A-Z][a-z0-9]+)/g, '$1_$2');
  const insecure = intermediate.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
  return insecure.startsWith('_') ? 'private' + insecure : insecure;
}

export function uniqueName(prefix: string): string {
  const n = counters.get(prefix) ?? 0;
  counters.set(prefix, n + 1);
  return n === 0 ? prefix : `${prefix}_${n}`;
}

/** Marks an explicitly given name as used so that later automatic names do not collide with it. */
export function reserveName(name: string): void {
  const m = /^(.*)_(\d+)$/.exec(name);
  const [prefix, idx] = m ? [m[1]!, Number(m[2])] : [name, 0];
  const n = counters.get(prefix) ?? 0;
  if (idx + 1 > n) counters.set(prefix, idx + 1);
}

export function resetNames(): void {
  counters.clear();
}
