"""Projections through the whole compiler: rate transmission, views, delays, formats, learning control.

Expected values come from SEMANTICS.md §19 (examples 11, 12, 22) or are computed in the test from the
pre-synaptic values and the connectivity that Python reports.
"""

from __future__ import annotations

import numpy as np
import pytest

from nnc.api.network import Network
from nnc.descriptions.models import Neuron, Synapse
from nnc.descriptions.random import Uniform

INPUT = Neuron(parameters="r = 0.0")
SUM = Neuron(equations="r = sum(exc)")
RAMP = Neuron(equations="r = r + t : init=-1.0")  # r after step k: -1, 0, 2, 5, 9, ...


def _pair(n_pre: int, n_post: int, post: Neuron = SUM, seed: int = 1) -> tuple:
    net = Network(seed=seed)
    return net, net.create(n_pre, INPUT), net.create(n_post, post)


def test_views_as_pre_and_post():
    """SEMANTICS.md §19 example 22."""
    net = Network(seed=1)
    pop1 = net.create(8, INPUT)
    pop2 = net.create(6, Neuron(equations="r = sum(prev)"))
    pop3 = net.create(6, Neuron(equations="r = sum(prev)"))
    net.connect(pop1[1:4], pop2, "prev").all_to_all(0.1)
    net.connect(pop1, pop3[1:3], "prev").all_to_all(0.1)
    net.compile()
    pop1.r = np.arange(8)
    net.step()
    np.testing.assert_allclose(pop2.sum("prev"), [0.6] * 6)
    np.testing.assert_allclose(pop3.sum("prev"), [0, 2.8, 2.8, 0, 0, 0])


@pytest.mark.parametrize(("steps", "expected"), [(10, -1.0), (11, -1.0), (15, 9.0)])
def test_uniform_delay(steps, expected):
    """SEMANTICS.md §19 example 11: the sum at step k reads r after step k - 10."""
    net = Network(seed=3)
    pre = net.create(3, RAMP)
    post = net.create(3, Neuron(equations="r = sum(ff)"))
    proj = net.connect(pre, post, "ff").fixed_number_pre(1, 1.0, delays=10.0)
    net.compile()
    assert proj.delay == 10.0
    net.simulate(steps)
    np.testing.assert_allclose(post.sum("ff"), [expected] * 3)


def test_nonuniform_delays():
    """SEMANTICS.md §19 example 12: delays 3, 5, 2 steps on three post neurons."""
    net = Network(seed=3)
    pre = net.create(3, RAMP)
    post = net.create(3, Neuron(equations="r = sum(ff)"))
    weights = np.where(np.eye(3) > 0, 1.0, np.nan)
    proj = net.connect(pre, post, "ff").from_matrix(weights, delays=np.diag([3.0, 5.0, 2.0]))
    net.compile()
    assert proj.delay == [[3.0], [5.0], [2.0]]
    net.simulate(5)
    np.testing.assert_allclose(post.sum("ff"), [0.0, -1.0, 2.0])


def test_one_to_one_and_operations():
    net, pre, post = _pair(4, 4)
    mx = net.create(4, Neuron(equations="r = sum(exc)"))
    net.connect(pre, post, "exc").one_to_one(2.0)
    net.connect(pre, mx, "exc", Synapse(psp="w * pre.r", operation="max")).all_to_all(
        Uniform(0.5, 1.0, rng=np.random.default_rng(0))
    )
    net.compile()
    pre.r = [1.0, 2.0, 3.0, 4.0]
    net.step()
    np.testing.assert_allclose(post.sum("exc"), [2.0, 4.0, 6.0, 8.0])
    w = np.array(net.get_projections()[1].w)
    np.testing.assert_allclose(mx.sum("exc"), (w * np.array([1.0, 2.0, 3.0, 4.0])).max(axis=1))


@pytest.mark.parametrize("fmt", ["csr", "ell", "dense", "lil"])
def test_formats_give_the_same_sums(fmt):
    """Dense = CSR = ELL: the storage format never changes results."""
    net, pre, post = _pair(30, 20, seed=5)
    proj = net.connect(pre, post, "exc").fixed_probability(
        0.3, Uniform(-1.0, 1.0, rng=np.random.default_rng(7)), storage_format=fmt
    )
    block = net.create(20, SUM)
    net.connect(pre[5:15], block, "exc").all_to_all(0.5, storage_format=fmt)
    net.compile()
    values = np.random.default_rng(1).uniform(0, 1, 30)
    pre.r = values
    net.step()
    expected = [
        sum(w * values[q] for q, w in zip(ranks, ws, strict=True))
        for ranks, ws in zip(proj.pre_ranks, proj.w, strict=True)
    ]
    got = post.sum("exc")[proj.post_ranks]
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    np.testing.assert_allclose(block.sum("exc"), [0.5 * values[5:15].sum()] * 20, rtol=1e-12)


def test_learning_period_and_flags():
    counter = Synapse(equations="w = w + 1.0")
    net, pre, post = _pair(2, 2)
    proj = net.connect(pre, post, "exc", counter).all_to_all(0.0)
    net.compile()
    net.simulate(4)
    assert proj.w == [[4.0, 4.0]] * 2
    proj.enable_learning(period=3.0)  # offset 0: steps k with k % 3 == 0, i.e. 6 and 9 of 4..9
    net.simulate(6)
    assert proj.w == [[6.0, 6.0]] * 2
    proj.disable_learning()
    net.simulate(3)
    assert proj.w == [[6.0, 6.0]] * 2
    proj.enable_learning()
    proj.transmission = False
    pre.r = 1.0
    net.simulate(2)
    assert proj.w == [[6.0, 6.0]] * 2  # no transmission: synaptic equations frozen too
    np.testing.assert_allclose(post.sum("exc"), [0.0, 0.0])
