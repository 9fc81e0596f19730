"""Throughput of Convolution and Pooling projections next to SciPy / NumPy on the same sizes.

Each case builds a network ``inp -> out`` (``r = sum(exc)``) with one Convolution or Pooling projection,
and measures the time per simulated step (median of ``--repeats`` runs of ``--steps`` steps, after a
warm-up run), with ``--threads`` threads; the same network without the projection gives the cost of the
rest of the step (populations, clearing the inputs), which is subtracted to give the projection's own
time. Next to it, on the same input: ``scipy.signal.correlate`` (``mode='same'``, direct method) and
``scipy.ndimage.correlate`` (``mode='constant'``) for a convolution, NumPy's ``reshape(...).max()`` /
``.mean()`` for pooling. Output: one JSON line with, per case, seconds per step and outputs per second.

    python benchmarks/convolution.py [--steps 200] [--repeats 5] [--threads 1] [--only conv3x3]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from collections.abc import Callable

import numpy as np
from scipy import ndimage, signal
from timing import median_seconds

import nnc as ann
from nnc.extensions.convolution import Convolution, Pooling

Input = ann.Neuron(parameters="r = 0.0")
Output = ann.Neuron(equations="r = sum(exc)")


def _conv(pre, post, kernel, padding=0.0):
    rng = np.random.default_rng(1)
    w = rng.normal(size=kernel)

    def connect(net, inp, out):
        proj = net.connect(Convolution(inp, out, "exc"))
        if len(kernel) > len(pre):
            proj.connect_filters(w, padding=padding)
        else:
            proj.connect_filter(w, padding=padding)

    def scipy_signal(x):
        if len(kernel) > len(pre):
            return [signal.correlate(x, f, mode="same", method="direct") for f in w]
        return signal.correlate(x, w, mode="same", method="direct")

    def scipy_ndimage(x):
        mode = "nearest" if padding == "border" else "constant"
        if len(kernel) > len(pre):
            return [ndimage.correlate(x, f, mode=mode) for f in w]
        return ndimage.correlate(x, w, mode=mode)

    return connect, {"scipy.signal.correlate": scipy_signal, "scipy.ndimage.correlate": scipy_ndimage}


def _pool(pre, post, operation):
    box = tuple(p // q for p, q in zip(pre, post, strict=True))

    def connect(net, inp, out):
        net.connect(Pooling(inp, out, "exc", operation=operation)).pooling()

    def numpy_pool(x):
        blocks = x.reshape(post[0], box[0], post[1], box[1])
        return blocks.max(axis=(1, 3)) if operation == "max" else blocks.mean(axis=(1, 3))

    return connect, {f"numpy reshape.{operation}": numpy_pool}


CASES: dict[str, tuple[tuple[int, ...], tuple[int, ...], Callable]] = {
    "conv3x3_128": ((128, 128), (128, 128), lambda pre, post: _conv(pre, post, (3, 3))),
    "conv5x5_128": ((128, 128), (128, 128), lambda pre, post: _conv(pre, post, (5, 5))),
    "conv3x3_256_border": ((256, 256), (256, 256), lambda pre, post: _conv(pre, post, (3, 3), "border")),
    "bank16x3x3_64": ((64, 64), (64, 64, 16), lambda pre, post: _conv(pre, post, (16, 3, 3))),
    "maxpool2x2_256": ((256, 256), (128, 128), lambda pre, post: _pool(pre, post, "max")),
    "meanpool4x4_128": ((128, 128), (32, 32), lambda pre, post: _pool(pre, post, "mean")),
}


def _network(pre, post, connect, threads: int, with_projection: bool) -> ann.Network:
    net = ann.Network(dt=1.0, seed=1)
    net.config(num_threads=threads)
    inp = net.create(pre, Input)
    out = net.create(post, Output if with_projection else ann.Neuron(equations="r = 0.0"))
    if with_projection:
        connect(net, inp, out)
    net.compile(directory=os.path.join(tempfile.gettempdir(), "nnc-bench-convolution"))
    inp.r = np.random.default_rng(2).random(pre)
    return net


def run_case(name: str, steps: int, repeats: int, threads: int) -> dict[str, object]:
    pre, post, make = CASES[name]
    connect, others = make(pre, post)
    per_step = {}
    for with_projection in (True, False):
        net = _network(pre, post, connect, threads, with_projection)
        seconds = median_seconds(lambda net=net: net.simulate(float(steps)), repeats, warmup=True)
        per_step[with_projection] = seconds / steps
    outputs = int(np.prod(post))
    projection = max(per_step[True] - per_step[False], 1e-12)
    result: dict[str, object] = {
        "pre": list(pre),
        "post": list(post),
        "nnc_step_s": per_step[True],
        "nnc_rest_of_step_s": per_step[False],
        "nnc_projection_s": projection,
        "nnc_outputs_per_s": outputs / projection,
    }
    x = np.random.default_rng(2).random(pre)
    for label, fn in others.items():
        seconds = median_seconds(lambda fn=fn: fn(x), repeats * 3, warmup=True)
        result[f"{label}_s"] = seconds
        result[f"ratio_{label}_over_nnc"] = seconds / projection
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--only", nargs="*", default=None, help="case names (default: all)")
    args = parser.parse_args()
    names = args.only or list(CASES)
    report = {
        "benchmark": "convolution",
        "threads": args.threads,
        "steps": args.steps,
        "repeats": args.repeats,
        "cases": {n: run_case(n, args.steps, args.repeats, args.threads) for n in names},
    }
    print(json.dumps(report))


if __name__ == "__main__":
    main()
