#!/usr/bin/env python3
# The PyTorch side of scripts/train-step-best.mjs: one training step (Adam, cross-entropy, NHWC
# channels_last, as ../shared/bench/peers/torch_peer.py runs it) of a model of the shared
# benchmark, best of many short chunks, wall and CPU time.
#   /usr/bin/python3 scripts/torch-train-step.py [model=lenet5] [batch=64] [threads=2] [chunks=40] [steps=10]
# On the session-5 VM glibc returns PyTorch's large activation buffers to the kernel after every
# step and the page faults dominate (LeNet-5: ~17 ms vs ~4.3 ms per step on one thread); run it
# also with MALLOC_MMAP_THRESHOLD_=4294967296 MALLOC_TRIM_THRESHOLD_=4294967296 to time the
# kernels without that. Not a test; a measurement.
import json, sys, time
sys.path.insert(0, '/work/shared/bench/peers')
import torch
import torch.nn.functional as F
from torch_models import build_model

which, b, threads, chunks, per = (sys.argv[1:] + ['lenet5', '64', '2', '40', '10'][len(sys.argv) - 1:])[:5]
b, threads, chunks, per = int(b), int(threads), int(chunks), int(per)
torch.set_num_threads(threads)
doc = json.load(open('/work/shared/bench/cases.json'))
torch.manual_seed(0)
model, (c, h, w) = build_model(doc['models'][which], with_softmax=False)
model = model.to(memory_format=torch.channels_last)
x = torch.randn(b, c, h, w).contiguous(memory_format=torch.channels_last)
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
with torch.no_grad():
    classes = model(x).shape[1]
y = torch.randint(0, classes, (b,))

def step():
    opt.zero_grad(set_to_none=True)
    F.cross_entropy(model(x), y).backward()
    opt.step()

for _ in range(20):
    step()
bc = bw = float('inf')
for _ in range(chunks):
    c0, t0 = time.process_time(), time.perf_counter()
    for _ in range(per):
        step()
    bc = min(bc, (time.process_time() - c0) / per * 1e3)
    bw = min(bw, (time.perf_counter() - t0) / per * 1e3)
print(f"torch {which} b{b} threads={threads}: wall {bw:.3f} ms/step, cpu {bc:.3f} ms/step (best of {chunks} x {per} steps)")
