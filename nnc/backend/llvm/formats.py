"""Connectivity-format descriptors: where a dendrite's synapses are stored and what pre neuron each one reads.

One descriptor per :class:`~nnc.ir.types.Format` (arrays in :class:`~nnc.backend.abi.ConnField`); one
kernel builder consumes them (STYLE.md: no per-format copies of kernels). A dendrite ``d`` has
``count = end - begin`` synapses; the synapse at position ``p`` of the row sits in slot ``begin + p``, or,
in a row with a hole at column ``h``, in slot ``begin + p + (p >= h)`` (:class:`Row`).

* DENSE: rows of ``ROW_STRIDE`` slots, every one a synapse; pre rank ``PRE_OFFSET + column`` (contiguous,
  so per-lane pre-synaptic reads are plain vector loads). With ``Holes.SELF`` the row of post rank ``r``
  has its hole at column ``r - PRE_OFFSET`` when that lies in ``[0, ROW_STRIDE)``; its dead slot is skipped.
* CSR: ``ROW_PTR[d] .. ROW_PTR[d + 1]``; pre rank ``PRE_RANK[slot]``.
* ELL: rows of ``ROW_STRIDE`` slots, the first ``ROW_LEN[d]`` of them synapses; pre rank ``PRE_RANK[slot]``.
* TRANSPOSED: the pre->post index of the projection it reads: ``EV_PTR[d] .. EV_PTR[d + 1]``, pre rank
  ``EV_POST[slot]``, local attributes at ``EV_SLOT[slot]``.
* STENCIL: ``ROW_STRIDE`` positions from slot ``W_ROW[d]`` (dendrites sharing a filter share slots); the
  pre ranks are computed from the dendrite's anchor (:mod:`nnc.backend.llvm.stencil`), so only the
  stencil reduction reads them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from llvmlite import ir

from nnc.backend.abi import ConnField
from nnc.backend.llvm.expr import element
from nnc.diagnostics import BackendError
from nnc.ir.types import Format, Holes

I32 = ir.IntType(32)
I64 = ir.IntType(64)


class ConnArrays:
    """Connectivity of one projection inside a kernel: array pointers and sizes, loaded once per call."""

    def __init__(
        self, b: ir.IRBuilder, pointers: dict[ConnField, ir.Value], values: dict[ConnField, ir.Value]
    ):
        self.b = b
        self.pointers = pointers
        self.values = values

    def value(self, f: ConnField) -> ir.Value:
        """An ``i64`` size or flag of the projection."""
        return self.values[f]

    def load(self, f: ConnField, index: ir.Value, ty: ir.Type) -> ir.Value:
        """Element ``index`` of the integer array ``f``, as ``i64``."""
        v = self.b.load(element(self.b, self.pointers[f], index, ty), typ=ty)
        return v if ty is I64 else self.b.sext(v, I64)


@dataclass(frozen=True, slots=True)
class Row:
    """One dendrite's synapses (``i64`` values): ``end - begin`` of them from slot ``begin``; with a
    ``hole`` (a column, ``end - begin`` when the row has none), positions from ``hole`` on sit one slot
    further."""

    begin: ir.Value
    end: ir.Value
    hole: ir.Value | None = None

    def count(self, b: ir.IRBuilder) -> ir.Value:
        """Number of synapses."""
        return b.sub(self.end, self.begin)

    def slot(self, b: ir.IRBuilder, pos: ir.Value) -> ir.Value:
        """Slot of the synapse at position ``pos``."""
        if self.hole is None:
            return b.add(self.begin, pos)
        past = b.zext(b.icmp_signed(">=", pos, self.hole), I64)
        return b.add(b.add(self.begin, pos), past)


@dataclass(frozen=True, slots=True)
class FormatDescriptor:
    """How one storage format lays out rows: ``row(conn, d)``, and ``pre_rank(conn, slot, column)`` of the
    synapse in ``slot`` (``column = slot - begin``); ``contiguous_pre``: pre ranks are ``base + column``,
    else they are in ``pre_array``. ``slot_array``: the local attributes of the synapse in ``slot`` are at
    ``slot_array[slot]`` (a transposed projection reads another's), None: at ``slot`` itself."""

    format: Format
    row: Callable[[ConnArrays, ir.Value], Row]
    pre_rank: Callable[[ConnArrays, ir.Value, ir.Value], ir.Value]
    contiguous_pre: bool
    pre_array: ConnField = ConnField.PRE_RANK
    slot_array: ConnField | None = None

    def attribute_slot(self, conn: ConnArrays, slot: ir.Value) -> ir.Value:
        """Where the local attributes of the synapse in ``slot`` are."""
        return slot if self.slot_array is None else conn.load(self.slot_array, slot, I32)

    def pre_base(self, conn: ConnArrays, column: ir.Value) -> ir.Value:
        """Pre rank of ``column`` in a format with contiguous pre ranks."""
        return self.pre_rank(conn, I64(0), column)


def _strided_begin(conn: ConnArrays, d: ir.Value) -> ir.Value:
    return conn.b.mul(d, conn.value(ConnField.ROW_STRIDE))


def _dense_row(conn: ConnArrays, d: ir.Value) -> Row:
    begin = _strided_begin(conn, d)
    return Row(begin, conn.b.add(begin, conn.value(ConnField.ROW_STRIDE)))


def _dense_self_row(conn: ConnArrays, d: ir.Value) -> Row:
    """A DENSE row lacking its own post rank's column where that lies in the box."""
    b, stride = conn.b, conn.value(ConnField.ROW_STRIDE)
    begin = _strided_begin(conn, d)
    column = b.sub(conn.load(ConnField.POST_RANK, d, I32), conn.value(ConnField.PRE_OFFSET))
    inside = b.icmp_unsigned("<", column, stride)  # 0 <= column < stride
    count = b.sub(stride, b.zext(inside, I64))
    return Row(begin, b.add(begin, count), b.select(inside, column, stride))


def _csr_row(conn: ConnArrays, d: ir.Value) -> Row:
    begin = conn.load(ConnField.ROW_PTR, d, I64)
    end = conn.load(ConnField.ROW_PTR, conn.b.add(d, I64(1)), I64)
    return Row(begin, end)


def _ell_row(conn: ConnArrays, d: ir.Value) -> Row:
    begin = _strided_begin(conn, d)
    return Row(begin, conn.b.add(begin, conn.load(ConnField.ROW_LEN, d, I32)))


def _stencil_row(conn: ConnArrays, d: ir.Value) -> Row:
    begin = conn.load(ConnField.W_ROW, d, I32)
    return Row(begin, conn.b.add(begin, conn.value(ConnField.ROW_STRIDE)))


def _computed_pre(conn: ConnArrays, slot: ir.Value, pos: ir.Value) -> ir.Value:
    raise BackendError(
        "the synapses of a convolution or pooling projection have computed pre ranks: only its "
        "reduction (the psp) reads them; loops over its synapses are not supported"
    )


def _transposed_row(conn: ConnArrays, d: ir.Value) -> Row:
    begin = conn.load(ConnField.EV_PTR, d, I64)
    return Row(begin, conn.load(ConnField.EV_PTR, conn.b.add(d, I64(1)), I64))


def _transposed_pre(conn: ConnArrays, slot: ir.Value, pos: ir.Value) -> ir.Value:
    return conn.load(ConnField.EV_POST, slot, I32)


def _offset_pre(conn: ConnArrays, slot: ir.Value, pos: ir.Value) -> ir.Value:
    return conn.b.add(conn.value(ConnField.PRE_OFFSET), pos)


def _indexed_pre(conn: ConnArrays, slot: ir.Value, pos: ir.Value) -> ir.Value:
    return conn.load(ConnField.PRE_RANK, slot, I32)


FORMATS: dict[tuple[Format, Holes], FormatDescriptor] = {
    (Format.DENSE, Holes.NONE): FormatDescriptor(Format.DENSE, _dense_row, _offset_pre, contiguous_pre=True),
    (Format.DENSE, Holes.SELF): FormatDescriptor(
        Format.DENSE, _dense_self_row, _offset_pre, contiguous_pre=True
    ),
    (Format.CSR, Holes.NONE): FormatDescriptor(Format.CSR, _csr_row, _indexed_pre, contiguous_pre=False),
    (Format.ELL, Holes.NONE): FormatDescriptor(Format.ELL, _ell_row, _indexed_pre, contiguous_pre=False),
    (Format.STENCIL, Holes.NONE): FormatDescriptor(
        Format.STENCIL, _stencil_row, _computed_pre, contiguous_pre=False
    ),
    (Format.TRANSPOSED, Holes.NONE): FormatDescriptor(
        Format.TRANSPOSED,
        _transposed_row,
        _transposed_pre,
        contiguous_pre=False,
        pre_array=ConnField.EV_POST,
        slot_array=ConnField.EV_SLOT,
    ),
}


def descriptor(fmt: Format | None, holes: Holes = Holes.NONE) -> FormatDescriptor:
    """Descriptor of a projection's format (``None`` means CSR, as in :func:`nnc.backend.abi.layout_of`)
    and DENSE variant."""
    found = FORMATS.get((fmt or Format.CSR, holes))
    if found is None:
        raise BackendError(f"storage format {(fmt or Format.CSR).value} has no variant holes={holes.value}")
    return found
