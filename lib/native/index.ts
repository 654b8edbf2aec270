export type { NativeBinding, NativeBackendInfo, NativeMemoryStats, IsaName, CancelCell } from './binding.js';
export { loadBinding, packageRoot, addonPath, describeLoadFailure } from './loader.js';

import type { NativeBinding } from './binding.js';
import { loadBinding } from './loader.js';

let b: NativeBinding | undefined;
/** The raw binding, loaded on first use. */
export function native(): NativeBinding {
  return (b ??= loadBinding());
}
