"""SEMANTICS.md §19 spiking acceptance examples (5-10), on every engine, and small hand-computed networks.

Every expected value is the table of SEMANTICS.md §19 or derived in the test from the step order of
SEMANTICS.md §2 and §6.2.
"""

from __future__ import annotations

import numpy as np
import pytest

import nnc as ann

COUNTER = dict(equations="v = v + 1", spike="v == 5", reset="v = 3")


def test_example_5_spike_steps(make_net) -> None:
    net = make_net()
    pop = net.create(1, ann.Neuron(**COUNTER))
    m = net.monitor(pop, "spike")
    net.compile()
    net.simulate(10)
    assert m.get("spike") == {0: [4, 6, 8]}


@pytest.mark.parametrize(
    ("refractory", "expected"),
    [(None, [1, 2, 1, 2, 1]), (3.0, [1, 2, 1, 1, 1, 1, 2, 1, 1, 1])],
    ids=["example-6", "example-7"],
)
def test_examples_6_7_reset_and_refractoriness(make_net, refractory, expected) -> None:
    neuron = ann.Neuron(equations="v = v + 1", spike="v == 3", reset="v = 1", refractory=refractory)
    net = make_net()
    pop = net.create(1, neuron)
    m = net.monitor(pop, "v")
    net.compile()
    net.simulate(len(expected))
    np.testing.assert_array_equal(m.get("v")[:, 0], expected)


def test_a_target_the_neurons_do_not_use_gets_a_conductance(make_net) -> None:
    """Example 8 without any g_exc equation: the projection's target declares g_exc, reset every step."""
    net = make_net()
    sender = ann.Neuron(equations="v = t", spike="t == 1")
    receiver = ann.Neuron(equations="v = 0", spike="v > 1000")
    pre, post = net.create(5, sender), net.create(1, receiver)
    net.connect(pre, post, "exc").all_to_all(weights=1.0)
    net.compile()
    assert "g_exc" in post.attributes
    m = net.monitor(post, "g_exc")
    net.simulate(5)
    np.testing.assert_array_equal(m.get("g_exc")[:, 0], [0, 0, 5, 0, 0])


def _five_to_receivers(make_net, n_post: int, delays: object, steps: int, after_compile=None) -> np.ndarray:
    """SEMANTICS.md §19 examples 8-10: 5 neurons fire at t = 1 onto receivers with ``g_exc = 0``."""
    net = make_net()
    sender = ann.Neuron(equations="v = t", spike="t == 1")
    receiver = ann.Neuron(equations=["g_exc = 0"], spike="g_exc > 1000")
    pre, post = net.create(5, sender), net.create(n_post, receiver)
    proj = net.connect(pre, post, "exc")
    proj.all_to_all(weights=1.0, delays=delays)
    m = net.monitor(post, "g_exc")
    net.compile()
    if after_compile is not None:
        after_compile(proj)
    net.simulate(steps)
    return m.get("g_exc")


def test_example_8_with_explicit_reset_equation(make_net) -> None:
    g = _five_to_receivers(make_net, 1, 0.0, 5)
    np.testing.assert_array_equal(g[:, 0], [0, 0, 5, 0, 0])


def test_example_9_uniform_delay(make_net) -> None:
    g = _five_to_receivers(make_net, 1, 3.0, 6)
    np.testing.assert_array_equal(g[:, 0], [0, 0, 0, 0, 5, 0])


def test_example_10_per_synapse_delays_set_after_compile(make_net) -> None:
    def set_delays(proj: object) -> None:
        proj.delay = [[1, 2, 3, 2, 1], [3, 2, 1, 2, 3]]  # type: ignore[attr-defined]

    delays = ann.Uniform(1.0, 3.0, rng=np.random.default_rng(0))
    g = _five_to_receivers(make_net, 2, delays, 5, set_delays)
    np.testing.assert_array_equal(g[:, 0], [0, 0, 2, 2, 1])
    np.testing.assert_array_equal(g[:, 1], [0, 0, 1, 2, 2])


def test_a_population_analysed_before_its_projections_exist(make_net) -> None:
    net = make_net()
    sender = ann.Neuron(equations="v = t", spike="t == 1")
    receiver = ann.Neuron(equations="v = 0", spike="v > 1000")
    pre, post = net.create(5, sender), net.create(1, receiver)
    post.v = 0.0  # analyses the model before any projection targets it
    net.connect(pre, post, "exc").all_to_all(weights=1.0)
    m = net.monitor(post, "g_exc")
    net.compile()
    net.simulate(3)
    np.testing.assert_array_equal(m.get("g_exc")[:, 0], [0, 0, 5])


def test_a_view_lists_its_neurons_that_spiked_in_the_last_step(make_net) -> None:
    net = make_net()
    pop = net.create(6, ann.Neuron(equations="v = v + 1", spike="modulo(v, 2) == 0", reset=""))
    view = pop[1:5]
    pop.v = [1.0, 0.0, 1.0, 0.0, 1.0, 0.0]
    net.compile()
    net.step()  # v = 2, 1, 2, 1, 2, 1: ranks 0, 2, 4 spike
    assert view.spike == [2, 4]
    net.step()
    assert view.spike == [1, 3]


def test_a_longer_delay_does_not_deliver_a_spike_again(make_net) -> None:
    """Spikes at steps 2 and 8, delay 5 steps, raised to 12 at step 10: the spike of step 2 arrived at 7
    and is not delivered again (the firing-rate window keeps it in the spike history), the spike of step 8
    arrives at 20; after a reset both are delivered again with the new delay."""
    net = make_net()
    pre = net.create(1, ann.Neuron(equations="v = t", spike="v == 2.0 or v == 8.0"))
    post = net.create(1, ann.Neuron(equations="v = g_exc", spike="v > 1000"))
    proj = net.connect(pre, post, "exc")
    proj.all_to_all(weights=1.0, delays=5.0)
    pre.compute_firing_rate(50.0)
    m = net.monitor(post, "g_exc")
    net.compile()
    net.simulate(10)
    proj.delay = 12.0
    net.simulate(20)
    assert m.get("g_exc")[:, 0].nonzero()[0].tolist() == [7, 20]
    net.reset()
    net.simulate(25)
    assert m.get("g_exc")[:, 0].nonzero()[0].tolist() == [14, 20]
