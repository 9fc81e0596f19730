"""Networks (API.md §2, §14-§16): subclassing, object management, time, simulate variants, callbacks."""

from __future__ import annotations

import numpy as np
import pytest

import nnc as ann
from nnc.diagnostics import ModelError, SimulationError

COUNTER = ann.Neuron(equations="r = r + 1")


class Sized(ann.Network):
    """A subclass whose constructor does not call the base constructor."""

    def __init__(self, n: int, gain: float = 1.0):
        self.n = n
        self.seed_inside = self.seed
        self.pop = self.create(n, ann.Neuron(parameters=dict(gain=gain), equations="r = gain * t"))


def test_subclass_receives_its_arguments_and_dt_seed_are_taken() -> None:
    net = Sized(4, dt=0.5, seed=42)
    assert (net.n, net.dt, net.seed, net.seed_inside) == (4, 0.5, 42, 42)
    assert net.pop.size == 4
    assert net._ctor_args == ((4,), {})
    other = Sized(n=2, gain=3.0)
    assert other._ctor_args == ((), {"n": 2, "gain": 3.0})
    assert isinstance(other.seed, int)
    assert 0 <= other.seed < 2**32


def test_seed_is_read_only_and_default_rng_is_seeded() -> None:
    net = ann.Network(seed=3)
    with pytest.raises(AttributeError):
        net.seed = 4  # type: ignore[misc]
    np.testing.assert_array_equal(net.default_rng.random(3), np.random.default_rng(3).random(3))


def test_ids_are_distinct_and_networks_are_independent() -> None:
    a, b = ann.Network(seed=1), ann.Network(seed=1)
    assert a.id != b.id
    assert a.id > 0
    assert ann.magic_network().id == 0
    a.create(2, COUNTER)
    assert b.get_populations() == []


def test_compile_twice_and_simulate_before_compile(make_net, capsys: pytest.CaptureFixture[str]) -> None:
    net = make_net()
    net.create(1, COUNTER)
    with pytest.raises(SimulationError, match="compile"):
        net.simulate(1)
    net.compile()
    assert net.compiled
    net.compile()
    assert "already compiled" in capsys.readouterr().out
    with pytest.raises(SimulationError):
        net.create(1, COUNTER)


def test_compile_without_populations_errors() -> None:
    with pytest.raises(ModelError, match="no population"):
        ann.Network(seed=1).compile()


def test_time_and_steps(make_net) -> None:
    net = make_net(dt=0.1)
    pop = net.create(1, COUNTER)
    assert (net.time, net.current_step) == (0.0, 0)
    net.compile()
    net.simulate(0.3)  # ceil(0.3/0.1) = 3 steps (0.3/0.1 = 2.9999999999999996)
    assert net.current_step == 3
    net.step()
    assert net.current_step == 4
    assert net.time == pytest.approx(0.4)
    net.time = 1.0
    assert net.current_step == 10
    assert pop.r[0] == 4.0


def test_get_accessors(make_net, capsys: pytest.CaptureFixture[str]) -> None:
    net = make_net()
    pop = net.create(2, COUNTER, name="counter")
    m = net.monitor(pop, "r")
    c = net.constant("k0", 1.0)
    assert net.get_population("counter") is pop
    assert net.get_monitor(m.name) is m
    assert net.get_constant("k0") is c
    assert net.get_constants() == [c]
    assert net.get_population("nothing") is None
    assert "no population named 'nothing'" in capsys.readouterr().out
    assert net.get_projections(suppress_error=True) == []


def test_simulate_until(make_net) -> None:
    """SEMANTICS.md §19 example 14."""
    net = make_net()
    pop1 = net.create(10, ann.Neuron(equations="r += 1"), stop_condition="r > 5.0 : any")
    pop2 = net.create(
        10, ann.Neuron(equations="r += 1 : init=DiscreteUniform(-4, -2)"), stop_condition="r > 5.0 : any"
    )
    net.compile()
    assert pop2.r.max() == -2.0  # precondition of the example: some neuron starts at -2
    assert net.simulate_until(15, pop2) == 8.0
    net.reset()
    assert net.simulate_until(15, [pop1, pop2], operator="or") == 6.0
    net.reset()
    assert net.simulate_until(15, [pop1, pop2], operator="and") == 8.0
    net.reset()
    assert net.simulate_until(5, pop2) == 5.0


def test_callbacks(make_net) -> None:
    net = make_net()
    pop = net.create(1, COUNTER)
    seen: list[tuple[int, int, float]] = []

    @ann.every(network=net, period=3.0, offset=1.0)
    def record(n: int) -> None:
        seen.append((n, net.current_step, float(pop.r[0])))

    net.compile()
    net.simulate(10)
    assert seen == [(0, 1, 1.0), (1, 4, 4.0), (2, 7, 7.0)]
    seen.clear()
    net.simulate(0.5)  # int(0.5) = 0 steps with callbacks
    assert net.current_step == 10
    net.disable_callbacks()
    net.simulate(0.5)  # ceil(0.5) = 1 step without
    assert net.current_step == 11
    assert seen == []
    net.enable_callbacks()
    net.clear_all_callbacks()
    net.simulate(3)
    assert seen == []


def test_reset_restores_default_rng() -> None:
    net = ann.Network(seed=9)
    first = net.default_rng.random(4)
    net.reset()
    np.testing.assert_array_equal(net.default_rng.random(4), first)


def test_legacy_api_on_the_default_network(capsys: pytest.CaptureFixture[str]) -> None:
    ann.magic_network().config(engine="interp")
    pop = ann.Population(2, COUNTER, name="legacy")
    m = ann.Monitor(pop, "r")
    ann.compile()
    ann.simulate(3)
    assert ann.get_current_step() == 3
    assert ann.get_time() == 3.0
    ann.step()
    np.testing.assert_array_equal(m.get("r")[:, 0], [1.0, 2.0, 3.0, 4.0])
    assert ann.get_population("legacy") is pop
    assert ann.populations() == [pop]
    assert ann.monitors() == [m]
    assert ann.dt() == 1.0
    ann.reset()
    assert ann.get_current_step() == 0
    np.testing.assert_array_equal(pop.r, 0.0)
    assert capsys.readouterr().err.count("simulate() is deprecated") == 1
    ann.clear()
    assert ann.magic_network().get_populations() == []


def _run_copy(net: Sized, steps: int) -> tuple[int, float, int]:
    net.simulate(steps)
    return net.n, float(net.pop.r[0]), net.seed


def test_parallel_run_distributes_arguments_and_seeds(engine: str) -> None:
    net = Sized(3, gain=2.0, seed=5)
    net.config(engine=engine)
    net.compile()
    results = net.parallel_run(_run_copy, number=2, seeds="sequential", steps=[3, 4], gain=[1.0, 10.0])
    # copy i: Sized(3, gain_i) with seed 5 + i + 1; r = gain * t after `steps` steps -> gain * (steps - 1)
    assert results == [(3, 2.0, 6), (3, 30.0, 7)]
    with pytest.raises(ModelError, match="entries"):
        net.parallel_run(_run_copy, number=2, steps=[1, 2, 3])
    plain = ann.Network(seed=1)
    plain.create(1, COUNTER)
    with pytest.raises(ModelError, match="subclass"):
        plain.parallel_run(_run_copy, number=2)


def test_parallel_run_in_worker_processes(engine: str) -> None:
    net = Sized(2, seed=5)
    net.config(engine=engine)
    net.compile()
    results = net.parallel_run(_run_copy, number=3, max_processes=2, seeds=[1, 2, 3], steps=2, n=[1, 2, 3])
    # n was given positionally to the original: the per-copy value replaces it
    assert results == [(1, 1.0, 1), (2, 1.0, 2), (3, 1.0, 3)]


def test_copy(engine: str) -> None:
    net = Sized(2, dt=0.5, seed=5)
    net.config(engine=engine)
    with pytest.raises(SimulationError):
        net.copy(2)
    net.compile()
    twin = net.copy(4, gain=2.0)
    assert isinstance(twin, Sized)
    assert (twin.n, twin.dt, twin.compiled) == (4, 0.5, True)
    twin.simulate(1.0)
    np.testing.assert_array_equal(twin.pop.r, [1.0] * 4)


def test_get_projections_filters(make_net) -> None:
    net = make_net()
    a, b = net.create(2, COUNTER, name="a"), net.create(2, COUNTER, name="b")
    ab = net.connect(a, b, "exc")
    ba = net.connect(b[0:1], a, ["inh", "mod"])
    aa = net.connect("a", a.neuron(0), "exc")
    assert net.get_projections() == [ab, ba, aa]
    assert net.get_projections(post=a) == [ba, aa]
    assert net.get_projections(pre="b") == [ba]
    assert net.get_projections(target="exc") == [ab, aa]
    assert net.get_projections(post="a", target="mod") == [ba]
    assert net.get_projections(post=b, pre=b, suppress_error=True) == []
    with pytest.raises(ModelError):
        net.get_projections(post=b, pre=b)
    assert a.targets == ["inh", "mod", "exc"]
    assert net.get_projection(ab.name) is ab


def test_connect_errors() -> None:
    net = ann.Network(seed=1)
    a = net.create(2, COUNTER)
    with pytest.raises(ModelError, match="post"):
        net.connect(a, None, "exc")
    with pytest.raises(ModelError, match="target"):
        net.connect(a, a, "")
    with pytest.raises(ModelError, match="no population"):
        net.connect("nothing", a, "exc")
