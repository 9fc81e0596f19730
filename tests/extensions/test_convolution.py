"""Convolution and pooling (API.md §11) against scipy.signal.correlate and NumPy pooling, for every padding
and sub-sampling case; every engine, thread count and the fuse pass give the same bits."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import correlate

import nnc as ann
from nnc.diagnostics import ModelError
from nnc.extensions.convolution import Convolution, Pooling
from nnc.extensions.convolution.anchors import center_filter

Input = ann.Neuron(parameters="r = 0.0")
Output = ann.Neuron(equations="r = sum(exc)")
RNG = np.random.default_rng(20240601)


def _reference(x: np.ndarray, w: np.ndarray, padding: object, anchors: np.ndarray) -> np.ndarray:
    """Σ_k x[a + k - c(n)] w[k] at each anchor ``a``: scipy.signal.correlate over x padded by the filter's
    reach (constant ``padding`` or the border values), read at the anchors."""
    pads = [(center_filter(n), n - 1 - center_filter(n)) for n in w.shape]
    if padding == "border":
        padded = np.pad(x, pads, mode="edge")
    else:
        padded = np.pad(x, pads, mode="constant", constant_values=float(padding))
    full = correlate(padded, w, mode="valid", method="direct")
    assert full.shape == x.shape
    return full[tuple(anchors.T)]


def _simulate(pre_shape, post_shape, connect, x, steps=2, engine="llvm", threads=1, **config):
    net = ann.Network(dt=1.0, seed=1)
    net.config(engine=engine, num_threads=threads, **config)
    inp = net.create(pre_shape, Input)
    out = net.create(post_shape, Output)
    proj = connect(net, inp, out)
    net.compile()
    inp.r = x
    for _ in range(steps):
        net.step()
    return np.asarray(out.r), proj


def _grid_anchors(pre_shape, post_shape) -> np.ndarray:
    ranges = []
    for p, q in zip(pre_shape, post_shape, strict=True):
        s = p // q
        ranges.append([(s - 1) // 2 + s * i for i in range(q)])
    return np.array(np.meshgrid(*ranges, indexing="ij")).reshape(len(pre_shape), -1).T


PADDINGS = [0.0, 0.7, -1.5, "border"]
KERNELS = [(3, 3), (4, 2), (5, 3), (1, 1), (2, 6)]


@pytest.mark.parametrize("padding", PADDINGS, ids=str)
def test_filter_matches_scipy(padding):
    """2-D filters of odd, even and unit sizes over a (12, 10) population: onto the same size, and
    sub-sampled by 2 and by (3, 5) (one network, a projection per case)."""
    pre_shape = (12, 10)
    x = RNG.random(pre_shape)
    net = ann.Network(dt=1.0, seed=1)
    inp = net.create(pre_shape, Input)
    cases = []
    for kernel in KERNELS:
        for post_shape in [(12, 10), (6, 5), (4, 2)]:
            w = RNG.normal(size=kernel)
            out = net.create(post_shape, Output)
            net.connect(Convolution(inp, out, "exc")).connect_filter(w, padding=padding)
            cases.append((w, post_shape, out))
    net.compile()
    inp.r = x
    net.step()
    for w, post_shape, out in cases:
        want = _reference(x, w, padding, _grid_anchors(pre_shape, post_shape)).reshape(post_shape)
        np.testing.assert_allclose(out.r, want, rtol=1e-13, atol=1e-13, err_msg=f"{w.shape} -> {post_shape}")


@pytest.mark.parametrize("padding", PADDINGS, ids=str)
def test_explicit_subsampling_list(padding):
    pre_shape, post_shape = (9, 7), (5, 2)
    x = RNG.random(pre_shape)
    w = RNG.normal(size=(3, 4))
    anchors = np.stack([RNG.integers(0, 9, 10), RNG.integers(0, 7, 10)], axis=1)
    anchors[0] = (0, 0)  # corners, where padding matters most
    anchors[1] = (8, 6)

    def connect(net, inp, out):
        c = Convolution(inp, out, "exc")
        return net.connect(c).connect_filter(w, padding=padding, subsampling=anchors.tolist())

    got, _ = _simulate(pre_shape, post_shape, connect, x)
    np.testing.assert_allclose(got.reshape(-1), _reference(x, w, padding, anchors), rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("padding", PADDINGS, ids=str)
def test_one_and_three_dimensions(padding):
    x1 = RNG.random(17)
    w1 = RNG.normal(size=4)

    def connect1(net, inp, out):
        return net.connect(Convolution(inp, out, "exc")).connect_filter(w1, padding=padding)

    got, _ = _simulate(17, 17, connect1, x1)
    want = _reference(x1, w1, padding, np.arange(17)[:, None])
    np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-13)

    x3 = RNG.random((6, 8, 4))
    w3 = RNG.normal(size=(3, 2, 3))

    def connect3(net, inp, out):
        return net.connect(Convolution(inp, out, "exc")).connect_filter(w3, padding=padding)

    got, _ = _simulate((6, 8, 4), (3, 4, 4), connect3, x3)
    want = _reference(x3, w3, padding, _grid_anchors((6, 8, 4), (3, 4, 4))).reshape(3, 4, 4)
    np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("padding", PADDINGS, ids=str)
def test_filter_over_the_channels_onto_fewer_dimensions(padding):
    """(8, 10, 3) * (3, 3, 3) -> (8, 10): the last filter dimension spans the channels."""
    x = RNG.random((8, 10, 3))
    w = RNG.normal(size=(3, 3, 3))

    def connect(net, inp, out):
        return net.connect(Convolution(inp, out, "exc")).connect_filter(w, padding=padding)

    got, _ = _simulate((8, 10, 3), (8, 10), connect, x)
    anchors = np.column_stack([_grid_anchors((8, 10), (8, 10)), np.ones(80, dtype=int)])
    np.testing.assert_allclose(got.reshape(-1), _reference(x, w, padding, anchors), rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("padding", PADDINGS, ids=str)
def test_keep_last_dimension(padding):
    """(8, 6, 4) * (3, 3) -> (8, 6, 4) with keep_last_dimension: each channel on its own."""
    x = RNG.random((8, 6, 4))
    w = RNG.normal(size=(3, 3))

    def connect(net, inp, out):
        c = net.connect(Convolution(inp, out, "exc"))
        return c.connect_filter(w, keep_last_dimension=True, padding=padding)

    got, _ = _simulate((8, 6, 4), (8, 6, 4), connect, x)
    want = np.stack([_reference(x[..., c], w, padding, _grid_anchors((8, 6), (8, 6))) for c in range(4)], 1)
    np.testing.assert_allclose(got.reshape(-1, 4), want, rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("padding", PADDINGS, ids=str)
@pytest.mark.parametrize("post_shape", [(10, 8, 5), (5, 4, 5)], ids=str)
def test_bank_of_filters(padding, post_shape):
    x = RNG.random((10, 8))
    bank = RNG.normal(size=(5, 3, 2))

    def connect(net, inp, out):
        return net.connect(Convolution(inp, out, "exc")).connect_filters(bank, padding=padding)

    got, proj = _simulate((10, 8), post_shape, connect, x)
    anchors = _grid_anchors((10, 8), post_shape[:2])
    want = np.stack([_reference(x, bank[f], padding, anchors) for f in range(5)], axis=1)
    np.testing.assert_allclose(got.reshape(-1, 5), want, rtol=1e-13, atol=1e-13)
    np.testing.assert_array_equal(proj.weights, bank)


def test_bank_over_channels_and_explicit_subsampling():
    x = RNG.random((7, 9, 3))
    bank = RNG.normal(size=(4, 3, 3, 3))
    anchors = np.stack([RNG.integers(0, 7, 6), RNG.integers(0, 9, 6), np.ones(6, dtype=int)], axis=1)

    def connect(net, inp, out):
        c = net.connect(Convolution(inp, out, "exc"))
        return c.connect_filters(bank, padding=0.25, subsampling=anchors.tolist())

    got, _ = _simulate((7, 9, 3), (2, 3, 4), connect, x)
    want = np.stack([_reference(x, bank[f], 0.25, anchors) for f in range(4)], axis=1)
    np.testing.assert_allclose(got.reshape(-1, 4), want, rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("operation", ["max", "min", "mean"])
def test_operations(operation):
    """max/min skip the positions outside the population; mean divides the sum (padding included) by the
    filter size."""
    x = RNG.normal(size=(7, 8))
    w = RNG.normal(size=(3, 4))

    def connect(net, inp, out):
        return net.connect(Convolution(inp, out, "exc", operation=operation)).connect_filter(w, padding=0.3)

    got, _ = _simulate((7, 8), (7, 8), connect, x)
    anchors = _grid_anchors((7, 8), (7, 8))
    if operation == "mean":
        want = _reference(x, w, 0.3, anchors) / w.size
    else:
        values = np.full((len(anchors), w.size), np.nan)
        for k, (dy, dx) in enumerate(np.ndindex(*w.shape)):
            yy = anchors[:, 0] + dy - center_filter(3)
            xx = anchors[:, 1] + dx - center_filter(4)
            ok = (yy >= 0) & (yy < 7) & (xx >= 0) & (xx < 8)
            values[ok, k] = x[yy[ok], xx[ok]] * w[dy, dx]
        want = np.nanmax(values, axis=1) if operation == "max" else np.nanmin(values, axis=1)
    np.testing.assert_allclose(got.reshape(-1), want, rtol=1e-13, atol=1e-13)


def test_custom_psp_reads_post_and_pre_attributes():
    x = RNG.random((6, 6))
    w = RNG.normal(size=(3, 3))
    net = ann.Network(dt=1.0, seed=1)
    inp = net.create((6, 6), Input)
    out = net.create((6, 6), ann.Neuron(parameters="g = 2.0", equations="r = sum(exc)"))
    net.connect(Convolution(inp, out, "exc", psp="w * pre.r * pre.r * post.g")).connect_filter(w, padding=0.5)
    net.compile()
    inp.r = x
    net.step()
    want = 2.0 * _reference(x * x, w, 0.25, _grid_anchors((6, 6), (6, 6)))
    np.testing.assert_allclose(out.r.reshape(-1), want, rtol=1e-13, atol=1e-13)


def test_uniform_delay():
    """delays=3 ms: step k reads the rates set 3 steps before (and the padding outside)."""
    w = RNG.normal(size=(3, 3))
    net = ann.Network(dt=1.0, seed=1)
    inp = net.create((5, 5), Input)
    out = net.create((5, 5), Output)
    net.connect(Convolution(inp, out, "exc")).connect_filter(w, delays=3.0, padding=0.2)
    net.compile()
    frames = [RNG.random((5, 5)) for _ in range(6)]
    got = []
    for f in frames:
        inp.r = f
        net.step()
        got.append(out.r.copy())
    anchors = _grid_anchors((5, 5), (5, 5))
    for k in range(3, 6):
        want = _reference(frames[k - 3], w, 0.2, anchors).reshape(5, 5)
        np.testing.assert_allclose(got[k], want, rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("operation", ["max", "min", "mean"])
@pytest.mark.parametrize(
    ("pre_shape", "post_shape", "extent"),
    [((12, 8), (6, 4), None), ((12, 8), (4, 2), (3, 4)), ((7, 8), (3, 3), (3, 3)), ((6, 8), (6,), (1, 8)),
     ((6, 4, 3), (3, 2, 1), None)],
    ids=str,
)  # fmt: skip
def test_pooling_matches_numpy(operation, pre_shape, post_shape, extent):
    """Pooling over boxes of ``extent`` from ``i·extent``; the (7, 8) -> (3, 3) case has boxes that leave
    the population (skipped; the mean still divides by the box size)."""
    x = RNG.normal(size=pre_shape)

    def connect(net, inp, out):
        return net.connect(Pooling(inp, out, "exc", operation=operation)).pooling(extent)

    got, proj = _simulate(pre_shape, post_shape, connect, x)
    box = proj.extent
    want = np.zeros(post_shape)
    for idx in np.ndindex(*post_shape):
        lo = [idx[d] * box[d] if d < len(post_shape) else 0 for d in range(len(pre_shape))]
        block = x[tuple(slice(a, a + e) for a, e in zip(lo, box, strict=True))]
        reduce = {"max": np.max, "min": np.min}.get(operation)
        want[idx] = reduce(block) if reduce else block.sum() / np.prod(box)
    np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-13)


RUNS = [("interp", 1, True), ("llvm", 1, True), ("llvm", 2, True), ("llvm", 1, False), ("llvm", 2, False)]


def test_engines_threads_and_fusion_agree_bit_for_bit():
    """A network with a bank convolution (delayed), a 'border' convolution, max and mean pooling, run
    for 20 steps on time-varying inputs: every engine, thread count and fused or not gives the same bits."""
    results = []
    bank = RNG.normal(size=(3, 3, 3))
    w = RNG.normal(size=(5, 4))
    for engine, threads, fuse in RUNS:
        net = ann.Network(dt=1.0, seed=1)
        net.config(engine=engine, num_threads=threads, fuse=fuse)
        inp = net.create((20, 18), ann.Neuron(parameters="f = 1.0", equations="r = sin(f * t / 7.0)"))
        inp.f = np.linspace(0.5, 3.0, 360).reshape(20, 18)
        a = net.create((10, 9, 3), Output)
        b = net.create((20, 18), Output)
        c = net.create((5, 6, 3), ann.Neuron(equations="r = sum(exc) + sum(inh)"))
        net.connect(Convolution(inp, a, "exc")).connect_filters(bank, delays=2.0, padding=0.1)
        net.connect(Convolution(inp, b, "exc")).connect_filter(w, padding="border")
        net.connect(Pooling(a, c, "exc", operation="max")).pooling((2, 2, 1))
        net.connect(Pooling(a, c, "inh", operation="mean")).pooling((2, 2, 1))
        mons = [net.monitor(p, "r") for p in (a, b, c)]
        net.compile()
        net.simulate(20.0)
        results.append([m.get("r") for m in mons])
    for other in results[1:]:
        for x, y in zip(results[0], other, strict=True):
            np.testing.assert_array_equal(x, y)
    assert np.abs(results[0][2]).max() > 0.1


def test_weights_after_compile_and_float32():
    x = RNG.random((6, 7)).astype(np.float32)
    w = RNG.normal(size=(3, 3))
    net = ann.Network(dt=1.0, seed=1)
    net.config(dtype=ann.float32)
    inp = net.create((6, 7), Input)
    out = net.create((6, 7), Output)
    proj = net.connect(Convolution(inp, out, "exc")).connect_filter(w)
    net.compile()
    inp.r = x
    net.step()
    anchors = _grid_anchors((6, 7), (6, 7))
    np.testing.assert_allclose(out.r.reshape(-1), _reference(x, w, 0.0, anchors), rtol=1e-5, atol=1e-5)
    proj.weights = 2 * w
    net.step()
    np.testing.assert_allclose(out.r.reshape(-1), _reference(x, 2 * w, 0.0, anchors), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(proj.w, 2 * w, rtol=1e-6)
    with pytest.raises(ModelError, match="Mismatch between filter dimensions"):
        proj.weights = np.zeros((2, 2))


def test_connectivity_is_visible_and_dump_ir_shows_the_stencil():
    net = ann.Network(dt=1.0, seed=1)
    inp = net.create((4, 4), Input)
    out = net.create((2, 2), Output)
    proj = net.connect(Convolution(inp, out, "exc")).connect_filter(np.ones((3, 3)), padding="border")
    net.compile()
    assert proj.size == 4
    assert proj.post_ranks == [0, 1, 2, 3]
    # anchors (0, 0), (0, 2), (2, 0), (2, 2); border clamps the positions above/left of the first
    assert proj.pre_ranks[0] == [0, 0, 1, 0, 0, 1, 4, 4, 5]
    assert proj.nb_synapses == 36
    text = net._runtime.module  # the compiled module prints its format line
    from nnc.ir.printer import print_module

    printed = print_module(text)
    assert "extent=(3, 3) origin=(-1, -1) padding=border" in printed
    assert "format stencil" in printed


def test_errors():
    net = ann.Network(dt=1.0, seed=1)
    inp = net.create((6, 6, 2), Input)
    out = net.create((6, 6, 2), Output)
    flat = net.create((6, 6), Output)
    with pytest.raises(ModelError, match="keep_last_dimension"):
        Convolution(inp, out, "exc").connect_filter(np.ones((3, 3)))
    with pytest.raises(ModelError, match="connect_filters"):
        Convolution(flat, flat, "exc").connect_filter(np.ones((3, 3, 3)))
    with pytest.raises(ModelError, match="as many neurons as there are filters"):
        Convolution(flat, out, "exc").connect_filters(np.ones((3, 3, 3)))
    with pytest.raises(ModelError, match="multiple of the post-synaptic"):
        Convolution(inp, net.create((4, 6, 2), Output), "exc").connect_filter(np.ones((3, 3, 2)))
    with pytest.raises(ModelError, match="'max', 'mean' or 'min'"):
        Pooling(inp, out, "exc", operation="sum")
    with pytest.raises(ModelError, match="tuple for the extent"):
        Pooling(inp, out, "exc").pooling([2, 2, 1])
    net2 = ann.Network(dt=1.0, seed=1)
    a = net2.create((4, 4), Input)
    b = net2.create((4, 4), Output)
    net2.connect(Convolution(a, b, "exc"))
    with pytest.raises(ModelError, match="not connected"):
        net2.compile()


def test_spiking_populations_read_their_variables_every_step():
    """From a spiking population (as in the converted networks of ann_to_snn_conversion), convolution and
    pooling read a pre-synaptic variable every step (not its spikes) into the post's ``g_target``: the
    previous step's ``mask`` correlated with the filter (SciPy) or max-pooled (NumPy), on every engine."""
    source = ann.Neuron(
        parameters="rates = 0.0\nmask_tau = 5.0",
        equations="p = Uniform(0.0, 1.0) * 1000.0 / dt\ndmask/dt = -mask / mask_tau : init=0.0",
        spike="p < rates",
        reset="mask += 1.0",
    )
    target = ann.Neuron(equations="dv/dt = g_exc : init = 0.0", spike="v > 1e9", reset="")
    f = np.random.default_rng(0).random((3, 3))
    runs = []
    for engine, threads in (("interp", 1), ("llvm", 1), ("llvm", 2)):
        net = ann.Network(dt=1.0, seed=1)
        net.config(engine=engine, num_threads=threads)
        inp = net.create((6, 6), source)
        conv = net.create((6, 6), target)
        pool = net.create((3, 3), target)
        net.connect(Convolution(inp, conv, "exc", psp="pre.mask * w")).connect_filter(weights=f)
        net.connect(Pooling(inp, pool, "exc", operation="max", psp="pre.mask")).pooling(extent=(2, 2))
        mi, mc, mp = net.monitor(inp, "mask"), net.monitor(conv, "g_exc"), net.monitor(pool, "g_exc")
        net.compile()
        inp.rates = np.random.default_rng(2).random((6, 6)) * 200
        net.simulate(30.0)
        mask = mi.get("mask").reshape(30, 6, 6)
        g, gp = mc.get("g_exc").reshape(30, 6, 6), mp.get("g_exc").reshape(30, 3, 3)
        read = np.concatenate([np.zeros((1, 6, 6)), mask[:-1]])  # step k reads the mask left by step k - 1
        assert read.max() > 1.0
        want = np.array([correlate(m, f, mode="same") for m in read])
        np.testing.assert_allclose(g, want, rtol=1e-13, atol=1e-14)
        np.testing.assert_array_equal(gp, read.reshape(30, 3, 2, 3, 2).max(axis=(2, 4)))
        runs.append((g, gp))
    for other in runs[1:]:
        np.testing.assert_array_equal(runs[0][0], other[0])


def test_rate_coded_and_spiking_populations_mixed():
    """A rate-coded population convolved and pooled into spiking populations' ``g_exc``, and a spiking
    population's variable convolved into a rate-coded population's ``sum(exc)`` (SciPy / NumPy)."""
    source = ann.Neuron(
        parameters="mask_tau = 5.0",
        equations="dmask/dt = -mask / mask_tau : init=0.0\nc = modulo(t, 3.0)",
        spike="c == 0.0",
        reset="mask += 1.0",
    )
    target = ann.Neuron(equations="dv/dt = g_exc : init = 0.0", spike="v > 1e9", reset="")
    f = np.random.default_rng(0).random((3, 3))
    x = np.random.default_rng(2).random((6, 6))
    runs = []
    for engine, threads in (("interp", 1), ("llvm", 1), ("llvm", 2)):
        net = ann.Network(dt=1.0, seed=1)
        net.config(engine=engine, num_threads=threads)
        rin, spikes = net.create((6, 6), Input), net.create((6, 6), source)
        conv, pool, rates = net.create((6, 6), target), net.create((3, 3), target), net.create((6, 6), Output)
        net.connect(Convolution(rin, conv, "exc")).connect_filter(weights=f)
        net.connect(Pooling(rin, pool, "exc", operation="max")).pooling(extent=(2, 2))
        net.connect(Convolution(spikes, rates, "exc", psp="pre.mask * w")).connect_filter(weights=f)
        mc, mp, mr, mm = (
            net.monitor(p, v) for p, v in ((conv, "g_exc"), (pool, "g_exc"), (rates, "r"), (spikes, "mask"))
        )
        net.compile()
        rin.r = x
        net.simulate(8.0)
        g, gp, r = (
            mc.get("g_exc").reshape(8, 6, 6),
            mp.get("g_exc").reshape(8, 3, 3),
            mr.get("r").reshape(8, 6, 6),
        )
        read = np.concatenate([np.zeros((1, 6, 6)), mm.get("mask").reshape(8, 6, 6)[:-1]])
        np.testing.assert_allclose(g[-1], correlate(x, f, mode="same"), rtol=1e-13, atol=1e-14)
        np.testing.assert_array_equal(gp[-1], x.reshape(3, 2, 3, 2).max(axis=(1, 3)))
        np.testing.assert_allclose(r, [correlate(m, f, mode="same") for m in read], rtol=1e-13, atol=1e-14)
        runs.append((g, gp, r))
    for other in runs[1:]:
        for a, b in zip(runs[0], other, strict=True):
            np.testing.assert_array_equal(a, b)
