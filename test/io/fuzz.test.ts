/**
 * Bounded mutation fuzzing of the real fixture files: bit flips (biased to the metadata-heavy start of
 * the file), truncations, swapped byte ranges in HDF5 ("attribute swaps": object headers and attribute
 * messages live there) and swapped values between JSON keys. Every case must either load or throw a
 * ModelFormatError — no other exception type, no crash of the worker, no hang. Deterministic (seeded).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ModelFormatError } from '../../lib/io/errors.js';
import { readModelFile } from '../../lib/io/readers/load_file.js';
import { FIXTURES, fx } from './fixtures.js';
import { bitFlips, jsonSwap, rng, swapRanges, truncate, type Mut } from './mutate.js';

const CASES_PER_FILE = Number(process.env.CONVKIT_FUZZ_CASES ?? 40);

/** [fixture, main file, weights file?, which one to mutate] */
const TARGETS: [string, string, string | null, 'main' | 'weights'][] = [
  ['k2-mini-xception-fer', 'fer2013_mini_XCEPTION.102-0.66.hdf5', null, 'main'],
  ['k2-vww-mobilenet', 'vww_96.h5', null, 'main'],
  ['k3h5-ecg-conv1d', 'ecg_model.h5', null, 'main'],
  ['k3-mlp-mnist-3formats', 'model.keras', null, 'main'],
  ['kv3-k215-mnist-cnn', 'mnist.keras', null, 'main'],
  ['k2-acgan-disc-mnist', 'discriminator.json', 'discriminator_weights.hdf5', 'weights'],
  ['k2-acgan-disc-mnist', 'discriminator.json', 'discriminator_weights.hdf5', 'main'],
  ['k2-jettagger-bn', 'jetTagger_Conv2D_Small.json', 'jetTagger_Conv2D_Small_weights.h5', 'weights'],
  ['tfjs-mnist-cnn', 'model.json', null, 'main'],
  ['k3-resnet-mnist', 'resnet_mnist.keras', null, 'main'],
];

describe.skipIf(!FIXTURES)('fuzz: mutated fixtures load or fail cleanly', () => {
  for (const [name, main, weights, which] of TARGETS) {
    it(`${name}/${which === 'main' ? main : weights} × ${CASES_PER_FILE}`, async () => {
      const mainBytes = new Uint8Array(readFileSync(fx(name, main)));
      const wBytes = weights ? new Uint8Array(readFileSync(fx(name, weights))) : null;
      const target = which === 'main' ? mainBytes : wBytes!;
      const isJson = target[0] === 0x7b;
      const muts: Mut[] = isJson ? [bitFlips, truncate, jsonSwap] : [bitFlips, truncate, swapRanges];
      const r = rng(0x9e3779b9 ^ name.length ^ main.length);
      const files = name === 'tfjs-mnist-cnn' ? { 'group1-shard1of1.bin': new Uint8Array(readFileSync(fx(name, 'group1-shard1of1.bin'))) } : undefined;
      const tally: Record<string, number> = {};
      for (let i = 0; i < CASES_PER_FILE; i++) {
        const mut = muts[i % muts.length]!;
        if (process.env.CONVKIT_FUZZ_TRACE) process.stderr.write(`case ${i}\n`);
        const m = mut(target, r);
        // debugging aid: CONVKIT_FUZZ_DUMP=<case> writes that case's mutated bytes to ./fuzz_case.bin
        if (process.env.CONVKIT_FUZZ_DUMP === String(i)) writeFileSync('fuzz_case.bin', m);
        const src = which === 'main' ? m : mainBytes;
        const w = which === 'weights' ? m : wBytes;
        try {
          await readModelFile(src, { ...(w ? { weights: w } : {}), ...(files ? { files } : {}), limits: { hdf5TimeoutMs: 3000 } });
          tally.loaded = (tally.loaded ?? 0) + 1;
        } catch (e) {
          if (!(e instanceof ModelFormatError)) {
            throw new Error(`case ${i} (${mut === bitFlips ? 'bit flips' : mut === truncate ? 'truncation' : 'swap'}): unclean ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`, { cause: e });
          }
          tally[e.code] = (tally[e.code] ?? 0) + 1;
        }
      }
      expect(Object.values(tally).reduce((a, b) => a + b, 0)).toBe(CASES_PER_FILE);
    });
  }
});
