"""DENSE rows with holes: classification (``Holes``), slot mapping, fill / scatter / gather round trips."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnc.backend.abi import ConnField, ConnKey, layout_of
from nnc.backend.interp.engine import rows_of
from nnc.diagnostics import ModelError
from nnc.ir.model import Attribute, Module, PopulationDecl, ProjectionDecl
from nnc.ir.types import AttrKind, DType, Format, Holes, Locality, NeuronKind, Precision
from nnc.runtime.buffers import Buffers
from nnc.runtime.connectivity import Connectivity

W = Attribute("w", DType.REAL, Locality.LOCAL, AttrKind.PARAMETER)


def _buffers(conn: Connectivity, holes: Holes) -> Buffers:
    """Buffers of one population projecting onto itself, stored DENSE with ``holes``."""
    pops = (PopulationDecl(0, "pop", (conn.n_pre,), NeuronKind.RATE, ()),)
    proj = ProjectionDecl(0, "rec", 0, 0, ("exc",), (W,), format=Format.DENSE, holes=holes)
    module = Module("net", Precision.F64, 1.0, pops, (proj,))
    return Buffers(module, layout_of(module), {0: conn.shape(Format.DENSE)})


@st.composite
def self_holed(draw: st.DrawFn) -> tuple[int, int, int, list[int]]:
    """``(size, lo, width, posts)``: a population, a box of pre ranks in it and the dendrites' post ranks."""
    size = draw(st.integers(2, 40))
    lo = draw(st.integers(0, size - 2))
    width = draw(st.integers(2, size - lo))
    posts = draw(st.lists(st.integers(0, size - 1), unique=True, min_size=1, max_size=size))
    return size, lo, width, posts


def _box(lo: int, width: int, posts: list[int]) -> tuple[int, int]:
    """The box the stored rows span: a lone row lacking an edge of the drawn box spans one rank less."""
    if posts == [lo]:
        return lo + 1, width - 1
    if posts == [lo + width - 1]:
        return lo, width - 1
    return lo, width


def _connect(size: int, lo: int, width: int, posts: list[int]) -> Connectivity:
    """Each post rank reads the box ``[lo, lo + width)`` minus itself; weight ``100 * post + pre``."""
    rows = [[q for q in range(lo, lo + width) if q != p] for p in posts]
    weights = [[100.0 * p + q for q in r] for p, r in zip(posts, rows, strict=True)]
    return Connectivity.from_rows((size, size), posts, rows, weights)


@settings(max_examples=80, deadline=None)
@given(self_holed())
def test_rows_minus_their_own_rank_are_self_holed(case):
    size, lo, width, posts = case
    conn = _connect(size, lo, width, posts)
    lo, width = _box(lo, width, posts)
    inside = [p for p in posts if lo <= p < lo + width]
    st_ = conn.stats(same_population=True)
    assert st_.contiguous_rows is (not inside)
    assert st_.dense_holes() is (Holes.SELF if inside else Holes.NONE)
    assert (st_.min_row, st_.max_row) == (min(conn.row_lengths), max(conn.row_lengths))
    assert st_.box == width
    # the same ranks between two populations are not dense: a missing pre rank is no self-connection
    other = conn.stats(same_population=False)
    assert other.dense_holes() is (None if inside else Holes.NONE)


def _by_definition(rows: dict[int, list[int]]) -> Holes | None:
    """The variant from the definition, with sets: every row the box, or the box minus its own post."""
    ranks = [q for r in rows.values() for q in r]
    if not ranks:
        return None
    box = set(range(min(ranks), max(ranks) + 1))
    if all(set(r) == box for r in rows.values()):
        return Holes.NONE
    return Holes.SELF if all(set(r) == box - {p} for p, r in rows.items()) else None


@settings(max_examples=150, deadline=None)
@given(self_holed(), st.data())
def test_classification_follows_the_definition(case, data):
    """Rows minus their own rank, then a few ranks dropped or added at random: dense iff the definition."""
    size, lo, width, posts = case
    rows = {p: [q for q in range(lo, lo + width) if q != p] for p in posts}
    for _ in range(data.draw(st.integers(0, 2))):
        p = data.draw(st.sampled_from(posts))
        q = data.draw(st.integers(0, size - 1))
        rows[p] = sorted(set(rows[p]) ^ {q})  # drop q if present, else add it
    rows = {p: r for p, r in rows.items() if r}
    weights = [[1.0] * len(r) for r in rows.values()]
    conn = Connectivity.from_rows((size, size), list(rows), list(rows.values()), weights)
    expected = _by_definition(rows)
    assert conn.dense_holes() is expected
    assert conn.stats(same_population=True).dense_holes() is expected
    if expected is None and rows:
        with pytest.raises(ModelError, match="dense"):
            conn.slot_index(Format.DENSE)


@settings(max_examples=60, deadline=None)
@given(self_holed())
def test_slots_are_box_columns_and_round_trip(case):
    size, lo, width, posts = case
    conn = _connect(size, lo, width, posts)
    lo, width = _box(lo, width, posts)
    slots = conn.slot_index(Format.DENSE)
    rows = np.repeat(np.arange(conn.n_dendrites), conn.row_lengths)
    np.testing.assert_array_equal(slots, rows * width + conn.pre_ranks - lo)
    dead = [d * width + p - lo for d, p in enumerate(conn.post_ranks) if lo <= p < lo + width]
    assert not set(dead) & set(slots.tolist())
    assert conn.shape(Format.DENSE).n_synapses == conn.n_dendrites * width
    stored = conn.scatter(Format.DENSE, conn.split(conn.weights))
    assert np.all(stored[dead] == 0.0)
    back = conn.gather(Format.DENSE, stored)
    for d, p in enumerate(conn.post_ranks):
        np.testing.assert_array_equal(back[d], [100.0 * p + q for q in conn.pre_ranks[conn.row(d)]])


@settings(max_examples=60, deadline=None)
@given(self_holed())
def test_fill_and_the_interpreter_agree_on_positions(case):
    """The interpreter's flattened rows (position order, real synapses only) are the connectivity's."""
    conn = _connect(*case)
    holes = conn.dense_holes()
    buf = _buffers(conn, Holes.SELF)
    conn.fill(buf, 0, Format.DENSE, Holes.SELF)
    lo, width = _box(*case[1:])
    assert buf.value(ConnKey(0, ConnField.PRE_OFFSET)) == lo
    assert buf.value(ConnKey(0, ConnField.ROW_STRIDE)) == width
    rows = rows_of(buf, 0, Format.DENSE, Holes.SELF)
    np.testing.assert_array_equal(rows.slots, conn.slot_index(Format.DENSE))
    np.testing.assert_array_equal(rows.pre, conn.pre_ranks)
    np.testing.assert_array_equal(rows.lengths, conn.row_lengths)
    np.testing.assert_array_equal(rows.post_rank, conn.post_ranks)
    if holes is Holes.SELF:  # the kernels of the other variant would read the dead slots
        with pytest.raises(ModelError, match="holes=none"):
            conn.fill(_buffers(conn, Holes.NONE), 0, Format.DENSE, Holes.NONE)


def test_whole_rows_fill_a_self_kernel_only_without_post_ranks_in_the_box():
    outside = Connectivity.from_rows((9, 9), [6, 8], [[0, 1, 2], [0, 1, 2]], [[1, 2, 3], [4, 5, 6]])
    assert outside.dense_holes() is Holes.NONE
    outside.fill(_buffers(outside, Holes.SELF), 0, Format.DENSE, Holes.SELF)
    inside = Connectivity.from_rows((9, 9), [1, 8], [[0, 1, 2], [0, 1, 2]], [[1, 2, 3], [4, 5, 6]])
    with pytest.raises(ModelError, match="holes=self"):
        inside.fill(_buffers(inside, Holes.SELF), 0, Format.DENSE, Holes.SELF)


def test_all_to_all_without_self_connections():
    """Rows of a 5-neuron population without the diagonal: box [0, 5), each row lacks its own rank."""
    posts = list(range(5))
    conn = _connect(5, 0, 5, posts)
    assert conn.stats(same_population=True).holes is Holes.SELF
    assert conn.slot_index(Format.DENSE).tolist() == [s for s in range(25) if s not in (0, 6, 12, 18, 24)]
