/**
 * Bounded mutation fuzzing of the real fixture files: bit flips (biased to the metadata-heavy start of
 * the file), truncations, swapped byte ranges in HDF5 ("attribute swaps": object headers and attribute
 * messages live there) and swapped values between JSON keys. Every case must either load or throw a
 * ModelFormatError — no other exception type, no crash of the worker, no hang. Deterministic (seeded).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
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

/**
 * "Attribute swaps" in the HDF5 sense: h5py (not our writer) copies a fixture and swaps the VALUES of two
 * attributes anywhere in the file (model_config ↔ layer_names, weight_names ↔ keras_version, a vars
 * group's name ↔ training_config, …), or deletes one; each mutated file must load or fail cleanly.
 */
const PY = '/usr/bin/python3';
const hasH5py = spawnSync(PY, ['-c', 'import h5py'], { stdio: 'ignore' }).status === 0;
const ATTR_CASES = Number(process.env.CONVKIT_FUZZ_ATTR_CASES ?? 24);
const SWAP_SCRIPT = `
import h5py, random, shutil, sys, os
src, out, n, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
rnd = random.Random(seed)
for i in range(n):
    dst = os.path.join(out, "case%d.h5" % i)
    shutil.copyfile(src, dst)
    f = h5py.File(dst, "r+")
    slots = []
    def visit(name, obj):
        for k in obj.attrs.keys(): slots.append((name, k))
    for k in f.attrs.keys(): slots.append(("/", k))
    f.visititems(visit)
    if rnd.random() < 0.2:
        p, k = rnd.choice(slots)
        del f[p].attrs[k]
    else:
        (p1, k1), (p2, k2) = rnd.choice(slots), rnd.choice(slots)
        v1, v2 = f[p1].attrs[k1], f[p2].attrs[k2]
        del f[p1].attrs[k1]
        if (p1, k1) != (p2, k2): del f[p2].attrs[k2]
        f[p1].attrs[k1] = v2
        f[p2].attrs[k2] = v1
    f.close()
print("ok")
`;

describe.skipIf(!FIXTURES || !hasH5py)('fuzz: HDF5 attribute swaps and deletions (h5py) load or fail cleanly', () => {
  const targets: [string, string, string | null][] = [
    ['k2-vww-mobilenet', 'vww_96.h5', null],
    ['k3-mlp-mnist-3formats', 'model.weights.h5', 'model.keras'],
    ['k2-acgan-disc-mnist', 'discriminator_weights.hdf5', 'discriminator.json'],
  ];
  for (const [name, file, arch] of targets) {
    it(`${name}/${file} × ${ATTR_CASES}`, async () => {
      const out = mkdtempSync(path.join(tmpdir(), 'convkit-io-attrfuzz-'));
      try {
        execFileSync(PY, ['-c', SWAP_SCRIPT, fx(name, file), out, String(ATTR_CASES), String(name.length * 7919)]);
        const tally: Record<string, number> = {};
        for (let i = 0; i < ATTR_CASES; i++) {
          const p = path.join(out, `case${i}.h5`);
          try {
            if (arch) await readModelFile(fx(name, arch), { weights: p, limits: { hdf5TimeoutMs: 5000 } });
            else await readModelFile(p, { limits: { hdf5TimeoutMs: 5000 } });
            tally.loaded = (tally.loaded ?? 0) + 1;
          } catch (e) {
            if (!(e instanceof ModelFormatError)) throw new Error(`attribute case ${i}: unclean ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`, { cause: e });
            tally[e.code] = (tally[e.code] ?? 0) + 1;
          }
        }
        expect(Object.values(tally).reduce((a, b) => a + b, 0)).toBe(ATTR_CASES);
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    });
  }
});
