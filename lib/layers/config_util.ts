/** Serialisation helpers shared by layers' getConfig. */
import { getInitializer, serializeInitializer, type SerializedInitializer } from '../initializers/index.js';

/** {kernelInitializer: {className, config}, ...} for the given [argName, default] pairs. */
export function initConfig(args: object, ...pairs: [string, string][]): Record<string, SerializedInitializer> {
  const out: Record<string, SerializedInitializer> = {};
  const a = args as Record<string, unknown>;
  for (const [key, def] of pairs) {
    out[key] = serializeInitializer(getInitializer(a[key] as string | undefined, def, key));
  }
  return out;
}
