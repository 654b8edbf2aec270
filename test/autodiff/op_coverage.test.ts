// Every op name the engine can record has a gradient, or is declared non-differentiable, or is
// declared as having no gradient with a reason. The op names are found by reading every
// runOp/runNativeOp/runOpAsync call site in lib/ (not by running ops, which would only see what the test
// happens to exercise): a new call site whose name the resolver below cannot work out fails the
// test, so no op can be added without deciding its gradient.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import '../../lib/index.js'; // registers every gradient (autodiff, training's loss op)
import { gradientStatus, registeredGradients } from '../../lib/autodiff/index.js';

const root = join(__dirname, '..', '..');

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** The first argument of the call starting at `open` (index of its '('), up to the first top-level comma. */
function firstArg(src: string, open: number): string {
  let depth = 0;
  let quote: string | null = null;
  for (let i = open + 1; i < src.length; i++) {
    const c = src[i]!;
    if (quote) {
      if (c === quote && src[i - 1] !== '\\') quote = null;
      continue;
    }
    if (c === "'" || c === '"' || c === '`') quote = c;
    else if ('([{'.includes(c)) depth++;
    else if (')]}'.includes(c)) depth--;
    else if (c === ',' && depth === 0) return src.slice(open + 1, i).trim();
  }
  throw new Error('unterminated call');
}

/** The source with comments blanked (same length and line breaks, so indices and lines still match). */
function stripComments(src: string): string {
  return src.replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, (c) => c.replace(/[^\n]/g, ' '));
}

const literals = (s: string): string[] => [...s.matchAll(/'([A-Za-z0-9_]+)'/g)].map((m) => m[1]!);

/** Values of `const opNames: Record<..., string> = { k: 'v', ... }` in a file. */
function opNamesRecord(src: string): string[] {
  const m = /const opNames\s*:[^=]*=\s*\{([^}]*)\}/.exec(src);
  if (!m) throw new Error('no opNames record');
  return [...m[1]!.matchAll(/:\s*'([A-Za-z0-9_]+)'/g)].map((x) => x[1]!);
}

/** Body of `function <name>(` up to its closing brace. */
function functionBody(src: string, name: string): string {
  const i = src.indexOf(`function ${name}(`);
  if (i < 0) throw new Error(`no function ${name}`);
  const open = src.indexOf('{', i);
  let depth = 0;
  for (let j = open; j < src.length; j++) {
    if (src[j] === '{') depth++;
    else if (src[j] === '}' && --depth === 0) return src.slice(open, j + 1);
  }
  throw new Error(`unterminated function ${name}`);
}

/**
 * Non-literal first arguments, by `file: argument text`. Each resolver reads the names from the
 * source itself (so renaming an op there is still seen), never from a hand-kept list.
 */
const resolvers: Record<string, (src: string) => string[]> = {
  'lib/ops/unary.ts: opNames[op]': opNamesRecord,
  'lib/ops/binary.ts: opNames[op]': opNamesRecord,
  'lib/ops/reduce.ts: opNames[op]': opNamesRecord,
  'lib/ops/matmul.ts: opName(p)': (src) => literals(functionBody(src, 'opName')),
  // binaryJs(name, ...) / unaryJs(name, ...) call sites, and softmaxJs/scalarOp/reduceJs whose
  // name parameter is a union of literals.
  'lib/layers/backend.ts: name': (src) => [
    ...[...src.matchAll(/\b(?:binaryJs|unaryJs)\(\s*'([A-Za-z0-9_]+)'/g)].map((m) => m[1]!),
    ...literals(/function softmaxJs\(name: ([^,]*),/.exec(src)![1]!),
    ...literals(/function scalarOp\(name: ([^,]*),/.exec(src)![1]!),
  ],
  'lib/layers/backend.ts: kind': (src) => literals(/type ReduceKind = ([^;]*);/.exec(src)![1]!),
};

interface Site { file: string; line: number; arg: string; names: string[] }

function callSites(): Site[] {
  const sites: Site[] = [];
  for (const path of walk(join(root, 'lib'))) {
    const file = relative(root, path).split('\\').join('/');
    const src = stripComments(readFileSync(path, 'utf8'));
    for (const m of src.matchAll(/\brun(?:Native)?Op(?:Async)?\(/g)) {
      const before = src.slice(Math.max(0, m.index! - 9), m.index!);
      if (before.endsWith('function ')) continue; // the definitions in lib/engine
      const arg = firstArg(src, m.index! + m[0].length - 1);
      const line = src.slice(0, m.index!).split('\n').length;
      let names: string[];
      if (/^'[A-Za-z0-9_]+'$/.test(arg)) names = literals(arg);
      else if (/^[^?]*\?\s*'[A-Za-z0-9_]+'\s*:\s*'[A-Za-z0-9_]+'$/.test(arg)) names = literals(arg.slice(arg.indexOf('?')));
      else {
        const r = resolvers[`${file}: ${arg}`];
        if (!r) throw new Error(`${file}:${line}: runOp's op name \`${arg}\` cannot be resolved; add a resolver to this test`);
        names = r(src);
      }
      if (names.length === 0) throw new Error(`${file}:${line}: no op names found for \`${arg}\``);
      sites.push({ file, line, arg, names });
    }
  }
  return sites;
}

describe('autodiff op coverage', () => {
  const sites = callSites();
  const names = [...new Set(sites.flatMap((s) => s.names))].sort();

  it('finds the op names of every runOp call site', () => {
    expect(sites.length).toBeGreaterThan(30);
    // Spot checks that the resolvers read the real tables.
    for (const n of ['relu6', 'leakyRelu', 'elu', 'softplus', 'swish', 'squaredDifference', 'cast', 'matMul', 'batchMatMul',
      'greaterMask', 'powScalar', 'sum', 'logSoftmax', 'Conv', 'ConvBackpropFilter', 'MaxPoolGrad', 'maxPoolGather', 'trainingLoss']) {
      expect(names).toContain(n);
    }
  });

  it('every op has a gradient, is declared non-differentiable, or declares why it has none', () => {
    const missing = names.filter((n) => gradientStatus(n) === 'missing')
      .map((n) => `${n} (${sites.filter((s) => s.names.includes(n)).map((s) => `${s.file}:${s.line}`).join(', ')})`);
    expect(missing).toEqual([]);
  });

  it('the non-differentiable and no-gradient sets are exactly the intended ones', () => {
    expect(names.filter((n) => gradientStatus(n) === 'nonDifferentiable')).toEqual(
      ['argMax', 'argMin', 'constantFill', 'equalMask', 'greaterMask', 'sign', 'stepMask']);
    expect(names.filter((n) => gradientStatus(n) === 'noGradient')).toEqual(
      ['BatchNormTrainGrad', 'matMulPacked', 'trainingLossGrad']);
  });

  it('no gradient is registered under a name no op records (a typo would never run)', () => {
    expect(registeredGradients().filter((n) => !names.includes(n))).toEqual([]);
  });
});
