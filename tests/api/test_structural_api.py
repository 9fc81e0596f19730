"""Structural plasticity from Python (API.md §7.4, §7.5): creating and pruning synapses of dendrites,
starting and stopping rules, delays of new synapses, initial values, and the checks.

Expected values follow from the network: a pre population ``r = r + t`` (after step k:
``-1 + dt·k(k+1)/2``) read through delays makes every synapse's delay visible in ``sum(ff)``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import nnc as ann
from nnc.diagnostics import ModelError, SimulationError

RAMP = ann.Neuron(equations="r = r + t : init = -1")
SUM = ann.Neuron(equations="r = sum(ff)")
INPUT = ann.Neuron(parameters="r = 0.0")


def _structural(make_net, **kwargs):
    net = make_net(**kwargs)
    net.config(structural_plasticity=True)
    return net


def test_create_and_prune_synapses_of_a_dendrite(make_net) -> None:
    net = _structural(make_net)
    pre, post = net.create(5, INPUT), net.create(3, SUM)
    syn = ann.Synapse(parameters="p = 0.5\ng = 2.0 : projection", equations="x = x + 1 : init = p")
    proj = net.connect(pre, post, "ff", syn).from_matrix(
        np.array([[1.0, None, 2.0, None, None], [None, 3.0, None, None, None], [4.0] * 5], dtype=object)
    )
    net.compile()
    pre.r = [1.0, 10.0, 100.0, 1000.0, 10000.0]
    d0 = proj.dendrite(0)
    d0.create_synapse(4, w=0.5)
    d0.create_synapses([1, 3], weights=[0.25, 0.125])
    proj.dendrite(1).prune_synapse(1)  # leaves the dendrite empty: it stays
    proj.dendrite(2).prune_synapses([0, 2, 4])
    assert proj.pre_ranks == [[0, 1, 2, 3, 4], [], [1, 3]]
    assert proj.post_ranks == [0, 1, 2]
    assert proj.nb_synapses_per_dendrite == [5, 0, 2]
    assert proj.w == [[1.0, 0.25, 2.0, 0.125, 0.5], [], [4.0, 4.0]]
    assert proj.x == [[0.5] * 5, [], [0.5, 0.5]]  # new synapses: the initial value (from parameter p)
    net.step()
    np.testing.assert_allclose(post.sum("ff"), [1 + 2.5 + 200 + 125 + 5000, 0.0, 4 * 1010])
    assert proj.x == [[1.5] * 5, [], [1.5, 1.5]]
    proj.dendrite(1).create_synapse(0, w=2.0)  # an empty dendrite takes synapses again
    net.step()
    np.testing.assert_allclose(post.sum("ff"), [5328.5, 2.0, 4040.0])
    assert proj.synapse(3, 0).w == 0.125


def test_errors_of_dendrite_edits(make_net) -> None:
    net = _structural(make_net)
    pre, post = net.create(4, INPUT), net.create(2, SUM)
    proj = net.connect(pre, post, "ff").all_to_all(1.0)
    net.compile()
    with pytest.raises(SimulationError, match="already exists"):
        proj.dendrite(0).create_synapse(2)
    with pytest.raises(ModelError, match="pre-synaptic rank 5 is out of range"):
        proj.dendrite(0).prune_synapse(5)
    proj.dendrite(0).prune_synapse(2)
    with pytest.raises(SimulationError, match="there is no synapse from pre rank 2"):
        proj.dendrite(0).prune_synapse(2)
    with pytest.raises(SimulationError, match="already exists"):
        proj.dendrite(0).create_synapses([2, 2])
    with pytest.raises(SimulationError, match="one value or 2 weights"):
        proj.dendrite(0).create_synapses([2, 3], weights=[1.0, 2.0, 3.0])
    with pytest.raises(SimulationError, match="one delay for every synapse"):
        proj.dendrite(0).create_synapse(2, delay=3.0)
    with pytest.raises(SimulationError, match="does not define a 'creating'"):
        proj.start_creating()


def test_rules_need_compile_and_the_configuration(make_net) -> None:
    net = make_net()
    pre, post = net.create(4, INPUT), net.create(2, SUM)
    syn = ann.Synapse(pruning="w < 0.5")
    proj = net.connect(pre, post, "ff", syn).all_to_all(1.0)
    with pytest.raises(SimulationError, match="before compile"):
        proj.start_pruning()
    net.compile()
    assert net._config.structural_plasticity  # a rule turns it on (API.md §3)
    proj.start_pruning(period=2.0)
    proj.stop_pruning()


def test_nonuniform_delays_of_new_synapses(make_net, engine: str) -> None:
    """A new synapse's delay is ``int(delay/dt)`` steps; a longer one lengthens the pre queue, whose new
    slots repeat the oldest value it held (nnc/runtime/queues.py)."""
    dt = 0.5
    net = _structural(make_net, dt=dt)
    pre, post = net.create(3, RAMP), net.create(2, SUM)
    proj = net.connect(pre, post, "ff").from_matrix(
        np.array([[1.0, None, None], [None, 1.0, None]], dtype=object),
        delays=np.array([[1.0] * 3, [1.5] * 3]),
    )
    net.compile()
    net.simulate(2.0)  # steps 0-3; the queue holds 3 steps: r after steps 1, 2, 3
    proj.dendrite(0).create_synapse(2, w=10.0, delay=2.9)  # int(5.8) = 5 steps, longer than any so far
    proj.dendrite(1).create_synapses([0], weights=100.0, delays=0.5)
    assert proj.delay == [[1.0, 2.5], [0.5, 1.5]]

    def r(k: int) -> float:  # r after step k of RAMP at dt = 0.5
        return -1.0 if k < 0 else -1.0 + dt * k * (k + 1) / 2.0

    for k in range(4, 14):
        net.step()
        want = [r(k - 2) + 10 * r(max(k - 5, 1)), 100 * r(k - 1) + r(k - 3)]
        np.testing.assert_array_equal(post.sum("ff"), want, err_msg=f"step {k}")


def test_spiking_projection_with_new_delayed_synapses(make_net, engine: str) -> None:
    """Spikes of a source array through per-synapse delays reach the new synapses (pre->post index)."""
    net = _structural(make_net)
    src = net.create(ann.SpikeSourceArray([[2.0, 6.0], [4.0]]))
    post = net.create(2, ann.Neuron(equations="rec = g_exc\ng_exc = 0.0", spike="rec > 1e9"))
    proj = net.connect(src, post, "exc").from_matrix(np.array([[1.0, None], [None, 2.0]], dtype=object),
                                                       delays=np.array([[1.0, 1.0], [2.0, 2.0]]))  # fmt: skip
    m = net.monitor(post, "rec")
    net.compile()
    proj.dendrite(0).create_synapse(1, w=10.0, delay=3.0)
    proj.dendrite(1).create_synapse(0, w=100.0, delay=5.0)
    net.simulate(12.0)
    rec = m.get("rec")
    # neuron 0: spikes of 0 at 2, 6 (delay 1) -> 3, 7; of 1 at 4 (delay 3) -> 7
    # neuron 1: spike of 1 at 4 (delay 2) -> 6; of 0 at 2, 6 (delay 5) -> 7, 11
    want = np.zeros((12, 2))
    want[[3, 7], 0] += 1.0
    want[7, 0] += 10.0
    want[6, 1] += 2.0
    want[[7, 11], 1] += 100.0
    np.testing.assert_array_equal(rec, want)


def test_simulate_cuts_runs_where_rules_are_due(make_net) -> None:
    """One ``simulate(n)`` applies the rules at the same steps as ``n`` single steps."""

    def run(single: bool) -> tuple:
        net = make_net(seed=2)
        wave = ann.Neuron(parameters="phase = 0.0", equations="r = 0.5 + 0.5 * sin(0.3 * t + phase)")
        pre, post = net.create(6, wave), net.create(3, SUM)
        syn = ann.Synapse(
            equations="age = age + 1",
            creating="pre.r > 0.8 : proba = 0.5, w = 0.2",
            pruning="age > 3 : proba = 0.5",
        )
        proj = net.connect(pre, post, "ff", syn).fixed_probability(0.5, 1.0)
        m = net.monitor(post, "r")
        net.compile()
        pre.phase = np.arange(6.0)
        proj.start_creating(period=2.0)
        net.simulate(1.0)
        proj.start_pruning(period=3.0)
        for _ in range(20) if single else [None]:
            net.simulate(1.0 if single else 20.0)
        return proj.pre_ranks, proj.age, m.get("r")

    (a_ranks, a_age, a_r), (b_ranks, b_age, b_r) = run(True), run(False)
    assert a_ranks == b_ranks
    assert a_age == b_age
    np.testing.assert_array_equal(a_r, b_r)


def test_new_synapses_take_initial_values(make_net) -> None:
    net = _structural(make_net)
    pre, post = net.create(3, INPUT), net.create(1, SUM)
    syn = ann.Synapse(
        parameters="a = 0.5\nbase = 3.0 : postsynaptic",
        equations="u = 0.0 : init = base\nv = 0.0",
    )
    proj = net.connect(pre, post, "ff", syn).from_matrix(np.array([[1.0, None, None]], dtype=object))
    proj.v = ann.Uniform(1.0, 2.0, rng=np.random.default_rng(0))
    proj.a = 0.75  # before compile: the initial value of new synapses too
    net.compile()
    proj.dendrite(0).create_synapses([1, 2], weights=0.5)
    assert proj.a == [[0.75] * 3]
    assert proj.u == [[3.0] * 3]
    v = proj.v[0]
    assert all(1.0 <= x < 2.0 for x in v)
    assert len(set(v)) == 3


def test_creating_delay_must_suit_the_projection(make_net) -> None:
    net = make_net()
    pre, post = net.create(3, INPUT), net.create(2, SUM)
    syn = ann.Synapse(creating=ann.Creating("pre.r > 0.5", proba=1.0, w=1.0, d=3.0))
    net.connect(pre, post, "ff", syn).all_to_all(1.0, delays=2.0)
    with pytest.raises(ModelError, match="differs from the projection's uniform delay"):
        net.compile()


def test_saved_connectivity_after_edits(make_net, tmp_path: Path) -> None:
    net = _structural(make_net)
    pre, post = net.create(4, INPUT), net.create(2, SUM)
    proj = net.connect(pre, post, "ff").all_to_all(1.0)
    net.compile()
    proj.dendrite(0).prune_synapses([1, 2])
    proj.dendrite(1).prune_synapse(3)
    path = str(tmp_path / "proj.npz")
    proj.save(path)
    proj.dendrite(0).create_synapse(1, w=5.0)
    proj.load(path)
    assert proj.pre_ranks == [[0, 3], [0, 1, 2]]
    assert proj.w == [[1.0, 1.0], [1.0, 1.0, 1.0]]
