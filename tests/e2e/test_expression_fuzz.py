"""Property: a random well-formed equation either compiles and the JIT agrees with the interpreter, or
raises a DslError -- never another exception.

The expression goes through the whole pipeline (text → Lark → IR → passes → LLVM / NumPy interpreter);
one step of each engine from the same initial state must give the same ``r``.
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nnc as ann
from nnc.diagnostics import DslError

#: function -> arity; every one of them is table-driven in the frontend, interpreter and backend
FUNCTIONS = {
    "exp": 1, "log": 1, "sqrt": 1, "sin": 1, "cos": 1, "tanh": 1, "fabs": 1, "pos": 1, "neg": 1,
    "floor": 1, "ceil": 1, "round": 1, "atan": 1, "clip": 3, "ite": 3, "fmax": 2, "fmin": 2,
    "modulo": 2, "power": 2, "pow": 2, "atan2": 2, "hypot": 2,
}  # fmt: skip
ATOMS = ["a", "b", "x", "y", "t", "dt", "pi", "0.5", "2", "3.0", "1e-3", ".5", "True", "False",
         "Uniform(0.0, 1.0)", "Normal(a, 2.0)", "DiscreteUniform(-2, 3)"]  # fmt: skip
OPS = ["+", "-", "*", "/", "^", "**", "<", ">", "<=", ">=", "==", "!=", "and", "or", "is", "is not"]


def _compose(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    call = st.sampled_from(sorted(FUNCTIONS)).flatmap(
        lambda f: st.lists(children, min_size=FUNCTIONS[f], max_size=FUNCTIONS[f]).map(
            lambda args: f"{f}({', '.join(args)})"
        )
    )
    return st.one_of(
        st.tuples(children, st.sampled_from(OPS), children).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        children.map(lambda c: f"-{c}"),
        children.map(lambda c: f"(not {c})"),
        call,
    )


EXPRESSIONS = st.recursive(st.sampled_from(ATOMS), _compose, max_leaves=8)
BLOCKS = st.tuples(EXPRESSIONS, EXPRESSIONS, EXPRESSIONS).map(lambda t: f"if {t[0]}: {t[1]} else: {t[2]}")


def _run(equation: str, engine: str, tmp: str) -> np.ndarray:
    net = ann.Network(dt=0.25, seed=7)
    net.config(engine=engine)
    neuron = ann.Neuron(
        parameters=dict(a=1.5, b=ann.Parameter(-0.75, locality="local")),
        equations=["y = x * 0.5 : init=0.25", equation, "x = x + 1 : init=-2.0"],
    )
    pop = net.create(4, neuron)
    pop.x = [-2.0, -0.5, 0.3, 4.0]
    net.compile(directory=tmp, silent=True)
    net.simulate(0.5)
    return np.asarray(pop.r, dtype=np.float64)


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    both_nan = np.isnan(a) & np.isnan(b)
    close = np.isclose(a, b, rtol=1e-9, atol=1e-12) | (a == b)
    return bool(np.all(both_nan | close))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rhs=st.one_of(EXPRESSIONS, BLOCKS))
def test_random_expression_jit_equals_interpreter(rhs: str, tmp_path_factory):
    tmp = str(tmp_path_factory.mktemp("fuzz"))
    equation = f"r = {rhs}"
    try:
        reference = _run(equation, "interp", tmp)
    except DslError:
        return
    with np.errstate(all="ignore"):
        jit = _run(equation, "llvm", tmp)
    assert _same(jit, reference), (equation, jit, reference)
