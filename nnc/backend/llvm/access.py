"""Element positions and buffer accesses: scalar, contiguous lanes, or gathered lanes, with optional masks.

A position (:class:`At`) says which element of an array the current statement touches: one element for
all lanes (``SCALAR``), ``index + lane`` (``CONTIGUOUS``, a plain vector load), ``index + lane + 1`` for
the lanes past a row's hole (``SPLIT``: two plain vector loads one element apart and a per-lane select)
or one index per lane (``GATHER``). Masked lanes are never read, so a partial chunk at the end of a row
touches only the row.
"""

from __future__ import annotations

from dataclasses import dataclass

from llvmlite import ir

from nnc.backend.llvm.expr import I1, I32, I64, PTR, element, mangle, splat
from nnc.ir.types import Enum


class AtKind(Enum):
    """How lanes map to elements."""

    SCALAR = "scalar"
    CONTIGUOUS = "contiguous"
    SPLIT = "split"
    GATHER = "gather"


@dataclass(frozen=True, slots=True)
class At:
    """A position: ``index`` is ``i64``, or ``<W x i64>`` for ``GATHER``; ``SPLIT`` lane ``l`` is at
    ``index + l + shift[l]`` (``shift``: ``<W x i1>``)."""

    index: ir.Value
    kind: AtKind = AtKind.SCALAR
    shift: ir.Value | None = None


ORIGIN = At(I64(0))


def iota(width: int, ty: ir.IntType = I64) -> ir.Constant:
    """The vector ``<0, 1, ..., width - 1>``."""
    return ir.Constant(ir.VectorType(ty, width), list(range(width)))


def lane_indices(b: ir.IRBuilder, at: At, width: int) -> ir.Value:
    """The index of every lane as ``<W x i64>``."""
    match at.kind:
        case AtKind.GATHER:
            return at.index
        case AtKind.CONTIGUOUS:
            return b.add(splat(b, at.index, width), iota(width))
        case AtKind.SPLIT:
            step = b.zext(at.shift, ir.VectorType(I64, width))
            return b.add(b.add(splat(b, at.index, width), iota(width)), step)
    return splat(b, at.index, width)


def offset(b: ir.IRBuilder, at: At, delta: ir.Value, width: int) -> At:
    """``at`` moved by ``delta`` elements (a scalar, or one amount per lane)."""
    if not isinstance(delta.type, ir.VectorType) and at.kind is not AtKind.GATHER:
        return At(b.add(at.index, delta), at.kind, at.shift)
    per_lane = delta if isinstance(delta.type, ir.VectorType) else splat(b, delta, width)
    return At(b.add(lane_indices(b, at, width), per_lane), AtKind.GATHER)


def _intrinsic(b: ir.IRBuilder, name: str, ret: ir.Type, args: list[ir.Type]) -> ir.Function:
    existing = b.module.globals.get(name)
    if existing is not None:
        return existing
    return ir.Function(b.module, ir.FunctionType(ret, args), name)


def _all_lanes(width: int) -> ir.Constant:
    return ir.Constant(ir.VectorType(I1, width), [1] * width)


def load(
    b: ir.IRBuilder, ptr: ir.Value, elem: ir.Type, at: At, width: int, mask: ir.Value | None
) -> ir.Value:
    """Element(s) of ``ptr`` (an array of ``elem``) at ``at``: a scalar for ``SCALAR`` or width 1."""
    align = _size(elem)
    if width == 1 or at.kind is AtKind.SCALAR:
        return b.load(element(b, ptr, at.index, elem), typ=elem, align=align)
    vty = ir.VectorType(elem, width)
    passthru = ir.Constant(vty, None)
    if at.kind is AtKind.CONTIGUOUS:
        return _contiguous(b, element(b, ptr, at.index, elem), vty, align, mask)
    if at.kind is AtKind.SPLIT:
        shifted = at.shift
        unshifted = b.xor(shifted, _all_lanes(width))
        masks = (None, None) if mask is None else (b.and_(mask, unshifted), b.and_(mask, shifted))
        before = _contiguous(b, element(b, ptr, at.index, elem), vty, align, masks[0])
        after = _contiguous(b, element(b, ptr, b.add(at.index, I64(1)), elem), vty, align, masks[1])
        return b.select(shifted, after, before)
    addrs = element(b, ptr, at.index, elem)
    lanes = mask if mask is not None else _all_lanes(width)
    fn = _intrinsic(
        b, f"llvm.masked.gather.{mangle(vty)}.v{width}p0", vty, [addrs.type, I32, lanes.type, vty]
    )
    return b.call(fn, [addrs, I32(align), lanes, passthru])


def _contiguous(
    b: ir.IRBuilder, addr: ir.Value, vty: ir.VectorType, align: int, mask: ir.Value | None
) -> ir.Value:
    """A vector at ``addr``: a plain load, or a masked one (masked lanes are not read)."""
    if mask is None:
        return b.load(addr, typ=vty, align=align)
    fn = _intrinsic(b, f"llvm.masked.load.{mangle(vty)}.p0", vty, [PTR, I32, mask.type, vty])
    return b.call(fn, [addr, I32(align), mask, ir.Constant(vty, None)])


def store(
    b: ir.IRBuilder, ptr: ir.Value, elem: ir.Type, at: At, value: ir.Value, mask: ir.Value | None = None
) -> None:
    """Store ``value`` into element ``at`` of ``ptr``: a scalar, or one element per lane (``CONTIGUOUS``:
    a vector store, ``GATHER``: a scatter; masked lanes are not written). Lanes must not share an element."""
    align = _size(elem)
    if not isinstance(value.type, ir.VectorType):
        b.store(value, element(b, ptr, at.index, elem), align=align)
        return
    width = value.type.count
    lanes = mask if mask is not None else _all_lanes(width)
    if at.kind is AtKind.CONTIGUOUS:
        addr = element(b, ptr, at.index, elem)
        if mask is None:
            b.store(value, addr, align=align)
            return
        fn = _intrinsic(
            b, f"llvm.masked.store.{mangle(value.type)}.p0", ir.VoidType(), [value.type, PTR, I32, lanes.type]
        )
        b.call(fn, [value, addr, I32(align), lanes])
        return
    if at.kind is not AtKind.GATHER:
        raise ValueError(f"cannot store lanes at a {at.kind.value} position")
    addrs = element(b, ptr, at.index, elem)
    fn = _intrinsic(
        b, f"llvm.masked.scatter.{mangle(value.type)}.v{width}p0", ir.VoidType(),
        [value.type, addrs.type, I32, lanes.type],
    )  # fmt: skip
    b.call(fn, [value, addrs, I32(align), lanes])


def _size(elem: ir.Type) -> int:
    if isinstance(elem, ir.DoubleType):
        return 8
    if isinstance(elem, ir.FloatType):
        return 4
    if isinstance(elem, ir.PointerType):
        return 8
    return max(1, elem.width // 8)
