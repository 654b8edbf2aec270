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
      node.children[k] = { kind: 'dataset', shape: m.shape ?? [], type: m.type, size: m.size, filtered: e.filters.length > 0, attrs: attrsOf(e, budget) };
    } else node.children[k] = { kind: 'other' };
  }
  return node;
}

// Legacy optimizer slots and metric states are never used; Keras 3 optimizer/vars is (optimizer state).
const SKIP = (k) => k === 'optimizer_weights' || k.startsWith('metrics');

// IEEE half -> float (h5wasm has no Float16 reader).
function halfToFloat(h) {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

// Raw bytes of a dataset in its file type (as h5wasm's value getter does, without its type dispatch).
function rawBytes(f, path, m) {
  const Module = lib.Module;
  const nbytes = m.size * m.total_size;
  const ptr = Module._malloc(Math.max(1, nbytes));
  try {
    Module.get_dataset_data(f.file_id, path, null, null, null, BigInt(ptr));
    return Module.HEAPU8.slice(ptr, ptr + nbytes);
  } finally {
    Module._free(ptr);
  }
}

// Values of one float-like dataset: float16/32/64 (any byte order: HDF5 converts), bfloat16 (Keras 3
// stores it as 2-byte opaque with attribute dtype="bfloat16"), integers (optimizer step counts).
function readValues(f, ds, path, f64) {
  const m = ds.metadata;
  const Out = f64 ? Float64Array : Float32Array;
  if (m.type === 1 && m.size === 2) {
    const raw = rawBytes(f, path, m);
    const dv = new DataView(raw.buffer);
    const out = new Out(m.total_size);
    for (let i = 0; i < out.length; i++) out[i] = halfToFloat(dv.getUint16(2 * i, true));
    return out;
  }
  if (m.type === 5 && m.size === 2) {
    const raw = rawBytes(f, path, m);
    const dv = new DataView(raw.buffer);
    const out = new Out(m.total_size);
    const tmp = new DataView(new ArrayBuffer(4));
    for (let i = 0; i < out.length; i++) {
      tmp.setUint32(0, dv.getUint16(2 * i, true) << 16, true);
      out[i] = tmp.getFloat32(0, true);
    }
    return out;
  }
  const v = ds.value;
  if (typeof v === 'number') return Out.of(v);
  if (typeof v === 'bigint') return Out.of(Number(v));
  if (v instanceof BigInt64Array || v instanceof BigUint64Array) return Out.from(v, Number);
  if (v instanceof Out) return v;
  if (v && ArrayBuffer.isView(v)) return Out.from(v);
  throw new Error('could not read dataset values: ' + path);
}

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
    msg.paths.forEach((p, i) => {
      const ds = h.f.get(p);
      if (!(ds instanceof lib.Dataset)) throw new Error('not a dataset: ' + p);
      const data = readValues(h.f, ds, p, !!(msg.f64 && msg.f64[i]));
      out.push(data.byteOffset === 0 && data.byteLength === data.buffer.byteLength ? data : data.slice());
    });
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
