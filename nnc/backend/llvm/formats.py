"""Connectivity-format descriptors: where a dendrite's synapses are stored and what pre neuron each one reads.

One descriptor per :class:`~nnc.ir.types.Format` (arrays in :class:`~nnc.backend.abi.ConnField`); one
kernel builder consumes them (STYLE.md: no per-format copies of kernels). A dendrite ``d`` owns the synapse
slots ``[begin(d), end(d))``; the synapse at position ``p`` of the row sits in slot ``begin + p``.

* DENSE: rows of ``ROW_STRIDE`` slots, every one a synapse; pre rank ``PRE_OFFSET + p`` (contiguous,
  so per-lane pre-synaptic reads are plain vector loads).
* CSR: ``ROW_PTR[d] .. ROW_PTR[d + 1]``; pre rank ``PRE_RANK[slot]``.
* ELL: rows of ``ROW_STRIDE`` slots, the first ``ROW_LEN[d]`` of them synapses; pre rank ``PRE_RANK[slot]``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from llvmlite import ir

from nnc.backend.abi import ConnField
from nnc.backend.llvm.expr import element
from nnc.ir.types import Format

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
    """Slots of one dendrite's synapses: ``[begin, end)`` (``i64``)."""

    begin: ir.Value
    end: ir.Value


@dataclass(frozen=True, slots=True)
class FormatDescriptor:
    """How one storage format lays out rows; ``contiguous_pre`` tells whether pre ranks are ``base + p``."""

    format: Format
    row: Callable[[ConnArrays, ir.Value], Row]
    pre_rank: Callable[[ConnArrays, ir.Value, ir.Value], ir.Value]
    contiguous_pre: bool

    def pre_base(self, conn: ConnArrays, pos: ir.Value) -> ir.Value:
        """Pre rank of position ``pos`` in a format with contiguous pre ranks."""
        return self.pre_rank(conn, I64(0), pos)


def _strided_begin(conn: ConnArrays, d: ir.Value) -> ir.Value:
    return conn.b.mul(d, conn.value(ConnField.ROW_STRIDE))


def _dense_row(conn: ConnArrays, d: ir.Value) -> Row:
    begin = _strided_begin(conn, d)
    return Row(begin, conn.b.add(begin, conn.value(ConnField.ROW_STRIDE)))


def _csr_row(conn: ConnArrays, d: ir.Value) -> Row:
    begin = conn.load(ConnField.ROW_PTR, d, I64)
    end = conn.load(ConnField.ROW_PTR, conn.b.add(d, I64(1)), I64)
    return Row(begin, end)


def _ell_row(conn: ConnArrays, d: ir.Value) -> Row:
    begin = _strided_begin(conn, d)
    return Row(begin, conn.b.add(begin, conn.load(ConnField.ROW_LEN, d, I32)))


def _offset_pre(conn: ConnArrays, slot: ir.Value, pos: ir.Value) -> ir.Value:
    return conn.b.add(conn.value(ConnField.PRE_OFFSET), pos)


def _indexed_pre(conn: ConnArrays, slot: ir.Value, pos: ir.Value) -> ir.Value:
    return conn.load(ConnField.PRE_RANK, slot, I32)


FORMATS: dict[Format, FormatDescriptor] = {
    Format.DENSE: FormatDescriptor(Format.DENSE, _dense_row, _offset_pre, contiguous_pre=True),
    Format.CSR: FormatDescriptor(Format.CSR, _csr_row, _indexed_pre, contiguous_pre=False),
    Format.ELL: FormatDescriptor(Format.ELL, _ell_row, _indexed_pre, contiguous_pre=False),
}


def descriptor(fmt: Format | None) -> FormatDescriptor:
    """Descriptor of a projection's format (``None`` means CSR, as in :func:`nnc.backend.abi.layout_of`)."""
    return FORMATS[fmt or Format.CSR]
