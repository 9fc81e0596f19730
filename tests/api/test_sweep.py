"""``ann.sweep`` run locally, the ``parallel`` configuration key, and the object cache shared by copies
whose random connectivity differs (docs/cluster.md). The Dask side is in test_cluster.py."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

import nnc as ann
from nnc.api.config import DEFAULTS
from nnc.diagnostics import ModelError

LEAK = ann.Neuron(parameters=dict(tau=10.0, drive=1.0), equations="tau * dr/dt + r = drive")


class Leaky(ann.Network):
    """One population of leaky integrators; ``tau`` is a constructor argument."""

    def __init__(self, tau: float = 10.0):
        self.pop = self.create(2, LEAK)
        self.pop.tau = tau


def settle(net: Leaky, drive: float, duration: float = 5.0) -> dict[str, float]:
    net.pop.drive = drive
    net.simulate(duration)
    return {"r": float(net.pop.r[0]), "own_seed": net.seed}


def _euler(tau: float, drive: float, steps: int) -> float:
    r = 0.0
    for _ in range(steps):
        r += (drive - r) / tau
    return r


def test_a_grid_with_repeats_keeps_parameters_seeds_and_results_together(tmp_path) -> None:
    net = Leaky(seed=7)
    net.compile(directory=str(tmp_path))
    s = ann.sweep(net, settle, {"tau": [5.0, 20.0], "drive": [1.0, 2.0, 3.0]}, repeats=2, seeds="sequential")
    assert s.dims == ("tau", "drive", "repeat")
    assert s.shape == (2, 3, 2)
    assert s.coords == {"tau": [5.0, 20.0], "drive": [1.0, 2.0, 3.0], "repeat": [0, 1]}
    assert len(s.results) == 12
    assert s.seeds == [8 + k for k in range(12)]
    # grid order: the first parameter slowest, the repeats fastest
    assert s.points[:4] == [{"tau": 5.0, "drive": 1.0}] * 2 + [{"tau": 5.0, "drive": 2.0}] * 2
    assert s.repeat[:4] == [0, 1, 0, 1]
    rows = s.records()
    assert rows[3] == {"tau": 5.0, "drive": 2.0, "repeat": 1, "seed": 11, "r": rows[3]["r"], "own_seed": 11}
    for row in rows:  # tau went to the constructor, drive to the method
        assert row["r"] == pytest.approx(_euler(row["tau"], row["drive"], 5), rel=1e-12)
        assert row["own_seed"] == row["seed"]
    r = s.array("r")
    assert r.shape == (2, 3, 2)
    assert r[1, 2, 0] == pytest.approx(_euler(20.0, 3.0, 5), rel=1e-12)
    np.testing.assert_array_equal(r[:, :, 0], r[:, :, 1])  # a deterministic model: repeats agree


def test_seeds_are_resolved_and_recorded(tmp_path, monkeypatch) -> None:
    net = Leaky(seed=7)
    net.compile(directory=str(tmp_path))
    drawn = ann.sweep(net, settle, {"drive": [1.0, 2.0]}, repeats=2)
    assert [r["own_seed"] for r in drawn.results] == drawn.seeds
    assert len(set(drawn.seeds)) == 4
    monkeypatch.setattr(DEFAULTS, "config", replace(DEFAULTS.config, seed=99))
    fixed = ann.sweep(net, settle, {"drive": [1.0, 2.0]})  # setup(seed=99): what a copy would take
    assert fixed.seeds == [99, 99]
    assert [r["own_seed"] for r in fixed.results] == [99, 99]
    given = ann.sweep(net, settle, {"drive": [1.0, 2.0]}, seeds=[3, 4])
    assert given.seeds == [3, 4]


def test_scalar_results_fixed_arguments_and_errors(tmp_path) -> None:
    net = Leaky(seed=7)
    net.compile(directory=str(tmp_path))

    def peak(net: Leaky, drive: float, durations: list[float]) -> float:
        net.pop.drive = drive
        for d in durations:
            net.simulate(d)
        return float(net.pop.r[0])

    s = ann.sweep(net, peak, {"drive": [1.0, 2.0]}, durations=[2.0, 3.0])  # a list given unchanged
    assert s.array().shape == (2, 1)
    assert s.records()[1]["result"] == pytest.approx(_euler(10.0, 2.0, 5), rel=1e-12)
    with pytest.raises(ModelError, match="at least one parameter"):
        ann.sweep(net, peak, {})
    with pytest.raises(ModelError, match="no values"):
        ann.sweep(net, peak, {"drive": []})
    with pytest.raises(ModelError, match="repeats"):
        ann.sweep(net, peak, {"drive": [1.0]}, repeats=0)
    with pytest.raises(ModelError, match="both"):
        ann.sweep(net, peak, {"drive": [1.0]}, drive=2.0)


def test_the_parallel_configuration_key() -> None:
    net = Leaky()
    assert net._config.parallel == "processes"
    for value in ("dask", "tcp://10.0.0.1:8786", "scheduler.lab:8786", "processes"):
        net.config(parallel=value)
        assert net._config.parallel == value
    with pytest.raises(ModelError, match="expected 'processes', 'dask' or the address"):
        net.config(parallel="threads")


NOISY = ann.Neuron(equations="r = sum(exc) + Uniform(0.0, 1.0)")


class Random(ann.Network):
    def __init__(self):
        a, b = self.create(30, NOISY), self.create(30, NOISY)
        self.connect(a, b, "exc").fixed_probability(0.3, weights=0.1)


def test_copies_with_other_random_connectivity_share_their_objects(tmp_path) -> None:
    one = Random(seed=1)
    one.compile(directory=str(tmp_path / "a"))
    two = Random(seed=2)
    two.compile(directory=str(tmp_path / "b"))  # compiled from scratch, into another cache
    stats = [n._runtime.module.projections[0].stats for n in (one, two)]
    assert stats[0].n_synapses != stats[1].n_synapses
    a, b = ({f.name: f.read_bytes() for f in (tmp_path / d).glob("*.o")} for d in "ab")
    assert a
    assert a.keys() == b.keys()  # the same keys (the step loop's and each kernel class's)
    assert a == b  # and the same code: the statistics do not reach it
    copies = one.parallel_run(lambda net: net._runtime.engine.cache_hit, number=3, seeds="sequential")
    assert copies == [True] * 3
