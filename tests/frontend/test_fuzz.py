"""Property: any text either analyses to IR or raises a DslError whose span lies inside the user's text."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nnc.descriptions.models import Neuron, Synapse
from nnc.diagnostics import DslError
from nnc.frontend.analyse import Environment, analyse_neuron, analyse_synapse
from nnc.ir.model import NeuronModel
from nnc.ir.printer import print_stmts

PARAMS = "a = 1.0\nb = 2.0 : population\nn = 3 : int"
NAMES = ["a", "b", "n", "v", "r", "t", "dt", "pi", "c0", "unknown", "g_exc"]
FUNCS = ["exp", "pos", "fmax", "clip", "ite", "sum", "mean", "Normal", "Uniform", "f", "nope", "max"]
ENV = Environment(constants=("c0",), connected_targets=("exc",))
PRE = analyse_neuron(Neuron(equations="r = 1"), Environment(), "pre")
SPIKING = analyse_neuron(Neuron(equations="dv/dt = 1", spike="v > 1"), Environment(), "spiking")

atoms = st.one_of(
    st.sampled_from(NAMES),
    st.integers(-5, 100).map(str),
    st.floats(0, 1e3, allow_nan=False).map(lambda x: f"{x:g}"),
    st.sampled_from(["True", "False", "dv/dt", "pre.r", "post.x", "sum(exc)"]),
)


def _compose(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    binary = st.tuples(children, st.sampled_from(["+", "-", "*", "/", "^", "**", "<", ">=", "==", "and", "or",
                                                  "is", "is not"]), children)  # fmt: skip
    call = st.tuples(st.sampled_from(FUNCS), st.lists(children, max_size=3))
    return st.one_of(
        binary.map(lambda t: f"{t[0]} {t[1]} {t[2]}"),
        children.map(lambda c: f"({c})"),
        children.map(lambda c: f"-{c}"),
        children.map(lambda c: f"not {c}"),
        call.map(lambda t: f"{t[0]}({', '.join(t[1])})"),
        st.tuples(children, children, children).map(lambda t: f"if {t[0]}: {t[1]} else: {t[2]}"),
    )


expressions = st.recursive(atoms, _compose, max_leaves=12)
ALPHABET = "abnrv01.()+-*/^=<>:;,#\n _eifls"


@st.composite
def mutated(draw: st.DrawFn) -> str:
    text = list(draw(expressions))
    for _ in range(draw(st.integers(0, 4))):
        pos = draw(st.integers(0, len(text)))
        if draw(st.booleans()) and pos < len(text):
            del text[pos]
        else:
            text.insert(pos, draw(st.sampled_from(ALPHABET)))
    return "".join(text)


def _check_span(e: DslError, source_text: str | None = None) -> None:
    assert e.span is not None, e
    lines = e.span.source.text.split("\n")
    assert 1 <= e.span.line <= len(lines), e
    assert 1 <= e.span.col <= len(lines[e.span.line - 1]) + 1, e
    assert e.span.end_col > e.span.col, e
    if source_text is not None:
        assert e.span.source.text == source_text
    e.span.render()


def _analyse(equations: str) -> NeuronModel | None:
    try:
        model = analyse_neuron(
            Neuron(parameters=PARAMS, equations=equations, functions="f(x) = x * 2"), ENV, "fuzz"
        )
    except DslError as e:
        _check_span(e)
        return None
    print_stmts(model.equations)
    return model


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expressions)
def test_well_formed_expressions_analyse_or_raise_located_errors(expr: str):
    _analyse(f"r = 0\nv = {expr}")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_statements_analyse_or_raise_located_errors(text: str):
    _analyse(f"r = 0\nv = {text}")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated(), st.sampled_from(["equations", "psp", "pre_spike", "creating", "pruning"]))
def test_mutated_synapse_fields_raise_only_located_errors(text: str, field: str):
    kwargs = {field: text if field != "equations" else f"w = {text}"}
    try:
        pre = SPIKING if field == "pre_spike" else PRE
        analyse_synapse(Synapse(**kwargs), ENV, pre, pre, ("exc",), ("exc",))  # type: ignore[arg-type]
    except DslError as e:  # any other exception fails the test
        _check_span(e)


def test_a_known_good_expression_does_analyse():
    model = _analyse("r = 0\nv = if a > b: exp(-t/pi) else: Normal(0, b) + sum(exc) + f(n)")
    assert model is not None
    assert print_stmts(model.equations[1:]) == (
        "v = ite(a > b, exp(-t / 3.141592653589793), Normal(0.0, b)@0 + sum(exc) + n * 2.0)"
    )
