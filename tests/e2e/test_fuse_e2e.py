"""Fusion end to end: ANNarchy-API networks give the same numbers with ``fuse`` on and off, inputs are
recorded correctly when they are accumulated inside the update, and ``dump-ir`` shows what was fused.
"""

from __future__ import annotations

import numpy as np
import pytest

import nnc as ann
from nnc.api.build import DumpRequest, StageDumped, dumping

RESERVOIR = ann.Neuron(
    parameters="tau = 10.0",
    equations=["tau * dx/dt + x = sum(in) + sum(rec) - 0.5 * mean(r)", "r = pos(x) - 0.01 * max(r)"],
)


def _reservoir(make_net, fuse: bool, n: int = 1200) -> tuple[ann.Network, object, object]:
    """InputArray -> reservoir (sparse), reservoir -> itself (delayed), global operations: every fusion."""
    net = make_net(seed=7)
    net.config(fuse=fuse)
    inp = net.create(ann.InputArray(300, name="inp"))
    res = net.create(n, RESERVOIR, name="res")
    rng = np.random.default_rng(11)
    inp.r = rng.uniform(0.0, 1.0, 300)
    res.x = rng.uniform(-0.5, 0.5, n)
    ff = net.connect(inp, res, "in", name="inp_res")
    ff.fixed_probability(0.1, weights=ann.Uniform(-0.2, 0.2, rng=np.random.default_rng(12)))
    rec = net.connect(res, res, "rec", name="rec")
    rec.fixed_probability(0.02, weights=ann.Normal(0.0, 0.3, rng=np.random.default_rng(13)), delays=2.0)
    m = net.monitor(res[:8], ["r", "sum(in)", "sum(rec)"])
    return net, res, m


def test_same_numbers_with_and_without_fusion(make_net) -> None:
    results = []
    for fuse in (False, True):
        net, res, m = _reservoir(make_net, fuse)
        net.compile()
        net.simulate(15)
        results.append((np.asarray(res.r).copy(), np.asarray(res.sum("rec")).copy(), m.get(reshape=False)))
    (r0, s0, m0), (r1, s1, m1) = results
    np.testing.assert_array_equal(r0, r1)
    np.testing.assert_array_equal(s0, s1)
    for key in ("r", "sum(in)", "sum(rec)"):
        np.testing.assert_array_equal(m0[key], m1[key])
    assert np.any(m0["sum(rec)"] != 0)


def test_dump_ir_shows_what_was_fused(make_net) -> None:
    net, _, _ = _reservoir(make_net, True)
    with dumping(DumpRequest("fuse")), pytest.raises(StageDumped) as dumped:
        net.compile()
    text = dumped.value.text
    header = (
        "kernel res.update phase=neuron fused=(res.clear, inp_res.transmit, rec.transmit, res.globalops):"
    )
    assert header in text
    assert "  // not fused: res.delay: rec.transmit reads the delay queue of res in this loop" in text
    assert "    for dendrite of inp_res:" in text


def test_recorded_delayed_input_of_a_fused_population(make_net) -> None:
    """SEMANTICS.md §19 #11 with the post population created first, so its input is fused: pre
    ``r = r + t`` from -1 (r after step k: -1 + k(k+1)/2), fixed_number_pre(1), w = 1, 10 ms delay.
    sum(ff) at step k is pre.r after step k - 10, the initial -1 before that."""
    net = make_net()
    post = net.create(1, ann.Neuron(equations="r = sum(ff)"), name="post")
    pre = net.create(1, ann.Neuron(equations="r = r + t : init=-1"), name="pre")
    net.connect(pre, post, "ff", name="ff").fixed_number_pre(1, weights=1.0, delays=10.0)
    m = net.monitor(post, ["sum(ff)", "r"])
    with dumping(DumpRequest("fuse")), pytest.raises(StageDumped) as dumped:
        net.compile()
    assert "fused=(post.clear, ff.transmit)" in dumped.value.text
    net.compile()
    net.simulate(11)
    assert post.sum("ff")[0] == -1.0
    net.simulate(4)
    assert post.sum("ff")[0] == 9.0
    k = np.arange(15)
    expected = np.where(k >= 10, -1.0 + (k - 10) * (k - 9) / 2.0, -1.0)
    np.testing.assert_array_equal(m.get("sum(ff)")[:, 0], expected)
    np.testing.assert_array_equal(m.get("r")[:, 0], expected)


def test_rate_inputs_are_sampled_with_the_period(make_net) -> None:
    """A monitor with a period samples sum(T) of the steps it names (SEMANTICS.md §13), fused or not."""
    net = make_net()
    out = net.create(2, ann.Neuron(equations="r = sum(exc)"), name="out")
    src = net.create(ann.InputArray(2, name="src"))
    src.r = [1.0, 2.0]
    net.connect(src, out, "exc").one_to_one(weights=0.5)
    m = net.monitor(out, ["sum(exc)"], period=3.0)
    net.compile()
    net.simulate(4)
    src.r = [3.0, 5.0]
    net.simulate(5)
    # samples at steps 0, 3, 6: the input of that step (0.5 * r of the step before, set between runs)
    np.testing.assert_array_equal(m.get("sum(exc)"), [[0.5, 1.0], [0.5, 1.0], [1.5, 2.5]])
