"""Copy and Transpose (API.md §11): they read another projection's synapses, in its format or backwards
through its pre->post index; checked against NumPy with the original's weight matrix, on every list
format, while the original learns, and on every engine and thread count."""

from __future__ import annotations

import numpy as np
import pytest

import nnc as ann
from nnc.diagnostics import ModelError
from nnc.extensions.convolution import Convolution, Copy, Transpose
from nnc.ir.printer import print_module

Input = ann.Neuron(parameters="r = 0.0")
Output = ann.Neuron(equations="r = sum(exc)")

CONNECTORS = {
    "csr": lambda p: p.fixed_probability(0.4, weights=ann.Uniform(-1, 1, rng=np.random.default_rng(3))),
    "ell": lambda p: p.fixed_number_pre(4, weights=ann.Uniform(-1, 1, rng=np.random.default_rng(4))),
    "dense": lambda p: p.all_to_all(weights=ann.Uniform(-1, 1, rng=np.random.default_rng(5))),
}


@pytest.mark.parametrize("connector", list(CONNECTORS))
@pytest.mark.parametrize("engine", ["interp", "llvm"])
def test_copy_and_transpose_match_numpy(connector, engine):
    net = ann.Network(dt=1.0, seed=1)
    net.config(engine=engine)
    a = net.create((3, 4), ann.Neuron(parameters="r = 0.0", equations="x = sum(fb)"))
    b = net.create(7, Output)
    c = net.create(7, ann.Neuron(equations="r = sum(exc) + sum(inh)"))
    proj = net.connect(a, b, "exc")
    CONNECTORS[connector](proj)
    net.connect(Copy(a, c, "exc", psp="w * pre.r * pre.r")).copy(proj)
    net.connect(Copy(a, c, "inh", operation="max")).connect_copy(proj)
    net.connect(Transpose(proj, "fb")).transpose()
    mb = net.monitor(b, "r")
    net.compile()
    assert f"format {connector}" in print_module(net._runtime.module)
    x = np.random.default_rng(0).random((3, 4))
    a.r = x
    net.simulate(2.0)
    w = proj.connectivity_matrix()
    present = ~np.isnan(proj.connectivity_matrix(fill=np.nan))
    xf = x.reshape(-1)
    np.testing.assert_allclose(b.r, w @ xf, rtol=1e-13, atol=1e-14)
    biggest = np.where(present, w * xf, -np.inf).max(axis=1)
    np.testing.assert_allclose(c.r, w @ (xf * xf) + np.where(np.isinf(biggest), 0.0, biggest), rtol=1e-13)
    # the transposed projection reads b's rates of the previous step
    np.testing.assert_allclose(a.x.reshape(-1), w.T @ mb.get("r")[0], rtol=1e-13, atol=1e-14)


def test_they_see_the_original_learn():
    """The original learns (Oja-like rule); at every step the copy and the transposed projection use the
    weights the original had when transmitting."""
    net = ann.Network(dt=1.0, seed=1)
    a = net.create(6, ann.Neuron(parameters="r = 0.0", equations="x = sum(fb)"))
    b = net.create(4, Output)
    c = net.create(4, Output)
    learn = ann.Synapse(parameters="eta = 0.05", equations="dw/dt = eta * (pre.r * post.r - w)")
    proj = net.connect(a, b, "exc", learn)
    proj.fixed_probability(0.7, weights=ann.Uniform(0, 1, rng=np.random.default_rng(8)))
    net.connect(Copy(a, c, "exc")).copy(proj)
    net.connect(Transpose(proj, "fb")).transpose()
    net.compile()
    rng = np.random.default_rng(9)
    for _ in range(5):
        w = proj.connectivity_matrix()  # the weights the next step transmits with
        before = b.r.copy()
        x = rng.random(6)
        a.r = x
        net.step()
        np.testing.assert_allclose(c.r, w @ x, rtol=1e-13)
        np.testing.assert_allclose(a.x, w.T @ before, rtol=1e-13, atol=1e-15)
    assert not np.allclose(proj.connectivity_matrix(), w)  # it did learn


RUNS = [("interp", 1, True), ("llvm", 1, True), ("llvm", 2, True), ("llvm", 2, False)]


def test_engines_threads_and_fusion_agree_bit_for_bit():
    results = []
    for engine, threads, fuse in RUNS:
        net = ann.Network(dt=1.0, seed=1)
        net.config(engine=engine, num_threads=threads, fuse=fuse)
        a = net.create(40, ann.Neuron(parameters="f = 1.0", equations="r = sin(f * t / 5.0) + 0.1 * sum(fb)"))
        a.f = np.linspace(0.2, 2.0, 40)
        b = net.create(30, ann.Neuron(equations="r = tanh(sum(exc))"))
        c = net.create(30, ann.Neuron(equations="r = sum(exc)"))
        d = net.create(30, ann.Neuron(equations="r = sum(exc)"))
        proj = net.connect(a, b, "exc")
        proj.fixed_probability(0.3, weights=ann.Uniform(-1, 1, rng=np.random.default_rng(2)))
        dense = net.connect(a, d, "exc")
        dense.all_to_all(weights=ann.Uniform(-0.1, 0.1, rng=np.random.default_rng(7)))
        net.connect(Copy(a, c, "exc", operation="mean")).copy(proj)
        net.connect(Transpose(proj, "fb")).transpose()
        net.connect(Transpose(dense, "fb")).transpose()
        mons = [net.monitor(p, "r") for p in (a, b, c)]
        net.compile()
        net.simulate(30.0)
        results.append([m.get("r") for m in mons])
    for other in results[1:]:
        for x, y in zip(results[0], other, strict=True):
            np.testing.assert_array_equal(x, y)


def test_dump_ir_and_python_view():
    net = ann.Network(dt=1.0, seed=1)
    a = net.create(5, Input)
    b = net.create(3, Output)
    proj = net.connect(a, b, "exc", name="fwd")
    proj.from_matrix(
        [[1.0, None, 2.0, None, None], [None, 3.0, None, None, 4.0], [5.0, None, None, None, None]]
    )
    tr = net.connect(Transpose(proj, "exc", name="bwd")).transpose()
    cp = net.connect(Copy(a, net.create(3, Output), "exc", name="dup")).copy(proj)
    net.compile()
    text = print_module(net._runtime.module)
    assert "projection #1 bwd" in text
    assert "shares=fwd" in text
    assert "format transposed" in text
    assert tr.post_ranks == [0, 1, 2, 4]
    assert tr.pre_ranks == [[0, 2], [1], [0], [1]]
    assert cp.pre_ranks == proj.pre_ranks
    assert cp.nb_synapses == 5
    np.testing.assert_array_equal(np.concatenate(cp.w), np.concatenate(proj.w))


def test_errors():
    net = ann.Network(dt=1.0, seed=1)
    a = net.create((4, 4), Input)
    b = net.create((4, 4), Output)
    conv = net.connect(Convolution(a, b, "exc")).connect_filter(np.ones((3, 3)))
    with pytest.raises(ModelError, match="not shared projections"):
        Copy(a, b, "exc").copy(conv)
    other = net.connect(a, b, "exc")
    other.one_to_one(weights=1.0)
    with pytest.raises(ModelError, match="geometries must be the same"):
        Copy(a, net.create(16, Output), "exc").copy(other)
    spikes = net.create(16, ann.Izhikevich)
    with pytest.raises(ModelError, match="hybrid"):
        Transpose(net.connect(a, spikes, "exc"), "exc")
    net2 = ann.Network(dt=1.0, seed=1)
    a2, b2 = net2.create(4, Input), net2.create(4, Output)
    delayed = net2.connect(a2, b2, "exc")
    delayed.all_to_all(weights=1.0, delays=3.0)
    net2.connect(Transpose(delayed, "inh")).transpose()
    with pytest.raises(ModelError, match="delayed projections"):
        net2.compile()


def test_file_and_display_methods_warn_as_in_the_reference(tmp_path, capsys):
    """Copies, transposes, convolutions and poolings store no synapses of their own: saving, loading and
    displaying them warn, and ``_data`` (what ``net.save()`` keeps) holds names and no synapses."""
    net = ann.Network(dt=1.0, seed=1)
    a = net.create((3, 4), Input)
    b = net.create(7, Output)
    proj = net.connect(a, b, "exc")
    proj.fixed_probability(0.5, weights=0.3)
    copy = net.connect(Copy(a, b, "inh"))
    copy.copy(proj)
    transposed = net.connect(Transpose(proj, "fb"))
    transposed.transpose()
    conv = net.connect(Convolution(a, net.create((3, 4), Output), "exc"))
    conv.connect_filter(np.ones((3, 3)), padding=0.0)
    net.compile()
    for p, name in ((copy, "Copied"), (transposed, "Transposed"), (conv, "Convolution")):
        p.save_connectivity(str(tmp_path / "c.npz"))
        p.load(str(tmp_path / "c.npz"))
        p.receptive_fields()
        p.connectivity_matrix()
        err = capsys.readouterr().err
        for what in ("be saved", "be loaded", "display receptive fields", "display connectivity matrices"):
            assert f"WARNING: {name} projections can not {what}." in err
        data = p._data()
        assert data["dendrites"] == []
        assert data["number_of_synapses"] == 0
    assert conv._data()["post_ranks"] == list(range(12))
    assert copy._data()["post_ranks"] == copy.post_ranks
