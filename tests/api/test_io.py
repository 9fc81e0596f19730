"""Saving and loading (API.md §13): formats by extension, network state, parameter files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import nnc as ann
from nnc.api.io import load_object, save_object
from nnc.diagnostics import SimulationError

NEURON = ann.Neuron(
    parameters=dict(tau=10.0, k=ann.Parameter(1, type=int, locality="local")),
    equations=["tau * dv/dt + v = 1.0", "r = v * k", "flag = v > 0.5 : bool"],
)


@pytest.mark.parametrize("suffix", [".npz", ".gz", ".pkl", ".data"])
def test_object_round_trip(tmp_path: Path, suffix: str) -> None:
    data = {"time_step": 3, "pop0": {"name": "pop0", "v": np.arange(4.0).reshape(2, 2), "tau": 10.0}}
    path = tmp_path / "deep" / "dir" / f"state{suffix}"  # missing parents are created
    save_object(str(path), data)
    back = load_object(str(path))
    assert back["time_step"] == 3
    np.testing.assert_array_equal(back["pop0"]["v"], data["pop0"]["v"])
    assert back["pop0"]["tau"] == 10.0


def test_mat_files_are_save_only(tmp_path: Path) -> None:
    path = tmp_path / "state.mat"
    save_object(str(path), {"pop0": {"name": "pop0", "v": np.ones(3), "extra": None}})
    assert path.stat().st_size > 0
    with pytest.raises(SimulationError, match=r"\.mat"):
        load_object(str(path))


def test_population_data_layout() -> None:
    pop = ann.Network(seed=1).create((2, 3), NEURON, name="exc")
    data = pop._data()
    assert (data["name"], data["geometry"], data["size"]) == ("exc", (2, 3), 6)
    assert data["attributes"] == ["tau", "k", "v", "r", "flag"]
    assert data["parameters"] == ["tau", "k"]
    assert data["tau"] == 10.0
    assert data["v"].shape == (2, 3)
    assert data["k"].dtype.kind == "i"
    assert data["flag"].dtype == np.bool_


@pytest.mark.parametrize("suffix", [".npz", ".gz", ".pickle"])
def test_network_state_round_trip(make_net, tmp_path: Path, suffix: str) -> None:
    def build() -> tuple[ann.Network, ann.Population, object]:
        net = make_net()
        pop = net.create(4, NEURON, name="exc")
        proj = net.connect(pop, pop, "exc")
        proj.all_to_all(weights=ann.Uniform(0.0, 1.0, rng=np.random.default_rng(2)))
        net.compile()
        return net, pop, proj

    net, pop, proj = build()
    pop.k = [1, 2, 3, 4]
    net.simulate(7)
    saved_v, saved_w = pop.v.copy(), proj.w
    path = str(tmp_path / f"net{suffix}")
    net.save(path)

    other, pop2, proj2 = build()
    other.load(path)
    assert other.current_step == 7
    np.testing.assert_array_equal(pop2.v, saved_v)
    np.testing.assert_array_equal(pop2.k, [1, 2, 3, 4])
    assert proj2.w == saved_w
    other.simulate(1)
    net.simulate(1)
    np.testing.assert_array_equal(pop2.v, pop.v)


def test_population_save_load_and_unknown_attributes(make_net, tmp_path: Path, capsys) -> None:
    net = make_net()
    pop = net.create(3, NEURON)
    net.compile()
    pop.v = [0.1, 0.2, 0.3]
    path = str(tmp_path / "pop.npz")
    pop.save(path)
    pop.v = 0.0
    pop.load(path)
    np.testing.assert_array_equal(pop.v, [0.1, 0.2, 0.3])
    save_object(path, {"name": "x", "attributes": ["v", "nope"], "v": np.ones(3), "nope": 1.0})
    pop.load(path)
    np.testing.assert_array_equal(pop.v, np.ones(3))
    assert "no attribute 'nope'" in capsys.readouterr().err


def test_load_needs_a_compiled_network(tmp_path: Path) -> None:
    net = ann.Network(seed=1)
    net.create(2, NEURON)
    path = str(tmp_path / "x.gz")
    net.save(path)
    with pytest.raises(SimulationError, match="compiled"):
        net.load(path)


def test_parameter_files(make_net, tmp_path: Path) -> None:
    net = make_net()
    net.create(2, NEURON, name="exc")
    net.constant("c0", 3.0)
    path = tmp_path / "params.json"
    net.save_parameters(str(path))
    data = json.loads(path.read_text())
    assert data == {
        "populations": {"exc": {"tau": 10.0}},
        "projections": {},
        "network": {},
        "constants": {"c0": 3.0},
    }
    data["populations"]["exc"] = {"tau": 20.0, "k": 5, "unknown": 1.0}
    data["constants"]["c0"] = 4.0
    data["network"] = {"duration": 100}
    path.write_text(json.dumps(data))
    assert net.load_parameters(str(path)) == {"duration": 100.0}
    pop = net.get_population("exc")
    assert pop.tau == 20.0
    np.testing.assert_array_equal(pop.k, [1, 1])  # local: skipped unless global_only=False
    assert net.get_constant("c0").value == 4.0
    net.load_parameters(str(path), global_only=False)
    np.testing.assert_array_equal(pop.k, [5, 5])
