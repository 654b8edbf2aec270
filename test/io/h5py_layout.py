"""Read convkit-written files with h5py the way Keras's own loaders do, and print a JSON summary.

legacy .h5  (keras/src/legacy/saving/legacy_h5_format.py: load_model_from_hdf5 /
             load_weights_from_hdf5_group / load_attributes_from_hdf5_group)
.keras      (keras/src/saving/saving_lib.py: zip members, config.json, H5IOStore layers/<name>/vars/<i>)
.weights.h5 (same store, no zip)
Any deviation raises; the TypeScript test compares the summary with convkit's own weights.
"""
import io
import re
import json
import sys
import zipfile

import h5py
import numpy as np


def attr_list(group, name):
    # load_attributes_from_hdf5_group: decode bytes, accept str (and an empty float array)
    return [n.decode("utf8") if hasattr(n, "decode") else n for n in group.attrs[name]]


def summarize(arr):
    a = np.asarray(arr)
    assert a.dtype == np.float32, a.dtype
    return {"shape": list(a.shape), "sum": float(a.astype(np.float64).sum()), "first": float(a.flat[0]) if a.size else None}


def legacy(path, full):
    f = h5py.File(path, "r")
    out = {"kind": "legacy"}
    if full:
        cfg = f.attrs["model_config"]
        if hasattr(cfg, "decode"):
            cfg = cfg.decode("utf-8")
        cfg = json.loads(cfg)
        assert cfg["class_name"] in ("Sequential", "Functional", "Model"), cfg["class_name"]
        out["class_name"] = cfg["class_name"]
        out["keras_version"] = str(f.attrs["keras_version"])
        out["backend"] = str(f.attrs["backend"])
        g = f["model_weights"]
    else:
        g = f
    names = attr_list(g, "layer_names")
    layers = []
    for ln in names:
        wn = attr_list(g[ln], "weight_names")
        layers.append({"name": ln, "weights": [dict(summarize(g[ln][w]), name=w) for w in wn]})
    out["layers"] = layers
    return out


def to_snake_case(name):
    # keras/src/utils/naming.py
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    name = re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()
    return name


def model_layers(cfg):
    """A model config's `layers` list as saving_lib walks it (Sequential: without its InputLayer)."""
    layers = cfg["config"]["layers"]
    if cfg["class_name"] == "Sequential":
        layers = [l for l in layers if l["class_name"] != "InputLayer"]
    return layers


def store_keys(layers):
    # keras/src/saving/saving_lib.py _save_container_state: layers are addressed by snake-cased
    # CLASS name made unique with a counter, never by layer name.
    used, keys = {}, []
    for l in layers:
        name = to_snake_case(l["class_name"])
        if name in used:
            used[name] += 1
            name = f"{name}_{used[name]}"
        else:
            used[name] = 0
        keys.append(name)
    return keys


def layer_vars(g, layer_cfg):
    # H5IOStore: a layer's variables are vars/0..n-1; a nested model's layers sit under layers/<key>/
    v = g["vars"]
    n = len(v.keys())
    assert sorted(v.keys()) == sorted(str(i) for i in range(n)), list(v.keys())
    if "name" in v.attrs:
        assert v.attrs["name"] == layer_cfg["config"]["name"], (v.attrs["name"], layer_cfg["config"]["name"])
    ws = [summarize(v[str(i)]) for i in range(n)]
    if layer_cfg["class_name"] in ("Sequential", "Functional"):
        sub = model_layers(layer_cfg)
        for key, l in zip(store_keys(sub), sub):
            assert key in g["layers"], f"layers/.../{key} missing"
            ws += layer_vars(g["layers"][key], l)
    return ws


def store(h5file, cfg):
    out = {"kind": "store", "layers": []}
    assert "vars" in h5file, "root vars group missing"
    lg = h5file["layers"]
    layers = model_layers(cfg)
    keys = store_keys(layers)
    assert sorted(lg.keys()) == sorted(keys), (sorted(lg.keys()), sorted(keys))
    for key, l in zip(keys, layers):
        out["layers"].append({"name": l["config"]["name"], "key": key, "weights": layer_vars(lg[key], l)})
    return out


def is_keras_tensor(a):
    return isinstance(a, dict) and a.get("class_name") == "__keras_tensor__"


def check_keras3_graph(cfg):
    """Replay keras/src/models/functional.py functional_from_config on a Functional config: Keras 3
    call nodes ({"args", "kwargs"} with __keras_tensor__ {shape, dtype, keras_history}), processed in
    layer order with re-queueing, every keras_history resolving to an existing call's output; tensor
    shapes consistent (an InputLayer's output is its batch_shape). Returns the number of call nodes."""
    c = cfg["config"]
    layers = c["layers"]
    by_name = {l["name"]: l for l in layers}
    assert len(by_name) == len(layers), "duplicate layer names"
    calls = {}  # layer name -> number of calls made so far (its _inbound_nodes)
    shapes = {}  # (layer, node, tensor) -> shape
    for l in layers:
        assert l["name"] == l["config"]["name"], (l["name"], l["config"]["name"])
        assert "module" in l and "registered_name" in l, l["name"]
        calls[l["name"]] = 1 if l["class_name"] == "InputLayer" else 0
        if l["class_name"] == "InputLayer":
            shapes[(l["name"], 0, 0)] = l["config"]["batch_shape"]
    pending = {l["name"]: list(l["inbound_nodes"]) for l in layers}
    count = 0
    while any(pending.values()):
        progressed = False
        for l in layers:
            q = pending[l["name"]]
            while q:
                node = q[0]
                assert isinstance(node, dict) and set(node.keys()) == {"args", "kwargs"}, node
                assert isinstance(node["kwargs"], dict)
                refs = []
                for a in node["args"]:
                    if isinstance(a, list):
                        assert all(is_keras_tensor(t) for t in a), a
                        refs += a
                    else:
                        assert is_keras_tensor(a), a
                        refs.append(a)
                ready = True
                for t in refs:
                    tc = t["config"]
                    assert isinstance(tc["dtype"], str) and isinstance(tc["shape"], list), tc
                    layer, ni, ti = tc["keras_history"]
                    assert layer in by_name, f"unknown layer {layer}"
                    if calls[layer] <= ni:
                        ready = False  # functional_from_config: IndexError -> retry later
                        break
                    key = (layer, ni, ti)
                    if key in shapes:
                        assert list(shapes[key]) == list(tc["shape"]), (key, shapes[key], tc["shape"])
                    else:
                        shapes[key] = tc["shape"]
                if not ready:
                    break
                q.pop(0)
                calls[l["name"]] += 1
                count += 1
                progressed = True
        assert progressed, f"unresolvable nodes: {pending}"

    def leaf(r):
        layer, ni, ti = r
        if by_name[layer]["class_name"] == "Functional":
            ni -= 1  # get_tensor: functional models start with a built-in node
        assert 0 <= ni < calls[layer], r

    for key in ("input_layers", "output_layers"):
        v = c[key]
        if len(v) == 3 and isinstance(v[0], str):
            leaf(v)
        else:
            for r in v:
                leaf(r)
    for l in layers:
        if l["class_name"] in ("Functional",):
            count += check_keras3_graph(l)
    return count


def keras_zip(path):
    z = zipfile.ZipFile(path, "r")
    infos = z.infolist()
    names = [i.filename for i in infos]
    assert set(names) >= {"metadata.json", "config.json", "model.weights.h5"}, names
    for i in infos:
        assert i.compress_type == zipfile.ZIP_STORED, (i.filename, i.compress_type)
    meta = json.loads(z.read("metadata.json"))
    assert "keras_version" in meta
    cfg = json.loads(z.read("config.json"))
    assert cfg["class_name"] in ("Sequential", "Functional"), cfg["class_name"]
    for l in cfg["config"]["layers"]:
        assert "module" in l and "registered_name" in l, l.get("class_name")
    h = h5py.File(io.BytesIO(z.read("model.weights.h5")), "r")
    out = store(h, cfg)
    if cfg["class_name"] == "Functional":
        out["keras3_nodes"] = check_keras3_graph(cfg)
    out["class_name"] = cfg["class_name"]
    out["keras_version"] = meta["keras_version"]
    out["members"] = names
    return out


if __name__ == "__main__":
    kind, path = sys.argv[1], sys.argv[2]
    if kind == "h5":
        res = legacy(path, True)
    elif kind == "h5-weights":
        res = legacy(path, False)
    elif kind == "keras":
        res = keras_zip(path)
    elif kind == "weights.h5":
        # the architecture comes from a sibling .keras (argv[3]), as Keras's load_weights needs a model
        cfg = json.loads(zipfile.ZipFile(sys.argv[3]).read("config.json"))
        res = store(h5py.File(path, "r"), cfg)
    else:
        raise SystemExit("unknown kind " + kind)
    print(json.dumps(res))
