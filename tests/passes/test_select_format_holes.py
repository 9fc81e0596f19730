"""select-format on rows with holes: DENSE for ``Holes.NONE`` and ``Holes.SELF``, the variant in the IR."""

from __future__ import annotations

import pytest

from nnc.ir.model import ConnectivityStats, Module, PopulationDecl, ProjectionDecl
from nnc.ir.printer import print_module
from nnc.ir.types import Format, Holes, NeuronKind, Precision
from nnc.passes.select_format import SelectFormat, choose
from nnc.runtime.connectivity import Connectivity


def all_to_all(n: int, self_connections: bool) -> Connectivity:
    """A population of ``n`` onto itself, every pair (without ``i -> i`` unless ``self_connections``)."""
    rows = [[q for q in range(n) if self_connections or q != p] for p in range(n)]
    return Connectivity.from_rows((n, n), list(range(n)), rows, [[1.0] * len(r) for r in rows])


def _select(stats: ConnectivityStats, hint: Format | None = None) -> Module:
    pops = (PopulationDecl(0, "pop", (stats.n_pre,), NeuronKind.RATE, ()),)
    proj = ProjectionDecl(0, "rec", 0, 0, ("exc",), (), stats=stats, format_hint=hint)
    return SelectFormat()(Module("net", Precision.F64, 1.0, pops, (proj,)))


def test_recurrent_all_to_all_is_dense_with_self_holes():
    stats = all_to_all(20, self_connections=False).stats(same_population=True)
    assert (stats.holes, stats.contiguous_rows, stats.box) == (Holes.SELF, False, 20)
    fmt, reason = choose(stats, None)
    assert fmt is Format.DENSE
    assert "except its own post rank" in reason
    assert "holes=self" in reason
    proj = _select(stats).projections[0]
    assert (proj.format, proj.holes) == (Format.DENSE, Holes.SELF)


def test_self_connections_allowed_is_plain_dense():
    stats = all_to_all(20, self_connections=True).stats(same_population=True)
    assert (stats.holes, stats.contiguous_rows) == (Holes.NONE, True)
    proj = _select(stats).projections[0]
    assert (proj.format, proj.holes) == (Format.DENSE, Holes.NONE)
    assert "20 contiguous" in proj.format_reason


def test_the_same_ranks_between_two_populations_are_not_dense():
    stats = all_to_all(20, self_connections=False).stats(same_population=False)
    assert stats.dense_holes() is None
    proj = _select(stats).projections[0]
    assert (proj.format, proj.holes) == (Format.ELL, Holes.NONE)


@pytest.mark.parametrize("hint", [Format.CSR, Format.ELL])
def test_a_sparse_hint_wins_and_drops_the_variant(hint):
    proj = _select(all_to_all(9, False).stats(same_population=True), hint).projections[0]
    assert (proj.format, proj.holes) == (hint, Holes.NONE)
    assert "requested by the user" in proj.format_reason


def test_a_dense_hint_is_honoured_with_holes():
    proj = _select(all_to_all(9, False).stats(same_population=True), Format.DENSE).projections[0]
    assert (proj.format, proj.holes) == (Format.DENSE, Holes.SELF)
    assert "requested by the user" in proj.format_reason


def test_stats_without_the_holes_field_keep_their_meaning():
    """Stats built before holes existed: contiguous_rows alone still means plain dense."""
    legacy = ConnectivityStats(10, 4, 4, 40, 10, 10, True)
    assert legacy.dense_holes() is Holes.NONE
    assert choose(legacy, None)[0] is Format.DENSE
    ragged = ConnectivityStats(10, 4, 4, 30, 6, 9, False)
    assert ragged.dense_holes() is None


def test_the_variant_is_printed_after_the_format():
    holed = _select(all_to_all(9, False).stats(same_population=True))
    assert "format dense holes=self  // " in print_module(holed)
    assert "format dense holes=self\n" in print_module(holed, comments=False)  # part of the cache key
    plain = print_module(_select(all_to_all(9, True).stats(same_population=True)), comments=False)
    assert "format dense\n" in plain
    assert "holes" not in plain
