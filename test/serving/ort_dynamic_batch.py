#!/usr/bin/env python3
"""Rewrites an ONNX graph exported with a static batch size so its batch dimension is free.

  python3 ort_dynamic_batch.py IN.onnx OUT.onnx

loadtest.mjs uses it to serve the shared bench's LeNet-5 graph (exported at batch 256 by
../shared/bench/peers/export_onnx.py) from onnxruntime-node one request at a time and behind the
same dynamic batcher as convkit, so both runtimes serve the same weights-free-of-batch graph.
Only the leading dimension of the graph inputs and outputs is renamed to a symbol; the inferred
intermediate shapes (value_info) are dropped so onnxruntime infers them again for each batch. A
graph that bakes the batch into a Reshape constant would fail at load with another batch, which
loadtest.mjs reports instead of a figure.
"""
import sys

import onnx


def main():
    src, dst = sys.argv[1], sys.argv[2]
    m = onnx.load(src)
    for v in list(m.graph.input) + list(m.graph.output):
        d = v.type.tensor_type.shape.dim[0]
        d.ClearField("dim_value")
        d.dim_param = "N"
    del m.graph.value_info[:]
    onnx.checker.check_model(m)
    onnx.save(m, dst)


if __name__ == "__main__":
    main()
