"""Simplify pass: folding in the module precision, exact identities only, CSE; idempotent and exact."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ir.exprkit import EXPRS, KIT, SPEC
from ir.irkit import attrs, buffers, module, neuron, state, synapse

from nnc.backend.interp.engine import InterpEngine
from nnc.ir.model import NeuronModel
from nnc.ir.nodes import (
    Assign,
    Expr,
)
from nnc.ir.printer import print_stmts
from nnc.ir.types import NeuronKind, ObjKind, Precision
from nnc.ir.verify import verify
from nnc.passes.simplify import Simplify


def simplified(equations: list[str], precision: Precision = Precision.F64) -> str:
    m = Simplify()(module([(neuron("n", attrs(SPEC), equations), 2)], precision=precision))
    verify(m, "simplify")
    return print_stmts(m.kernels[0].body)


def test_constant_folding_follows_the_module_precision():
    assert simplified(["r = 0.1 + 0.2 + a"]) == "for neuron:\n  r = 0.30000000000000004 + a"
    f32 = float(np.float32(0.1) + np.float32(0.2))
    assert simplified(["r = 0.1 + 0.2 + a"], Precision.F32) == f"for neuron:\n  r = {f32!r} + a"


@pytest.mark.parametrize(
    ("source", "result"),
    [
        ("a * 1.0", "a"),
        ("1.0 * a", "a"),
        ("a / 1.0", "a"),
        ("a * -1.0", "-a"),
        ("-1.0 * a", "-a"),
        ("a / -1.0", "-a"),
        ("a + -0.0", "a"),
        ("-0.0 + a", "a"),
        ("a - 0.0", "a"),
        ("-(-a)", "a"),
        ("ite(2.0 > 1.0, a, b)", "a"),
        ("ite(a > b, b, b)", "b"),
        ("sqrt(4.0) + fabs(-3.0) + a", "5.0 + a"),
        ("ite(a > 0.0 and True, a, b)", "ite(a > 0.0, a, b)"),
        ("ite(a > 0.0 or True, a, b)", "a"),
    ],
)
def test_exact_identities(source: str, result: str):
    assert simplified([f"r = {source}"]) == f"for neuron:\n  r = {result}"


@pytest.mark.parametrize(
    "source",
    ["a + 0.0", "0.0 + a", "0.0 - a", "a * 0.0", "a - a", "a / a", "exp(0.0)", "1.0 / 0.0", "a - -0.0"],
)
def test_inexact_rewrites_are_not_applied(source: str):
    before = print_stmts(module([(neuron("n", attrs(SPEC), [f"r = {source}"]), 2)]).kernels[0].body)
    assert simplified([f"r = {source}"]) == before


def test_int_operand_keeps_its_conversion():
    assert simplified(["r = c * 1.0"]) == "for neuron:\n  r = real(c)"


def test_cse_within_a_statement_list():
    assert simplified(["r = exp(a)*b + exp(a)", "v = exp(a) + b*p", "w = b*p"]) == (
        "for neuron:\n  let %0 = exp(a)\n  r = %0 * b + %0\n  let %1 = b * p\n  v = %0 + %1\n  w = %1"
    )


def test_cse_respects_writes_of_what_it_reads():
    assert simplified(["r = a*b + 1.0", "a = b", "v = a*b + 1.0"]) == (
        "for neuron:\n  r = a * b + 1.0\n  a = b\n  v = a * b + 1.0"
    )
    assert simplified(["r = a*b + 1.0", "w = b", "v = a*b + 1.0"]) == (
        "for neuron:\n  let %0 = a * b + 1.0\n  r = %0\n  w = b\n  v = %0"
    )


def test_reduce_values_are_not_split():
    pre = neuron("pre", attrs("v r l"), ["r = r"])
    post = neuron("post", attrs("v r l"), ["r = r"])
    syn = synapse("s", attrs("p w l"), [], pre, post, psp="w*pre.r + w*pre.r")
    m = Simplify()(module([(pre, 2), (post, 2)], [(0, 1, "exc", syn)]))
    k = next(k for k in m.kernels if k.owner is ObjKind.PROJECTION)
    assert print_stmts(k.body) == (
        "for dendrite:\n  let %0 = reduce_sum(w * pre.r + w * pre.r)\n  post.sum(exc) += %0"
    )


# ------------------------------------------------------------------------------------------------
# properties: idempotent, and the interpreter computes bit-identical values

VALUES = np.array([0.0, -0.0, 1.0, -1.5, 2.0, np.inf, -np.inf, np.nan, 0.5, 3.0])


def _same(x: np.ndarray, y: np.ndarray) -> bool:
    nan = np.isnan(x)
    return bool(np.array_equal(nan, np.isnan(y)) and np.array_equal(x[~nan].tobytes(), y[~nan].tobytes()))


@settings(max_examples=150, deadline=None)
@given(exprs=st.lists(EXPRS, min_size=3, max_size=3), precision=st.sampled_from(list(Precision)))
def test_simplify_is_idempotent_and_exact(exprs: list[Expr], precision: Precision):
    eqs = tuple(Assign(KIT.var(t), e) for t, e in zip(("r", "a", "w"), exprs, strict=True))
    m = module([(NeuronModel("n", NeuronKind.RATE, attrs(SPEC), eqs), len(VALUES))], precision=precision)
    once = Simplify()(m)
    verify(once, "simplify")
    assert Simplify()(once) == once
    results = []
    for mod in (m, once):
        b = buffers(mod)
        rng = np.random.default_rng(0)
        for name in ("a", "b"):
            state(b, name)[:] = rng.permutation(VALUES)
        state(b, "c")[:] = np.arange(len(VALUES)) - 4
        state(b, "p")[:] = 1.5
        InterpEngine(mod).run(b, 1)
        results.append([state(b, n).copy() for n in ("r", "a", "w")])
    for x, y in zip(*results, strict=True):
        assert _same(x, y)
