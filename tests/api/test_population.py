"""Populations (API.md §5): geometry, names, coordinates, and the attribute get/set matrix."""

from __future__ import annotations

import numpy as np
import pytest

import nnc as ann
from nnc.diagnostics import ModelError, SimulationError

GEOMETRIES = [(6,), (2, 3), (2, 3, 2)]

# r = p + g: after one step r shows the live values of the local parameter p and the global g
SUM = ann.Neuron(
    parameters=dict(
        g=1.5, p=ann.Parameter(0.0, locality="local"), k=ann.Parameter(2, type=int, locality="local")
    ),
    equations=["r = p + g"],
)


def test_geometry_size_and_dimensions() -> None:
    net = ann.Network(seed=1)
    a = net.create(5, SUM)
    b = net.create((3, 4), SUM)
    c = net.create((2, 3, 4), SUM)
    assert (a.geometry, a.size, a.dimension, a.width, a.height, a.depth) == ((5,), 5, 1, 5, 1, 1)
    assert (b.geometry, b.size, b.dimension, b.width, b.height, b.depth) == ((3, 4), 12, 2, 3, 4, 1)
    assert (c.size, c.dimension, c.depth) == (24, 3, 4)
    assert len(c) == 24
    assert a.ranks.dtype == np.int32
    np.testing.assert_array_equal(b.ranks, np.arange(12))


@pytest.mark.parametrize("geometry", [0, (3, 0), (2.5,), ()])
def test_invalid_geometry(geometry: object) -> None:
    with pytest.raises(ModelError, match="geometry"):
        ann.Network(seed=1).create(geometry, SUM)


def test_names_and_ids() -> None:
    net = ann.Network(seed=1)
    a = net.create(2, SUM)
    b = net.create(2, SUM, name="exc")
    c = net.create(2, SUM, name="pop7")
    assert [p.id for p in (a, b, c)] == [0, 1, 2]
    assert (a.name, b.name, c.name) == ("pop0", "exc", "pop2")
    assert net.get_population("exc") is b
    assert net.get_populations() == [a, b, c]


def test_create_argument_errors() -> None:
    net = ann.Network(seed=1)
    with pytest.raises(ModelError):
        net.create()
    with pytest.raises(ModelError):
        net.create(3)
    pop = ann.Population(3, SUM)  # legacy form: joins the default network
    assert pop.network is ann.magic_network()
    with pytest.raises(ModelError):
        net.create(pop, name="x")
    assert net.create(population=pop) is pop
    assert pop.network is net
    assert pop not in ann.magic_network().get_populations()


def test_neuron_class_is_instantiated() -> None:
    pop = ann.Network(seed=1).create(3, ann.Neuron)
    assert isinstance(pop.neuron_type, ann.Neuron)


def test_attribute_lists() -> None:
    pop = ann.Network(seed=1).create(3, SUM)
    assert pop.parameters == ["g", "p", "k"]
    assert pop.variables == ["r"]
    assert pop.attributes == ["g", "p", "k", "r"]


def test_coordinates() -> None:
    pop = ann.Network(seed=1).create((3, 4), SUM)
    assert pop.rank_from_coordinates((1, 2)) == 1 * 4 + 2
    assert pop.coordinates_from_rank(6) == (1, 2)
    assert pop.normalized_coordinates_from_rank(6) == (1 / 2, 2 / 3)
    assert ann.Network(seed=1).create((3, 1), SUM).normalized_coordinates_from_rank(2) == (1.0, 0.0)
    with pytest.raises(SimulationError):
        pop.rank_from_coordinates((3, 0))
    with pytest.raises(SimulationError):
        pop.coordinates_from_rank(12)
    assert pop.neuron(1, 2).rank == 6
    assert pop.neuron(6).rank == 6
    assert [n.rank for n in pop][:3] == [0, 1, 2]


def _expected(kind: str, geometry: tuple[int, ...]) -> tuple[object, np.ndarray]:
    """A value of the given kind and the array it must produce (independently computed)."""
    size = int(np.prod(geometry))
    match kind:
        case "scalar":
            return 0.25, np.full(geometry, 0.25)
        case "list":
            values = [0.5 * i for i in range(size)]
            return values, np.array(values).reshape(geometry)
        case "array":
            values = np.arange(size, dtype=float).reshape(geometry) - 2.0
            return values, values.copy()
        case "distribution":
            dist = ann.Uniform(-1.0, 1.0, rng=np.random.default_rng(99))
            return dist, np.random.default_rng(99).uniform(-1.0, 1.0, size).reshape(geometry)
    raise ValueError(kind)


KINDS = ["scalar", "list", "array", "distribution"]


@pytest.mark.parametrize("geometry", GEOMETRIES)
@pytest.mark.parametrize("kind", KINDS)
def test_local_attribute_before_compile(geometry: tuple[int, ...], kind: str) -> None:
    pop = ann.Network(seed=1).create(geometry, SUM)
    value, expected = _expected(kind, geometry)
    pop.p = value
    got = pop.p
    assert got.shape == geometry
    np.testing.assert_array_equal(got, expected)
    got[...] = 7.0  # a copy
    np.testing.assert_array_equal(pop.p, expected)


@pytest.mark.parametrize("geometry", GEOMETRIES)
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("when", ["before", "after"])
def test_local_attribute_reaches_the_kernels(
    make_net, geometry: tuple[int, ...], kind: str, when: str
) -> None:
    net = make_net()
    pop = net.create(geometry, SUM)
    value, expected = _expected(kind, geometry)
    if when == "before":
        pop.p = value
    net.compile()
    if when == "after":
        pop.set({"p": value})
    np.testing.assert_array_equal(pop.p, expected)
    net.step()
    np.testing.assert_allclose(pop.r, expected + 1.5, rtol=0, atol=0)


@pytest.mark.parametrize("when", ["before", "after"])
def test_global_attribute_is_scalar_only(make_net, when: str) -> None:
    net = make_net()
    pop = net.create((2, 2), SUM)
    if when == "after":
        net.compile()
    assert pop.g == 1.5
    assert isinstance(pop.g, float)
    pop.g = 3.0
    assert pop.get("g") == 3.0
    for bad in ([1.0, 2.0, 3.0, 4.0], np.ones(4), ann.Uniform(0.0, 1.0)):
        with pytest.raises(SimulationError, match="single value"):
            pop.g = bad
    if when == "before":
        net.compile()
    net.step()
    np.testing.assert_array_equal(pop.r, np.full((2, 2), 3.0))


def test_wrong_sizes_and_unknown_attributes_error() -> None:
    pop = ann.Network(seed=1).create((2, 3), SUM)
    with pytest.raises(SimulationError, match="shape"):
        pop.p = [1.0, 2.0]
    with pytest.raises(SimulationError, match="6 elements"):
        pop.p = np.ones((3, 3))
    with pytest.raises(SimulationError, match="no attribute"):
        pop.get("nope")
    with pytest.raises(AttributeError):
        _ = pop.nope


def test_int_attributes_truncate() -> None:
    pop = ann.Network(seed=1).create(3, SUM)
    assert pop.k.dtype == np.int32
    pop.k = [1.9, -1.9, 3.0]
    np.testing.assert_array_equal(pop.k, [1, -1, 3])


def test_string_value_copies_another_attribute_or_constant(make_net) -> None:
    net = make_net()
    net.constant("c0", 4.0)
    pop = net.create(3, SUM)
    pop.set({"p": "g"})
    np.testing.assert_array_equal(pop.p, [1.5, 1.5, 1.5])
    net.compile()
    pop.p = "c0"
    np.testing.assert_array_equal(pop.p, [4.0, 4.0, 4.0])
    pop.g = 2.0
    pop.set({"p": "g"})
    np.testing.assert_array_equal(pop.p, [2.0, 2.0, 2.0])


def test_model_distribution_init_follows_the_network_seed(make_net) -> None:
    neuron = ann.Neuron(equations=["r = r : init=Uniform(0.0, 1.0)"])
    values = []
    for _ in range(2):
        net = make_net(seed=11)
        pop = net.create(5, neuron)
        before = pop.r
        net.compile()
        np.testing.assert_array_equal(pop.r, before)
        values.append(pop.r)
    np.testing.assert_array_equal(values[0], values[1])
    assert len(np.unique(values[0])) == 5
    assert np.all((values[0] >= 0.0) & (values[0] < 1.0))


def test_reset_restores_initial_values(make_net) -> None:
    neuron = ann.Neuron(
        parameters=dict(a=ann.Parameter(0.0, locality="local")),
        equations=["r = r + 1.0 : init=Uniform(0.0, 1.0)"],
    )
    net = make_net()
    pop = net.create(4, neuron)
    pop.a = ann.Normal(0.0, 1.0)  # sampled now: reset restores these samples
    a0 = pop.a
    net.compile()
    r0 = pop.r
    net.simulate(3)
    pop.a = 0.0
    np.testing.assert_array_equal(pop.r, r0 + 3.0)
    net.reset()
    assert net.current_step == 0
    np.testing.assert_array_equal(pop.a, a0)
    np.testing.assert_array_equal(pop.r, r0)  # re-sampled with the same seed-derived generator
    pop.r = 10.0
    pop.reset(["a"])
    np.testing.assert_array_equal(pop.r, 10.0)


def test_init_dict_holds_pending_values() -> None:
    pop = ann.Network(seed=1).create(2, SUM)
    pop.p = [1.0, 2.0]
    init = pop.init
    assert init["g"] == 1.5
    np.testing.assert_array_equal(init["p"], [1.0, 2.0])


def test_enable_disable(make_net) -> None:
    net = make_net()
    pop = net.create(2, ann.Neuron(equations=["r = r + 1"]))
    net.compile()
    pop.disable()
    assert not pop.enabled
    net.simulate(3)
    np.testing.assert_array_equal(pop.r, 0.0)
    pop.enable()
    net.simulate(2)
    np.testing.assert_array_equal(pop.r, 2.0)


def test_population_functions() -> None:
    neuron = ann.Neuron(equations=["r = sq(r)"], functions="sq(x) = x * x + 1")
    pop = ann.Network(seed=1).create(2, neuron)
    assert pop.functions == ["sq"]
    assert pop.sq([1.0, 2.0, 3.0]) == [2.0, 5.0, 10.0]


def test_sum_of_unconnected_target_warns(make_net, capsys: pytest.CaptureFixture[str]) -> None:
    net = make_net()
    pop = net.create(3, SUM)
    net.compile()
    np.testing.assert_array_equal(pop.sum("exc"), np.zeros(3))
    assert "sum(exc)" in capsys.readouterr().err
