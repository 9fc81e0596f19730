"""Field preprocessing: comments, statement splitting, continuation lines, flags, source positions."""

from __future__ import annotations

import pytest

from nnc.descriptions.models import Variable
from nnc.descriptions.random import Uniform
from nnc.diagnostics import DslSyntaxError
from nnc.frontend.text import (
    CONDITION,
    EQUATIONS,
    FUNCTIONS,
    PARAMETERS,
    STRUCTURAL,
    assignment_ops,
    join_field,
    render_variable,
    split_field,
    statements,
)


def _split(text: object, rules=EQUATIONS) -> list[tuple[str, list[tuple[str, str | None]]]]:
    out = []
    for s in statements(text, "Neuron 'T'", "equations", rules):
        out.append((s.body.text, [(f.key, f.value.text if f.value else None) for f in s.flags]))
    return out


def test_comments_newlines_and_semicolons_split_statements():
    text = "x = 1 # a comment ; not a statement\n\n  y = 2; z = 3 ;\n# only a comment"
    assert _split(text) == [("x = 1", []), ("y = 2", []), ("z = 3", [])]


def test_flags_after_the_last_colon_only_when_a_keyword_is_present():
    assert _split("r = if v > 0: v else: 0") == [("r = if v > 0: v else: 0", [])]
    assert _split("r = if v > 0: v else: 0 : init = 0.6, min=0") == [
        ("r = if v > 0: v else: 0", [("init", "0.6"), ("min", "0")])
    ]
    assert _split("dv/dt = -v : init=Uniform(0, 1), exponential") == [
        ("dv/dt = -v", [("init", "Uniform(0, 1)"), ("exponential", None)])
    ]


def test_continuation_lines_are_joined_with_their_flags():
    text = "r = if v > 0:\n        v\n    else:\n        0.0\ncm * dv/dt = a\n   + b : exponential, init=1"
    assert _split(text) == [
        ("r = if v > 0: v else: 0.0", []),
        ("cm * dv/dt = a + b", [("exponential", None), ("init", "1")]),
    ]


def test_comparison_operators_are_not_assignments():
    assert [(a, b) for a, b in assignment_ops("x = a <= b and c == d or e != f and g >= h")] == [(2, 3)]
    assert assignment_ops("x += 1") == [(2, 4)]
    assert assignment_ops("f(x=1) = 2") == [(7, 8)]


def test_positions_follow_continuation_lines_back_into_the_field():
    (stmt,) = statements("x = a +\n      b_typo", "Neuron 'T'", "equations", EQUATIONS)
    i = stmt.body.text.index("b_typo")
    span = stmt.body.span(i, i + len("b_typo"))
    assert (span.line, span.col, span.end_col) == (2, 7, 13)
    assert span.source.line(2) == "      b_typo"


def test_first_line_without_assignment_is_an_error():
    with pytest.raises(DslSyntaxError) as e:
        statements("\n  v + 1\nx = 2", "Neuron 'T'", "equations", EQUATIONS)
    assert (e.value.line, e.value.col) == (2, 3)
    assert "continues the previous statement" in e.value.hint


def test_unknown_flag_in_a_flag_list_is_an_error_with_a_hint():
    with pytest.raises(DslSyntaxError) as e:
        statements("dv/dt = -v : init=0, exponentail", "Neuron 'T'", "equations", EQUATIONS)
    assert (e.value.line, e.value.col) == (1, 22)
    assert e.value.hint == "did you mean 'exponential'?"


def test_parameters_have_no_continuation_lines():
    assert _split("tau = 10 : population\nfoo", PARAMETERS) == [
        ("tau = 10", [("population", None)]),
        ("foo", []),
    ]


def test_function_types_and_structural_flags():
    assert _split("f(x) = x : int, int", FUNCTIONS) == [("f(x) = x", [("int", None), ("int", None)])]
    assert _split("pre.r > 0.5 : proba=0.5, w=1.0", STRUCTURAL) == [
        ("pre.r > 0.5", [("proba", "0.5"), ("w", "1.0")])
    ]
    assert _split("v > v_thresh", CONDITION) == [("v > v_thresh", [])]


def test_lists_are_joined_with_newlines_and_variables_rendered():
    dist = Uniform(0.0, 1.0)
    field = [
        "tau * dv/dt = -v",
        Variable("r = pos(v)", init=dist, min=0.0, locality="global", type=int, method="rk4"),
    ]
    joined = join_field(field, "Neuron 'T'", "equations")
    assert (
        joined.source.text
        == "tau * dv/dt = -v\nr = pos(v) : init=Uniform(min=0.0, max=1.0), min=0.0, rk4, population, int"
    )
    stmts = split_field(joined, EQUATIONS)
    assert stmts[1].flag("init").given == (dist,)
    assert stmts[1].flag("min").given == ()


def test_variable_rendering_depends_on_the_object():
    text, objects = render_variable(Variable("x = 1", locality="semiglobal", init="x0"), synapse=True)
    assert (text, objects) == ("x = 1 : init=x0, postsynaptic", {})
    text, _ = render_variable(Variable("x = 1 # note", locality="global"), synapse=True)
    assert text == "x = 1 : projection"


def test_a_field_of_another_type_is_an_error():
    with pytest.raises(DslSyntaxError):
        join_field([1.0], "Neuron 'T'", "equations")
