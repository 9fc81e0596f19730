"""Connectivity (lists of lists) and its DENSE / CSR / ELL layouts."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnc.backend.abi import ConnField, ConnKey, StateKey, layout_of
from nnc.diagnostics import ModelError
from nnc.ir.model import Attribute, Module, PopulationDecl, ProjectionDecl
from nnc.ir.types import AttrKind, DelayKind, DType, Format, Locality, NeuronKind, ObjKind, Precision
from nnc.runtime.buffers import Buffers
from nnc.runtime.connectivity import Connectivity, round_half_even

W = Attribute("w", DType.REAL, Locality.LOCAL, AttrKind.PARAMETER)


def _module(conn: Connectivity, fmt: Format, delay: DelayKind = DelayKind.NONE) -> Module:
    pops = (
        PopulationDecl(0, "pre", (conn.n_pre,), NeuronKind.RATE, ()),
        PopulationDecl(1, "post", (conn.n_post,), NeuronKind.RATE, ()),
    )
    proj = ProjectionDecl(0, "proj0", 0, 1, ("exc",), (W,), stats=conn.stats(), format=fmt, delay=delay)
    return Module("net", Precision.F64, 1.0, pops, (proj,))


def _buffers(conn: Connectivity, fmt: Format, delay: DelayKind = DelayKind.NONE) -> Buffers:
    module = _module(conn, fmt, delay)
    return Buffers(module, layout_of(module), {0: conn.shape(fmt)})


@st.composite
def ragged(draw: st.DrawFn) -> tuple[int, int, dict[int, list[int]]]:
    """A random connectivity: sizes and post rank -> distinct pre ranks (unsorted, some rows empty)."""
    n_pre = draw(st.integers(1, 12))
    n_post = draw(st.integers(1, 8))
    rows = {}
    for post in range(n_post):
        pres = draw(st.lists(st.integers(0, n_pre - 1), unique=True, max_size=n_pre))
        rows[post] = pres
    return n_pre, n_post, rows


def _from_dict(n_pre: int, n_post: int, rows: dict[int, list[int]]) -> Connectivity:
    order = list(rows)[::-1]  # given out of order on purpose
    weights = [[100.0 * p + q for q in rows[p]] for p in order]
    return Connectivity.from_rows((n_pre, n_post), order, [rows[p] for p in order], weights)


@settings(max_examples=60, deadline=None)
@given(ragged())
def test_rows_are_sorted_and_empty_rows_dropped(case):
    n_pre, n_post, rows = case
    conn = _from_dict(n_pre, n_post, rows)
    expected_posts = [p for p in sorted(rows) if rows[p]]
    assert conn.post_ranks.tolist() == expected_posts
    for i, p in enumerate(expected_posts):
        sl = conn.row(i)
        assert conn.pre_ranks[sl].tolist() == sorted(rows[p])
        # the weight of synapse q -> p was built as 100 p + q: it travelled with its synapse
        assert conn.weights[sl].tolist() == [100.0 * p + q for q in sorted(rows[p])]
    assert conn.n_synapses == sum(len(v) for v in rows.values())


@settings(max_examples=60, deadline=None)
@given(ragged(), st.sampled_from([Format.CSR, Format.ELL]))
def test_scatter_gather_round_trip(case, fmt):
    conn = _from_dict(*case)
    values = [np.arange(len(conn.pre_ranks[conn.row(i)])) + 0.5 * i for i in range(conn.n_dendrites)]
    slots = conn.scatter(fmt, values)
    assert len(slots) == conn.shape(fmt).n_synapses
    back = conn.gather(fmt, slots)
    assert len(back) == len(values)
    for a, b in zip(back, values, strict=True):
        np.testing.assert_array_equal(a, b)


@settings(max_examples=60, deadline=None)
@given(ragged())
def test_ell_slots_are_row_times_stride_plus_position(case):
    conn = _from_dict(*case)
    stride = conn.stride(Format.ELL)
    assert stride == max((len(v) for v in case[2].values()), default=0)
    idx = conn.slot_index(Format.ELL)
    for i in range(conn.n_dendrites):
        sl = conn.row(i)
        assert idx[sl].tolist() == [i * stride + j for j in range(sl.stop - sl.start)]


def test_stats_of_a_ragged_connectivity():
    conn = Connectivity.from_rows((5, 4), [3, 0], [[4, 1], [0, 1, 2]], [[1, 1], [1, 1, 1]])
    st_ = conn.stats()
    assert (st_.n_pre, st_.n_post, st_.n_dendrites, st_.n_synapses) == (5, 4, 2, 5)
    assert (st_.min_row, st_.max_row, st_.contiguous_rows) == (2, 3, False)


def test_contiguous_rows_detects_dense_blocks():
    block = Connectivity.from_rows((8, 3), [0, 2], [[1, 2, 3], [1, 2, 3]], [[1, 2, 3], [4, 5, 6]])
    assert block.stats().contiguous_rows
    gap = Connectivity.from_rows((8, 3), [0, 2], [[1, 2, 4], [1, 2, 4]], [[1, 2, 3], [4, 5, 6]])
    assert not gap.stats().contiguous_rows
    shifted = Connectivity.from_rows((8, 3), [0, 2], [[1, 2, 3], [2, 3, 4]], [[1, 2, 3], [4, 5, 6]])
    assert not shifted.stats().contiguous_rows
    with pytest.raises(ModelError, match="dense"):
        gap.shape(Format.DENSE)


def test_duplicates_and_out_of_range_ranks_are_errors():
    with pytest.raises(ModelError, match="multiple times"):
        Connectivity.from_rows((4, 4), [1, 1], [[0, 2], [2]], [[1, 1], [1]])
    with pytest.raises(ModelError, match="out of range"):
        Connectivity.from_rows((4, 4), [1], [[0, 4]], [[1, 1]])
    with pytest.raises(ModelError, match="out of range"):
        Connectivity.from_rows((4, 4), [5], [[0]], [[1]])


def test_fill_csr():
    conn = Connectivity.from_rows((5, 4), [3, 0], [[4, 1], [0, 1, 2]], [[1, 2], [3, 4, 5]], 3)
    buf = _buffers(conn, Format.CSR)
    conn.fill(buf, 0, Format.CSR)
    assert buf.array(ConnKey(0, ConnField.POST_RANK)).tolist() == [0, 3]
    assert buf.array(ConnKey(0, ConnField.ROW_PTR)).tolist() == [0, 3, 5]
    assert buf.array(ConnKey(0, ConnField.PRE_RANK)).tolist() == [0, 1, 2, 1, 4]
    assert buf.value(ConnKey(0, ConnField.N_DENDRITES)) == 2
    assert buf.value(ConnKey(0, ConnField.N_SYNAPSES)) == 5
    assert buf.value(ConnKey(0, ConnField.UNIFORM_DELAY)) == 3
    w = buf.array(StateKey(ObjKind.PROJECTION, 0, "w"))
    w[:] = conn.scatter(Format.CSR, conn.weights)
    assert w.tolist() == [3, 4, 5, 2, 1]  # pre 4 carries weight 1


def test_fill_ell_pads_with_zero():
    conn = Connectivity.from_rows((5, 4), [3, 0], [[4, 1], [0, 1, 2]], [[1, 2], [3, 4, 5]])
    buf = _buffers(conn, Format.ELL)
    conn.fill(buf, 0, Format.ELL)
    assert buf.value(ConnKey(0, ConnField.ROW_STRIDE)) == 3
    assert buf.array(ConnKey(0, ConnField.ROW_LEN)).tolist() == [3, 2]
    assert buf.array(ConnKey(0, ConnField.PRE_RANK)).tolist() == [0, 1, 2, 1, 4, 0]
    assert conn.scatter(Format.ELL, conn.weights).tolist() == [3, 4, 5, 2, 1, 0]
    assert buf.value(ConnKey(0, ConnField.N_SYNAPSES)) == 6


def test_fill_dense_sets_offset_and_stride():
    conn = Connectivity.from_rows((6, 3), [2, 0], [[2, 3], [2, 3]], [[1, 2], [3, 4]])
    buf = _buffers(conn, Format.DENSE)
    conn.fill(buf, 0, Format.DENSE)
    assert buf.value(ConnKey(0, ConnField.PRE_OFFSET)) == 2
    assert buf.value(ConnKey(0, ConnField.ROW_STRIDE)) == 2
    assert buf.array(ConnKey(0, ConnField.POST_RANK)).tolist() == [0, 2]
    assert conn.scatter(Format.DENSE, conn.weights).tolist() == [3, 4, 1, 2]


def test_fill_nonuniform_delays_and_reallocation():
    conn = Connectivity.from_rows((5, 4), [1, 0], [[4, 1], [0]], [[1, 2], [3]], [[2, 0], [5]])
    assert not conn.uniform
    assert (conn.uniform_delay, conn.max_delay) == (-1, 5)
    other = Connectivity.from_rows((5, 4), [0], [[0]], [[1]])
    buf = _buffers(other, Format.CSR, DelayKind.NONUNIFORM)
    conn.fill(buf, 0, Format.CSR)  # buffers sized for another connectivity: reallocated
    assert buf.array(ConnKey(0, ConnField.DELAY)).tolist() == [5, 1, 2]  # 0 steps stored as 1
    assert len(buf.array(StateKey(ObjKind.PROJECTION, 0, "w"))) == 3


def test_delays_round_half_to_even_like_the_reference():
    assert round_half_even([0.5, 1.5, 2.5, 2.4999999999999996, 3.5]).tolist() == [0, 2, 2, 2, 4]


def test_two_slots_never_share_memory():
    """Generated code declares buffer pointers noalias: Buffers refuses an array another slot holds."""
    buf = _buffers(_from_dict(3, 2, {0: [0, 1], 1: [2]}), Format.CSR)
    w = buf.array(StateKey(ObjKind.PROJECTION, 0, "w"))
    with pytest.raises(ValueError, match="overlaps the buffer of"):
        buf.install(ConnKey(0, ConnField.PRE_RANK), w.view(np.int32))
