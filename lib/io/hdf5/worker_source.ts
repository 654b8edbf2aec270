/**
 * Source of the HDF5 reading worker, kept as a string so it runs the same from TS sources (tests) and
 * from the bundled dist/ (no separate worker file to ship or locate). It is deliberately generic: it
 * knows HDF5, not Keras. It opens untrusted bytes with h5wasm and returns
 *   open  → a tree of groups (attributes decoded to plain JSON values) and dataset metadata (no data),
 *   read  → the values of named float datasets, as Float32Array (transferred, not copied).
 * Keras-specific validation (which datasets, what sizes are sane) happens on the main thread between
 * the two steps. Running here, behind a timeout, is what protects the process from corrupt files that
 * send HDF5 into an endless loop or trap the WebAssembly instance.
 */
export const H5_WORKER_SOURCE = String.raw`
const { parentPort } = require('node:worker_threads');
let lib = null;
const open = new Map();
let counter = 0;

function plain(v) {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  if (typeof v === 'bigint') return Number(v);
  if (ArrayBuffer.isView(v)) return Array.from(v, (x) => (typeof x === 'bigint' ? Number(x) : x));
  if (Array.isArray(v)) return v.map(plain);
  return String(v);
}

function limitError(message) {
  const e = new Error(message);
  e.code = 'LIMIT';
  return e;
}

function attrsOf(obj, budget) {
  const out = {};
  for (const name of Object.keys(obj.attrs)) {
    const a = obj.attrs[name];
    const m = a.metadata || {};
    const bytes = (m.total_size ?? 1) * (m.size ?? 1);
    if (!(bytes <= budget.maxAttrBytes)) {
      out[name] = { __tooLarge: bytes };
      continue;
    }
    out[name] = plain(a.value);
  }
  return out;
}

function walk(g, depth, budget, skipRoot) {
  if (depth > budget.maxDepth) throw limitError('HDF5 groups nested deeper than ' + budget.maxDepth);
  const node = { kind: 'group', attrs: attrsOf(g, budget), children: {} };
  for (const k of g.keys()) {
    if (++budget.nodes > budget.maxNodes) throw limitError('HDF5 file has more than ' + budget.maxNodes + ' objects');
    if (depth === 0 && skipRoot(k)) {
      node.children[k] = { kind: 'group', attrs: {}, children: {}, skipped: true };
      continue;
    }
    const e = g.get(k);
    if (e instanceof lib.Group) node.children[k] = walk(e, depth + 1, budget, skipRoot);
    else if (e instanceof lib.Dataset) {
      const m = e.metadata;
      node.children[k] = { kind: 'dataset', shape: m.shape ?? [], type: m.type, size: m.size, filtered: e.filters.length > 0 };
    } else node.children[k] = { kind: 'other' };
  }
  return node;
}

const SKIP = (k) => k === 'optimizer_weights' || k === 'optimizer' || k.startsWith('metrics');

async function handle(msg) {
  if (!lib) {
    lib = await import(msg.h5url);
    await lib.ready;
    lib.Module.activate_throwing_error_handler();
  }
  if (msg.op === 'open') {
    const name = '/in_' + ++counter + '.h5';
    lib.FS.writeFile(name, msg.bytes);
    let f;
    try {
      f = new lib.File(name, 'r');
    } catch (e) {
      try { lib.FS.unlink(name); } catch {}
      throw e;
    }
    open.set(counter, { f, name });
    try {
      const tree = walk(f, 0, { nodes: 0, maxNodes: msg.maxNodes, maxDepth: msg.maxDepth, maxAttrBytes: msg.maxAttrBytes }, SKIP);
      return { value: { handle: counter, tree } };
    } catch (e) {
      close(counter);
      throw e;
    }
  }
  if (msg.op === 'read') {
    const h = open.get(msg.handle);
    if (!h) throw new Error('HDF5 handle closed');
    const out = [];
    for (const p of msg.paths) {
      const ds = h.f.get(p);
      if (!(ds instanceof lib.Dataset)) throw new Error('not a dataset: ' + p);
      const v = ds.value;
      let data;
      if (v instanceof Float32Array) data = v;
      else if (typeof v === 'number') data = Float32Array.of(v);
      else if (v && ArrayBuffer.isView(v)) data = Float32Array.from(v);
      else throw new Error('could not read dataset values: ' + p);
      out.push(data.byteOffset === 0 && data.byteLength === data.buffer.byteLength ? data : data.slice());
    }
    return { value: out, transfer: out.map((d) => d.buffer) };
  }
  if (msg.op === 'close') {
    close(msg.handle);
    return { value: null };
  }
  throw new Error('unknown op ' + msg.op);
}

function close(id) {
  const h = open.get(id);
  if (!h) return;
  open.delete(id);
  try { h.f.close(); } catch {}
  try { lib.FS.unlink(h.name); } catch {}
}

parentPort.on('message', async (msg) => {
  try {
    const r = await handle(msg);
    parentPort.postMessage({ id: msg.id, ok: true, value: r.value }, r.transfer || []);
  } catch (e) {
    const fatal = e && (e.name === 'RuntimeError' || /Aborted\(|unreachable|out of bounds/.test(String(e.message)));
    parentPort.postMessage({ id: msg.id, ok: false, fatal, name: e && e.name, code: e && e.code, message: String((e && e.message) || e) });
  }
});
`;
