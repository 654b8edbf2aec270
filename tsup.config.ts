import { defineConfig } from 'tsup';

// The library entry (and the benchmark runner, dist/bench.*, used by scripts/bench.mjs) built twice: ESM (dist/index.js) and CommonJS (dist/index.cjs), with .d.ts
// and .d.cts typings. `shims` provides __dirname / import.meta.url in both formats, which the
// native loader needs to find the package root.
export default defineConfig({
  entry: { index: 'lib/index.ts', bench: 'lib/bench/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  shims: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  platform: 'node',
  outDir: 'dist',
  splitting: false,
});
