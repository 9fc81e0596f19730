"""Monitors (API.md §9, SEMANTICS.md §13): recording steps, periods, pause/resume, shapes, data hand-over.

The neuron ``r = t`` records the time of each sample, so the recorded values show exactly which steps
were sampled (sample at step k holds k·dt, the value after step k).
"""

from __future__ import annotations

import numpy as np
import pytest

import nnc as ann
from nnc.diagnostics import ModelError, SimulationError

TIME = ann.Neuron(parameters=dict(c=2.0), equations=["r = t", "s = t * c : population", "b = t > 3 : bool"])


def _net(make_net, geometry: object = 1, **kwargs: object) -> tuple[ann.Network, ann.Population]:
    net = make_net(**kwargs)
    return net, net.create(geometry, TIME)


def test_example1_every_step(make_net) -> None:
    net, pop = _net(make_net)
    m = net.monitor(pop, "r")
    net.compile()
    net.simulate(10)
    np.testing.assert_array_equal(m.get("r")[:, 0], np.arange(10.0))


def test_example2_period(make_net) -> None:
    net, pop = _net(make_net)
    m = net.monitor(pop, "r", period=10.0)
    net.compile()
    net.simulate(100)
    np.testing.assert_array_equal(m.get("r")[:, 0], np.arange(0.0, 100.0, 10.0))


def test_example3_start_later(make_net) -> None:
    net, pop = _net(make_net)
    m = net.monitor(pop, "r", start=False)
    net.compile()
    net.simulate(10)
    m.start()
    net.simulate(10)
    np.testing.assert_array_equal(m.get("r")[:, 0], np.arange(10.0, 20.0))


def test_example4_pause_resume(make_net) -> None:
    net, pop = _net(make_net)
    m = net.monitor(pop, "r")
    net.compile()
    m.pause()
    net.simulate(10)
    m.resume()
    net.simulate(10)
    np.testing.assert_array_equal(m.get("r")[:, 0], np.arange(10.0, 20.0))
    assert m.times("r") == {"r": {"start": [0, 10], "stop": [0, 20]}}


def test_period_offset_and_phase_of_a_late_start(make_net) -> None:
    net, pop = _net(make_net, dt=0.5)
    m1 = net.monitor(pop, "r", period=2.0, period_offset=1.0)  # every 4 steps, offset 2 steps
    net.compile()
    net.simulate(3.5)  # 7 steps
    m2 = net.monitor(pop, "r", period=1.5)  # created at step 7: phase 7 -> samples at 7, 10, 13
    net.simulate(3.5)
    np.testing.assert_array_equal(m1.get("r")[:, 0], 0.5 * np.array([2, 6, 10]))
    np.testing.assert_array_equal(m2.get("r")[:, 0], 0.5 * np.array([7, 10, 13]))


def test_runs_of_any_length_give_the_same_samples(make_net) -> None:
    net, pop = _net(make_net)
    m = net.monitor(pop, "r", period=3.0)
    net.compile()
    for n in (1, 2, 5, 1, 7, 4):
        net.simulate(n)
    net.step()
    np.testing.assert_array_equal(m.get("r")[:, 0], np.arange(0.0, 21.0, 3.0))


def test_start_with_new_period_restarts_the_phase(make_net) -> None:
    net, pop = _net(make_net)
    m = net.monitor(pop, "r", period=4.0)
    net.compile()
    net.simulate(5)  # samples 0, 4
    m.start(period=3.0)  # phase restarts at step 5
    net.simulate(6)  # samples 5, 8
    np.testing.assert_array_equal(m.get("r")[:, 0], [0.0, 4.0, 5.0, 8.0])


def test_get_hands_data_over_unless_keep(make_net) -> None:
    net, pop = _net(make_net)
    m = net.monitor(pop, ["r", "s"])
    net.compile()
    net.simulate(3)
    kept = m.get(keep=True)
    assert set(kept) == {"r", "s"}
    np.testing.assert_array_equal(m.get("r")[:, 0], [0.0, 1.0, 2.0])
    assert m.times("r")["r"] == {"start": [0], "stop": [3]}
    net.simulate(2)
    np.testing.assert_array_equal(m.get("r")[:, 0], [3.0, 4.0])
    assert m.times("r")["r"] == {"start": [3], "stop": [5]}
    np.testing.assert_array_equal(m["s"], [0.0, 2.0, 4.0, 6.0, 8.0])


def test_shapes(make_net) -> None:
    net, pop = _net(make_net, geometry=(2, 3))
    m_pop = net.monitor(pop, ["r", "s", "b"])
    m_view = net.monitor(pop[1:, 0:2], "r")
    m_one = net.monitor(pop.neuron(1, 2), "r")
    net.compile()
    net.simulate(5)
    data = m_pop.get(reshape=True, keep=True)
    assert data["r"].shape == (5, 2, 3)
    assert data["s"].shape == (5,)
    assert data["b"].dtype == np.bool_
    np.testing.assert_array_equal(data["b"][:, 0, 0], [False, False, False, False, True])
    assert m_pop.get("r", reshape=False).shape == (5, 6)
    view = m_view.get("r")
    assert view.shape == (5, 2)
    np.testing.assert_array_equal(view[:, 1], np.arange(5.0))
    assert m_one.get("r").shape == (5, 1)
    assert m_one.get("r", force_dict=True)["r"].shape == (0, 1)


def test_float32_data_comes_back_as_float64(make_net) -> None:
    net, pop = _net(make_net)
    net.config(dtype=ann.float32)
    m = net.monitor(pop, "r")
    net.compile()
    net.simulate(2)
    assert m.get("r").dtype == np.float64


def test_reset_stop_and_errors(make_net) -> None:
    net, pop = _net(make_net)
    m = net.monitor(pop, "r")
    net.compile()
    net.simulate(4)
    m.reset()
    net.simulate(2)
    np.testing.assert_array_equal(m.get("r")[:, 0], [4.0, 5.0])
    net.reset()
    net.simulate(2)
    np.testing.assert_array_equal(m.get("r")[:, 0], [0.0, 1.0])
    m.stop()
    net.simulate(2)
    assert m.variables == []
    with pytest.raises(SimulationError):
        m.get("r")


def test_monitor_validation() -> None:
    net = ann.Network(seed=1)
    pop = net.create(2, TIME)
    with pytest.raises(ModelError, match="parameter"):
        net.monitor(pop, "c")
    with pytest.raises(ModelError, match="no variable"):
        net.monitor(pop, "nope")
    with pytest.raises(ModelError, match="spiking"):
        net.monitor(pop, "spike")
    with pytest.raises(ModelError, match="period_offset"):
        net.monitor(pop, "r", period=2.0, period_offset=2.0)
    m = net.monitor(pop, "r")
    assert m.name == f"Monitor_{pop.name}"
    assert net.get_monitor(m.name) is m
    assert m.period == 1.0
    m.period_offset = 0.0
    assert m.object is pop


def test_before_compile_get_is_empty() -> None:
    net = ann.Network(seed=1)
    m = net.monitor(net.create(3, TIME), "r")
    assert m.get("r").shape == (0, 3)


def test_period_uses_the_dt_of_the_compiled_network(make_net) -> None:
    net, pop = _net(make_net)
    m = net.monitor(pop, "r", period=1.0)
    net.config(dt=0.25)  # after the monitor: the period is still 1 ms = 4 steps
    net.compile()
    net.simulate(3.0)
    np.testing.assert_array_equal(m.get("r")[:, 0], [0.0, 1.0, 2.0])
    assert m.period == 1.0
