"""Convolution and Pooling (API.md §11): filters, banks, sub-sampling, 'border' padding, delays, pooling.

One network: a (12, 10) input whose rates change every step (set from Python) and a (12, 10, 3) input;
single 3x3 and 4x2 filters onto the same size (padding 0), a 3x3 filter sub-sampled by 2 with
``padding='border'``, a bank of four 3x3 filters, a (3, 3, 3) filter over the channels onto (12, 10), a
3x3 filter with ``keep_last_dimension``, a delayed filter (2 ms), an explicit ``subsampling`` list, and
max / min / mean pooling (2x2, and (3, 5) with an explicit extent). 8 steps, every output recorded.

Constant non-zero padding and max/min convolutions of negative values are not compared: there nnc
follows the documented semantics and the reference differs (see nnc/extensions/convolution).
"""

import importlib
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import Results

out = Results("convolution", rtol=1e-12)
ann = out.ann
conv = importlib.import_module(f"{out.sim}.extensions.convolution")

rng = np.random.default_rng(11)
Input = ann.Neuron(parameters="r = 0.0")
Output = ann.Neuron(equations="r = sum(exc)")

net = ann.Network(dt=1.0, seed=1)
inp = net.create((12, 10), Input, name="inp")
rgb = net.create((12, 10, 3), Input, name="rgb")
w33, w42 = rng.normal(size=(3, 3)), rng.normal(size=(4, 2))
bank = rng.normal(size=(4, 3, 3))
w333 = rng.normal(size=(3, 3, 3))
anchors = [[int(a), int(b)] for a, b in zip(rng.integers(0, 12, 6), rng.integers(0, 10, 6), strict=True)]
cases = {
    "same3x3": ((12, 10), lambda p, q: conv.Convolution(p, q, "exc"), dict(filter=w33)),
    "same4x2": ((12, 10), lambda p, q: conv.Convolution(p, q, "exc"), dict(filter=w42)),
    "sub2_border": ((6, 5), lambda p, q: conv.Convolution(p, q, "exc"), dict(filter=w33, padding="border")),
    "bank": ((12, 10, 4), lambda p, q: conv.Convolution(p, q, "exc"), dict(filters=bank)),
    "bank_sub2": ((6, 5, 4), lambda p, q: conv.Convolution(p, q, "exc"), dict(filters=bank)),
    "delayed": ((12, 10), lambda p, q: conv.Convolution(p, q, "exc"), dict(filter=w33, delays=2.0)),
    "subsampling": (
        (2, 3),
        lambda p, q: conv.Convolution(p, q, "exc"),
        dict(filter=w42, subsampling=anchors),
    ),
    "maxpool": ((6, 5), lambda p, q: conv.Pooling(p, q, "exc", operation="max"), dict(extent=None)),
    "minpool": ((6, 5), lambda p, q: conv.Pooling(p, q, "exc", operation="min"), dict(extent=None)),
    "meanpool": ((4, 2), lambda p, q: conv.Pooling(p, q, "exc", operation="mean"), dict(extent=(3, 5))),
}
monitors = {}
for name, (shape, make, kw) in cases.items():
    pop = net.create(shape, Output, name=name)
    proj = net.connect(make(inp, pop))
    if "filter" in kw:
        extra = {k: v for k, v in kw.items() if k != "filter"}
        proj.connect_filter(kw["filter"], **extra)
    elif "filters" in kw:
        proj.connect_filters(kw["filters"])
    else:
        proj.pooling(kw["extent"])
    monitors[name] = net.monitor(pop, "r")
channels = net.create((12, 10), Output, name="channels")
net.connect(conv.Convolution(rgb, channels, "exc")).connect_filter(w333)
monitors["channels"] = net.monitor(channels, "r")
per_channel = net.create((12, 10, 3), Output, name="per_channel")
net.connect(conv.Convolution(rgb, per_channel, "exc")).connect_filter(w33, keep_last_dimension=True)
monitors["per_channel"] = net.monitor(per_channel, "r")

out.compile(net)
rgb.r = rng.random((12, 10, 3))
for _ in range(8):
    inp.r = rng.normal(size=(12, 10))
    net.step()
for name, m in monitors.items():
    out.value(name, m.get("r"))
out.emit()
