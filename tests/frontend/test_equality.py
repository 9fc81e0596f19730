"""Regressions of the statement reader: ``==`` is a comparison everywhere (the lexer once matched
the assignment ``=`` first)."""

from __future__ import annotations

import pytest

from nnc.descriptions.models import Neuron
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


def test_variable_fields_join_the_flags_written_in_its_equation():
    from nnc.descriptions.models import Variable
    from nnc.ir.types import Locality, Method

    var = Variable("tau * dx/dt = -x : exponential", locality="global", init=1.0)
    model = analyse_neuron(Neuron(parameters=dict(tau=1.0), equations=[var, "r = x"]), Environment())
    x = model.attribute("x")
    assert (x.locality, x.init) == (Locality.GLOBAL, 1.0)
    assert model.equations[0].method is Method.EXPONENTIAL


def test_a_flag_given_twice_is_an_error():
    from nnc.descriptions.models import Variable
    from nnc.diagnostics import DslSyntaxError

    with pytest.raises(DslSyntaxError, match="the flag 'init' is given twice") as err:
        analyse_neuron(Neuron(equations=[Variable("r = 1 : init=2.0", init=3.0)]), Environment())
    assert err.value.hint == "keep one of them"
