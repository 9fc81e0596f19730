"""Reproducibility for a seed (SEMANTICS.md §15) and agreement of the engines on a whole network."""

from __future__ import annotations

from importlib.util import find_spec

import numpy as np
import pytest

import nnc as ann

NOISY = ann.Neuron(
    parameters=dict(tau=10.0, sigma=0.2),
    equations=["tau * dv/dt + v = sum(exc) + Normal(0.0, sigma) : init=Uniform(-1.0, 1.0)", "r = tanh(v)"],
)


def build(engine: str, seed: int, extra_sampling: bool = False) -> tuple[ann.Network, object, ann.Monitor]:
    net = ann.Network(dt=0.5, seed=seed)
    net.config(engine=engine)
    a = net.create(30, NOISY)
    b = net.create((5, 4), NOISY)
    if extra_sampling:  # attribute sampling must not consume the connectors' generator
        a.sigma = 0.2
        b.v = ann.Normal(0.0, 0.5)
        b.v = ann.Uniform(-1.0, 1.0)
    proj = net.connect(a, b, "exc")
    proj.fixed_probability(0.3, weights=ann.Uniform(0.0, 0.1))
    back = net.connect(b, a, "exc")
    back.fixed_number_pre(3, weights=0.05)
    m = net.monitor(b, "r")
    net.compile()
    net.simulate(20.0)
    return net, (proj, back), m


def test_same_seed_same_network_and_trace(engine: str) -> None:
    _, (p1, q1), m1 = build(engine, 7)
    _, (p2, q2), m2 = build(engine, 7)
    assert p1.pre_ranks == p2.pre_ranks
    assert q1.pre_ranks == q2.pre_ranks
    assert p1.w == p2.w
    r1 = m1.get("r")
    np.testing.assert_array_equal(r1, m2.get("r"))
    _, (p3, _), m3 = build(engine, 8)
    assert p1.pre_ranks != p3.pre_ranks
    assert not np.array_equal(m3.get("r"), r1)


def test_connectivity_follows_default_rng_only(engine: str) -> None:
    _, (p1, q1), _ = build(engine, 3)
    _, (p2, q2), _ = build(engine, 3, extra_sampling=True)
    assert p1.pre_ranks == p2.pre_ranks
    assert q1.pre_ranks == q2.pre_ranks


def test_reset_reproduces_the_first_run(engine: str) -> None:
    net, _, m = build(engine, 11)
    first = m.get("r")
    net.reset()
    net.simulate(20.0)
    np.testing.assert_array_equal(m.get("r"), first)


@pytest.mark.skipif(find_spec("nnc.backend.llvm.engine") is None, reason="LLVM engine not built")
def test_llvm_matches_the_interpreter() -> None:
    _, _, m_interp = build("interp", 5)
    _, _, m_llvm = build("llvm", 5)
    np.testing.assert_allclose(m_llvm.get("r"), m_interp.get("r"), rtol=1e-12, atol=1e-14)
