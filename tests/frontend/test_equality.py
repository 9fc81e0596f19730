"""``==`` is a comparison everywhere, never two assignment operators (regression: the lexer once matched
the assignment ``=`` first)."""

from __future__ import annotations

import pytest

from nnc.api.models import Neuron
from nnc.frontend.analyse import Environment, analyse_neuron
from nnc.ir.printer import print_expr, print_stmts


@pytest.mark.parametrize(
    ("equation", "expected"),
    [
        ("r = (1e-3 == pi)", "r = 0.001 == 3.141592653589793"),
        ("r = if (x == 1): 1.0 else: 2.0", "r = ite(x == 1.0, 1.0, 2.0)"),
        ("r = ite(x == 1, 1, 2)", "r = ite(x == 1.0, 1.0, 2.0)"),
        ("r=x==1", "r = x == 1.0"),
        ("r = x != 1 and x >= 0", "r = x != 1.0 and x >= 0.0"),
        ("r += 1", "r = r + 1.0"),
    ],
)
def test_equality_in_equations(equation: str, expected: str):
    model = analyse_neuron(Neuron(equations=[equation, "x = 1"]), Environment())
    assert print_stmts(model.equations[:1]) == expected


def test_equality_in_spike_condition():
    model = analyse_neuron(Neuron(equations="v = v + 1", spike="v == 5", reset="v = 3"), Environment())
    assert print_expr(model.spike) == "v == 5.0"
