"""DiagonalProjection against a plain-Python transcription of the reference's loops (the 1D filter
along diagonals, every slope case, and the 4D Gaussian), engines and threads alike, and the errors."""

from __future__ import annotations

import numpy as np
import pytest

import nnc as ann
from nnc.diagnostics import ModelError
from nnc.extensions.diagonal import DiagonalProjection

INPUT = ann.Neuron(parameters="r = 0.0")
OUTPUT = ann.Neuron(equations="r = sum(exc)")


def _diagonal_loops(r: np.ndarray, post_shape: tuple[int, int], w: list[float], offset: int, slope: int):
    """The reference's OpenMP kernel, loop for loop (pre rows over range(pre.geometry[0]))."""
    out = np.zeros(post_shape)
    rows_pre, cols_pre = r.shape
    centre = len(w) // 2
    for idx in range(post_shape[1]):
        total = 0.0
        start = idx - offset if slope >= 0 else idx + offset
        for i in range(rows_pre):
            c = start + slope * i if slope >= 0 else start - (-slope) * i
            if c < 0 or c > cols_pre - 1:
                continue
            for f in range(len(w)):
                col = c + (f - centre)
                if col < 0 or col > cols_pre - 1:
                    continue
                total += w[f] * r[i, col]
        out[:, idx] += total
    return out


def _run(pre_shape, post_shape, connect, r, engine="llvm", threads=1):
    net = ann.Network(dt=1.0, seed=1)
    net.config(engine=engine, num_threads=threads)
    pre = net.create(pre_shape, INPUT)
    post = net.create(post_shape, OUTPUT)
    proj = net.connect(DiagonalProjection(pre, post, "exc"))
    connect(proj)
    net.compile()
    pre.r = r
    net.simulate(2.0)
    return np.asarray(post.r).reshape(post_shape)


@pytest.mark.parametrize(("offset", "slope"), [(0, 1), (2, 1), (1, 2), (3, 0), (-2, -1), (1, -2)])
def test_filter_along_diagonals(offset, slope, engine):
    rng = np.random.default_rng(abs(offset * 10 + slope))
    r = rng.random((7, 7))
    w = [0.25, 1.0, -0.5]
    got = _run((7, 7), (3, 9), lambda p: p.connect(weights=w, offset=offset, slope=slope), r, engine)
    np.testing.assert_allclose(got, _diagonal_loops(r, (3, 9), w, offset, slope), rtol=1e-13, atol=1e-14)


def _gaussian_loops(r, post_shape, amp, sigma, min_val, max_distance):
    pre_shape = r.shape
    ow = (pre_shape[0] - pre_shape[0] % 2) / 2.0
    oh = (pre_shape[1] - pre_shape[1] % 2) / 2.0
    sw = sigma * (post_shape[2] - post_shape[2] % 2)
    sh = sigma * (post_shape[3] - post_shape[3] % 2)
    result = np.zeros(post_shape[2:])
    for p2 in range(post_shape[2]):
        for p3 in range(post_shape[3]):
            for q in np.ndindex(*pre_shape):
                dw = int(p2 - (q[0] + q[2]) + ow)
                dh = int(p3 - (q[1] + q[3]) + oh)
                val = amp * np.exp(-(dw * dw / sw / sw + dh * dh / sh / sh))
                near = max_distance == 0.0 or (abs(dw) < max_distance and abs(dh) < max_distance)
                if val > min_val and near:
                    result[p2, p3] += val * r[q]
    return np.broadcast_to(result, post_shape)


@pytest.mark.parametrize("max_distance", [0.0, 2.0])
def test_gaussian_between_4d_maps(max_distance, engine):
    r = np.random.default_rng(4).random((3, 2, 3, 4))
    post_shape = (2, 2, 4, 5)
    got = _run(
        r.shape,
        post_shape,
        lambda p: p.connect_gaussian(1.5, 0.4, 0.05, max_distance=max_distance),
        r,
        engine,
    )
    want = _gaussian_loops(r, post_shape, 1.5, 0.4, 0.05, max_distance)
    np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-14)


def test_engines_and_threads_agree_bit_for_bit():
    r = np.random.default_rng(9).random((6, 8))
    runs = [
        _run((6, 8), (4, 8), lambda p: p.connect(weights=[0.3, 0.5, 0.7, 0.2], offset=1), r, e, n)
        for e, n in (("interp", 1), ("llvm", 1), ("llvm", 2))
    ]
    for other in runs[1:]:
        np.testing.assert_array_equal(runs[0], other)


def test_errors():
    net = ann.Network(dt=1.0, seed=1)
    pre = net.create((4, 4), INPUT)
    line = net.create(16, OUTPUT)
    post = net.create((4, 4), OUTPUT)
    with pytest.raises(ModelError, match="only works when both populations have 2 dimensions"):
        net.connect(DiagonalProjection(pre, line, "exc")).connect(weights=[1.0])
    with pytest.raises(ModelError, match="4 dimensions"):
        net.connect(DiagonalProjection(pre, post, "exc")).connect_gaussian(1.0, 0.5, 0.1)
    with pytest.raises(ModelError, match="integers"):
        net.connect(DiagonalProjection(pre, post, "exc")).connect(weights=[1.0], slope=0.5)
    with pytest.raises(ModelError, match="non-empty"):
        net.connect(DiagonalProjection(pre, post, "exc")).connect(weights=[])
    spikes = net.create(ann.SpikeSourceArray(spike_times=[[1.0]] * 16))
    with pytest.raises(ModelError, match="rate-coded"):
        DiagonalProjection(spikes, post, "exc")
