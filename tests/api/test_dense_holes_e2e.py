"""DENSE rows with holes through the whole compiler: recurrent ``all_to_all`` = CSR = ELL, bit for bit.

A population projecting onto itself without self-connections is stored DENSE with ``holes=self``; the
same network with ``storage_format='csr'`` / ``'ell'`` must give identical numbers, Python must see the
same synapses (real ones only, ascending pre rank) and monitors the same values.
"""

from __future__ import annotations

import numpy as np
import pytest

import nnc as ann
from nnc.ir.types import Format, Holes

RESERVOIR = ann.Neuron(
    parameters="tau = 10.0",
    equations=["tau * dx/dt + x = sum(rec) + sum(in) + 0.2", "r = tanh(x)"],
)
FORMATS = [None, "csr", "ell"]  # None: nnc's own choice (dense, holes=self for a recurrent all_to_all)


def _reservoir(make_net, fmt, n=21, self_connections=False, synapse=None, delays=False, view=False):
    """``delays``: non-uniform ones, drawn from Uniform(1, 4) ms (the same draws for every format)."""
    net = make_net()
    pop = net.create(n, RESERVOIR)
    pre, post = (pop[0:13], pop[6:n]) if view else (pop, pop)
    kwargs = {"storage_format": fmt} if fmt else {}
    proj = net.connect(pre, post, "rec", synapse or ann.Synapse(psp="w * pre.r")).all_to_all(
        ann.Normal(0.0, 0.4, rng=np.random.default_rng(3)),
        delays=ann.Uniform(1.0, 4.0, rng=np.random.default_rng(5)) if delays else 0.0,
        allow_self_connections=self_connections,
        **kwargs,
    )
    pop.x = np.random.default_rng(4).uniform(-1.0, 1.0, n)
    return net, pop, proj


def _run(make_net, fmt, steps=6, **kw):
    net, pop, proj = _reservoir(make_net, fmt, **kw)
    m = net.monitor(pop, ["r", "sum(rec)"])
    net.compile()
    net.simulate(steps)
    data = m.get()
    return {
        "r": np.asarray(pop.r).copy(),
        "x": np.asarray(pop.x).copy(),
        "trace": data["r"],
        "sums": data["sum(rec)"],
        "w": proj.w,
        "pre_ranks": proj.pre_ranks,
        "post_ranks": proj.post_ranks,
        "layout": (proj._decl.format, proj._decl.holes),
        "delay": proj._decl.delay.value,
    }


def _assert_same(a: dict, b: dict) -> None:
    for key in ("r", "x", "trace", "sums"):
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)
    for key in ("w", "pre_ranks", "post_ranks"):
        assert a[key] == b[key], key


@pytest.mark.parametrize(
    "case",
    [
        {},
        {"view": True},
        {"self_connections": True},
        {"view": True, "self_connections": True},
        {"delays": True},
    ],
    ids=["recurrent", "views", "with-self", "views-with-self", "nonuniform-delays"],
)
def test_dense_equals_csr_and_ell(make_net, case) -> None:
    runs = {fmt: _run(make_net, fmt, **case) for fmt in FORMATS}
    expected = Holes.NONE if case.get("self_connections") else Holes.SELF
    assert runs[None]["layout"] == (Format.DENSE, expected)
    assert runs["csr"]["layout"] == (Format.CSR, Holes.NONE)
    assert runs[None]["delay"] == ("nonuniform" if case.get("delays") else "none")
    for fmt in FORMATS[1:]:
        _assert_same(runs[None], runs[fmt])
    if not case.get("self_connections"):  # Python sees real synapses only
        for post, ranks in zip(runs[None]["post_ranks"], runs[None]["pre_ranks"], strict=True):
            assert post not in ranks
            assert ranks == sorted(ranks)


def test_views_keep_whole_rows_outside_the_box(make_net) -> None:
    """pop[0:13] -> pop[6:21]: post ranks 6..12 lack their own rank, 13..20 read the whole box."""
    run = _run(make_net, None, view=True)
    assert run["post_ranks"] == list(range(6, 21))
    for post, ranks in zip(run["post_ranks"], run["pre_ranks"], strict=True):
        assert ranks == [q for q in range(13) if q != post]


def test_python_access_and_writes_see_real_synapses(make_net) -> None:
    net, pop, proj = _reservoir(make_net, None, n=10)
    net.compile()
    assert (proj._decl.format, proj._decl.holes) == (Format.DENSE, Holes.SELF)
    assert proj.nb_synapses == 90
    d = proj.dendrite(4)
    assert d.pre_ranks == [0, 1, 2, 3, 5, 6, 7, 8, 9]
    rows = zip(proj.post_ranks, proj.pre_ranks, strict=True)
    new = [[float(10 * p + q) for q in ranks] for p, ranks in rows]
    proj.w = new
    assert proj.w == new
    assert proj.dendrite(4).w == new[4]
    matrix = proj.connectivity_matrix(fill=-1.0)
    np.testing.assert_array_equal(np.diag(matrix), -1.0)
    for p in range(10):
        np.testing.assert_array_equal(np.delete(matrix[p], p), [10.0 * p + q for q in range(10) if q != p])
    pop.r = np.arange(10.0)
    net.step()
    w = np.asarray(new, dtype=object)
    want = [sum(wq * q for wq, q in zip(w[p], proj.pre_ranks[p], strict=True)) for p in range(10)]
    np.testing.assert_allclose(pop.sum("rec"), want, rtol=1e-12)


HEBB = ann.Synapse(
    parameters="eta = 0.01",
    equations="dw/dt = eta * pre.r * post.r - 0.001 * w",
    psp="w * pre.r",
)


def test_hebbian_weights_match_csr(make_net) -> None:
    runs = {}
    for fmt in FORMATS:
        net, pop, proj = _reservoir(make_net, fmt, synapse=HEBB)
        m = net.monitor(proj, "w")
        net.compile()
        net.simulate(5)
        runs[fmt] = (proj.w, np.asarray(pop.r).copy(), m.get("w"), (proj._decl.format, proj._decl.holes))
    assert runs[None][3] == (Format.DENSE, Holes.SELF)
    assert [len(row) for row in runs[None][2][-1]] == [20] * 21
    for fmt in FORMATS[1:]:
        assert runs[None][0] == runs[fmt][0]
        np.testing.assert_array_equal(runs[None][1], runs[fmt][1])
        for step_a, step_b in zip(runs[None][2], runs[fmt][2], strict=True):
            np.testing.assert_array_equal(step_a, step_b)  # monitored rows: real synapses, in CSR order


def test_save_and_load_refill_the_holed_rows(make_net, tmp_path) -> None:
    net, pop, proj = _reservoir(make_net, None, synapse=HEBB)
    net.compile()
    net.simulate(3)
    saved_w, saved_x = proj.w, np.asarray(pop.x).copy()
    net.save(str(tmp_path / "state.npz"))
    net.simulate(3)
    after = (np.asarray(pop.r).copy(), proj.w)
    net.load(str(tmp_path / "state.npz"))
    assert (proj._decl.format, proj._decl.holes) == (Format.DENSE, Holes.SELF)
    assert proj.w == saved_w
    np.testing.assert_array_equal(pop.x, saved_x)
    net.simulate(3)
    np.testing.assert_array_equal(pop.r, after[0])
    assert proj.w == after[1]
