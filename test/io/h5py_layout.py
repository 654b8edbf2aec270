"""Read convkit-written files with h5py the way Keras's own loaders do, and print a JSON summary.

legacy .h5  (keras/src/legacy/saving/legacy_h5_format.py: load_model_from_hdf5 /
             load_weights_from_hdf5_group / load_attributes_from_hdf5_group)
.keras      (keras/src/saving/saving_lib.py: zip members, config.json, H5IOStore layers/<name>/vars/<i>)
.weights.h5 (same store, no zip)
Any deviation raises; the TypeScript test compares the summary with convkit's own weights.
"""
import io
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


def layer_vars(g):
    # H5IOStore: a layer's variables are vars/0..n-1; a nested model's layers sit under layers/<name>/
    v = g["vars"]
    n = len(v.keys())
    assert sorted(v.keys()) == sorted(str(i) for i in range(n)), list(v.keys())
    ws = [summarize(v[str(i)]) for i in range(n)]
    if "layers" in g:
        for sub in g["layers"].keys():
            ws += layer_vars(g["layers"][sub])
    return ws


def store(h5file, config_layers=None):
    out = {"kind": "store", "layers": []}
    assert "vars" in h5file, "root vars group missing"
    lg = h5file["layers"]
    names = config_layers if config_layers is not None else list(lg.keys())
    for ln in names:
        assert ln in lg, f"layers/{ln} missing"
        out["layers"].append({"name": ln, "weights": layer_vars(lg[ln])})
    return out


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
    layers = cfg["config"]["layers"]
    # Sequential: Keras stores no group for the InputLayer; Functional stores one for every layer.
    if cfg["class_name"] == "Sequential":
        layers = [l for l in layers if l["class_name"] != "InputLayer"]
    for l in layers:
        assert "module" in l and "registered_name" in l, l.get("class_name")
    lnames = [l["config"]["name"] for l in layers]
    h = h5py.File(io.BytesIO(z.read("model.weights.h5")), "r")
    out = store(h, lnames)
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
        res = store(h5py.File(path, "r"))
    else:
        raise SystemExit("unknown kind " + kind)
    print(json.dumps(res))
