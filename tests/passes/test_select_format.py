"""select-format: the choice and its reason follow the connectivity's shape and the user's hint."""

from __future__ import annotations

import pytest

from nnc.ir.model import ConnectivityStats, Module, PopulationDecl, ProjectionDecl
from nnc.ir.printer import print_module
from nnc.ir.types import Format, NeuronKind, Precision
from nnc.passes.select_format import SelectFormat, choose


def stats(rows: list[int], contiguous: bool = False, n_pre: int = 100) -> ConnectivityStats:
    return ConnectivityStats(n_pre, len(rows), len(rows), sum(rows), min(rows), max(rows), contiguous)


def test_full_contiguous_rows_are_dense():
    fmt, reason = choose(stats([100] * 50, contiguous=True), None)
    assert fmt is Format.DENSE
    assert "100 contiguous" in reason


def test_regular_rows_are_ell():
    fmt, reason = choose(stats([18, 20, 22, 20]), None)
    assert fmt is Format.ELL
    assert "padding" in reason


def test_irregular_rows_are_csr():
    fmt, _ = choose(stats([1, 100, 2, 3]), None)
    assert fmt is Format.CSR


def test_hint_wins_when_representable():
    fmt, reason = choose(stats([100] * 5, contiguous=True), Format.CSR)
    assert fmt is Format.CSR
    assert "requested by the user" in reason


def test_dense_hint_on_holes_is_reported_not_silent():
    fmt, reason = choose(stats([1, 100, 2, 3]), Format.DENSE)
    assert fmt is Format.CSR
    assert "cannot hold" in reason


@pytest.mark.parametrize("hint", [None, Format.ELL])
def test_pass_sets_format_and_prints_reason(hint):
    pops = (
        PopulationDecl(0, "a", (100,), NeuronKind.RATE, ()),
        PopulationDecl(1, "b", (4,), NeuronKind.RATE, ()),
    )
    proj = ProjectionDecl(0, "p", 0, 1, ("exc",), (), stats=stats([18, 20, 22, 20]), format_hint=hint)
    m = SelectFormat()(Module("net", Precision.F64, 1.0, pops, (proj,)))
    assert m.projections[0].format is Format.ELL
    text = print_module(m)
    assert "format ell  // " in text
    assert "//" not in print_module(m, comments=False)
