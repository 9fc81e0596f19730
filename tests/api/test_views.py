"""Population views and single neurons (API.md §5.4, §6)."""

from __future__ import annotations

import numpy as np
import pytest

import nnc as ann
from nnc.diagnostics import SimulationError

NEURON = ann.Neuron(parameters=dict(g=1.0, p=ann.Parameter(0.0, locality="local")), equations=["r = p * g"])


@pytest.fixture
def pop() -> ann.Population:
    return ann.Network(seed=1).create((4, 5), NEURON)


def test_int_slice_and_list_indexing(pop: ann.Population) -> None:
    one = pop[3]
    assert isinstance(one, ann.PopulationView)
    assert (one.ranks.tolist(), one.geometry) == ([3], (1,))
    assert pop[2:12:3].ranks.tolist() == [2, 5, 8, 11]
    assert pop[-3:].ranks.tolist() == [17, 18, 19]
    assert pop[[7, 1, 4]].ranks.tolist() == [7, 1, 4]  # order kept
    assert pop[np.array([0, 19])].size == 2
    with pytest.raises(SimulationError):
        pop[[20]]


def test_multidimensional_indexing(pop: ann.Population) -> None:
    neuron = pop[1, 2]
    assert isinstance(neuron, ann.IndividualNeuron)
    assert neuron.rank == 7
    view = pop[1:3, 4]
    assert view.geometry == (2, 1)
    assert view.ranks.tolist() == [9, 14]
    view = pop[:, 1:3]
    assert view.geometry == (4, 2)
    assert view.ranks.tolist() == [r * 5 + c for r in range(4) for c in (1, 2)]
    with pytest.raises(SimulationError):
        pop[4, 1:2]
    with pytest.raises(SimulationError):
        pop[0:1, 0:1, 0:1]


def test_view_attributes_are_flat(pop: ann.Population) -> None:
    pop.p = np.arange(20, dtype=float).reshape(4, 5)
    view = pop[:, 1]
    np.testing.assert_array_equal(view.p, [1.0, 6.0, 11.0, 16.0])
    view.p = [10.0, 20.0, 30.0, 40.0]
    assert pop.p[2, 1] == 30.0
    assert pop.p[2, 2] == 12.0
    view.set({"p": 0.5})
    np.testing.assert_array_equal(pop.p[:, 1], 0.5)
    with pytest.raises(SimulationError):
        view.p = [1.0, 2.0]
    assert view.g == 1.0
    assert view.name == pop.name
    assert view.attributes == pop.attributes


def test_view_distribution_samples_once_per_rank(pop: ann.Population) -> None:
    view = pop[[0, 5, 10]]
    view.p = ann.Uniform(0.0, 1.0, rng=np.random.default_rng(3))
    np.testing.assert_array_equal(view.p, np.random.default_rng(3).uniform(0.0, 1.0, 3))
    assert np.count_nonzero(pop.p) == 3


def test_view_global_write_sets_population_and_warns(
    pop: ann.Population, capsys: pytest.CaptureFixture
) -> None:
    pop[0:3].g = 4.0
    assert pop.g == 4.0
    assert "whole population" in capsys.readouterr().err


def test_individual_neuron(pop: ann.Population) -> None:
    n = pop.neuron(2, 3)
    n.p = 9.0
    assert pop.p[2, 3] == 9.0
    assert n.p == 9.0
    n.g = 2.0  # global: the population's value
    assert pop.g == 2.0
    assert "p=9.0" in repr(n)


def test_union_of_views_and_neurons(pop: ann.Population) -> None:
    v = pop[[5, 1]] + pop.neuron(3) + pop[1:3]
    assert v.ranks.tolist() == [1, 2, 3, 5]
    other = ann.Network(seed=1).create(20, NEURON)
    with pytest.raises(SimulationError):
        _ = pop[0:2] + other[0:2]


def test_view_coordinates(pop: ann.Population) -> None:
    view = pop[1:3, 2:5]
    assert view.rank_from_coordinates((1, 0), local=True) == 3
    assert view.coordinates_from_rank(3, local=True) == (1, 0)
    assert view.rank_from_coordinates((2, 2)) == 12
    assert view.coordinates_from_rank(12) == (2, 2)
    with pytest.raises(SimulationError):
        view.rank_from_coordinates((0, 0))


def test_view_after_compile_and_sum(make_net) -> None:
    net = make_net()
    p = net.create(6, NEURON)
    net.compile()
    p[1:4].p = [1.0, 2.0, 3.0]
    net.step()
    np.testing.assert_array_equal(p.r, [0.0, 1.0, 2.0, 3.0, 0.0, 0.0])
    np.testing.assert_array_equal(p[2:4].r, [2.0, 3.0])
    np.testing.assert_array_equal(ann.PopulationView(p, [5, 2]).r, [0.0, 2.0])
