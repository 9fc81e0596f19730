"""Constants (API.md §4): float behaviour, global vs network-local copies, definition order."""

from __future__ import annotations

import pytest

import nnc as ann
from nnc.diagnostics import ModelError, SimulationError


def test_constant_is_a_float_using_its_current_value() -> None:
    c = ann.Constant("c_a", 2.0)
    assert isinstance(c, float)
    assert (c.name, c.value) == ("c_a", 2.0)
    assert c * 3 == 6.0
    assert 1 + c == 3.0
    c.set(5.0)
    assert c + 1 == 6.0
    assert float(c) == 5.0
    assert type(c * 2) is float
    assert c > 4


def test_constant_defined_from_others_is_not_updated() -> None:
    a = ann.Constant("c_b", 2.0)
    b = ann.Constant("c_c", a * 2)
    a.set(10.0)
    assert b.value == 4.0


def test_networks_import_global_constants_defined_before_them() -> None:
    early = ann.Network(seed=1)
    c = ann.Constant("c_d", 1.0)
    late = ann.Network(seed=1)
    assert early.get_constant("c_d", quiet=True) is None
    local = late.get_constant("c_d")
    assert local is not c
    assert local.value == 1.0
    c.set(2.0)
    assert local.value == 2.0
    local.set(3.0)
    assert c.value == 2.0


def test_network_constant_is_local_and_replaces_same_name() -> None:
    net = ann.Network(seed=1)
    net.constant("c_e", 1.0)
    net.constant("c_e", 2.0)
    assert [c.value for c in net.get_constants()] == [2.0]
    assert ann.Network(seed=1).get_constant("c_e", quiet=True) is None


def test_new_constant_after_compile_is_an_error(make_net) -> None:
    net = make_net()
    net.create(1, ann.Neuron(equations="r = 1.0"))
    net.compile()
    with pytest.raises(SimulationError):
        net.constant("c_f", 1.0)


def test_global_functions_registry() -> None:
    ann.add_function("g_sq(x) = x * x")
    with pytest.raises(ModelError, match="already defined"):
        ann.add_function("g_sq(y) = y")
    net = ann.Network(seed=1)
    with pytest.raises(SimulationError, match="compiled"):
        ann.functions("g_sq", net)
