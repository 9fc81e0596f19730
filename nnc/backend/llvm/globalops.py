"""Global operations in the canonical blocked order: serially, or as block partials combined after a loop.

The order is that of :class:`nnc.ir.nodes.ComputeGlobalOp` (and :func:`nnc.ir.reductions.global_op`):
the neurons are cut into blocks of ``GLOBAL_OP_BLOCK``; each block is one 8-lane row of
:func:`~nnc.backend.llvm.reduce.lane_reduce`; the block results are combined sequentially in block order,
starting from block 0; then ``mean`` divides by the size, ``norm2`` takes the square root and ``max``/``min``
of an empty population give 0.

* A top-level ``ComputeGlobalOp`` is computed by one thread (:func:`compute_serial`).
* Inside a fused neuron loop of a population larger than one block, the loop is partitioned in whole
  blocks; the thread that owns a block writes its result to the ``BlockPartialKey`` scratch buffer when the
  block is done (:func:`write_partial`), and one thread combines the partials after the loop
  (:func:`combine_partials`). A population of one block is reduced after the loop (:func:`compute_serial`):
  partitioning it in blocks would leave every other thread idle.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from llvmlite import ir

from nnc.backend.abi import BlockPartialKey, GlobalOpKey, StateKey
from nnc.backend.llvm.access import At, AtKind
from nnc.backend.llvm.expr import I64
from nnc.backend.llvm.loops import alloca_once, for_range
from nnc.backend.llvm.places import Element
from nnc.backend.llvm.reduce import GLOBAL_OPS, LANES, finish_mean, lane_reduce, zero_if_empty
from nnc.diagnostics import BackendError
from nnc.ir.nodes import GLOBAL_OP_BLOCK, ComputeGlobalOp, GlobalOp
from nnc.ir.types import Domain, DType, ObjKind

if TYPE_CHECKING:
    from nnc.backend.llvm.statements import StatementLowering

BLOCK = GLOBAL_OP_BLOCK


def block_count(size: int) -> int:
    """Blocks of a population of ``size`` neurons (at least one)."""
    return max(1, -(-size // BLOCK))


def blocked(size: int) -> bool:
    """Whether a fused loop over ``size`` neurons computes block partials (more than one block)."""
    return size > BLOCK


def _norm1(lw: StatementLowering, x: ir.Value) -> ir.Value:
    return lw.target.lib.intrinsic(lw.b, "llvm.fabs", [x])


#: the per-neuron value each operation reduces
_VALUE: dict[GlobalOp, Callable[[StatementLowering, ir.Value], ir.Value]] = {
    GlobalOp.MEAN: lambda lw, x: x,
    GlobalOp.MAX: lambda lw, x: x,
    GlobalOp.MIN: lambda lw, x: x,
    GlobalOp.NORM1: _norm1,
    GlobalOp.NORM2: lambda lw, x: lw.b.fmul(x, x),
}
#: the result from the combined total and the population size
_FINISH: dict[GlobalOp, Callable[[StatementLowering, ir.Value, ir.Value], ir.Value]] = {
    GlobalOp.MEAN: lambda lw, t, n: finish_mean(lw.b, lw.real, t, n),
    GlobalOp.MAX: lambda lw, t, n: zero_if_empty(lw.b, lw.real, t, n),
    GlobalOp.MIN: lambda lw, t, n: zero_if_empty(lw.b, lw.real, t, n),
    GlobalOp.NORM1: lambda lw, t, n: t,
    GlobalOp.NORM2: lambda lw, t, n: lw.target.lib.intrinsic(lw.b, "llvm.sqrt", [t]),
}


def _block_total(lw: StatementLowering, s: ComputeGlobalOp, start: ir.Value, count: ir.Value) -> ir.Value:
    """The lane reduction of the neurons ``[start, start + count)`` (``i64``) before any finishing."""
    pop = lw.places.population
    attr = pop.attribute(s.var)
    if attr is None:
        raise BackendError(f"kernel {lw.places.kernel.name}: no attribute '{s.var}' for {s.op.value}()")
    key = StateKey(ObjKind.POPULATION, pop.id, s.var)
    lanes = Element(Domain.NEURON, {}, width=LANES)
    b = lw.b

    def values(p0: ir.Value, mask: ir.Value | None) -> ir.Value:
        lanes.mask = mask
        raw = lw.read(key, attr.dtype, At(b.add(start, p0), AtKind.CONTIGUOUS), lanes)
        return _VALUE[s.op](lw, lw.lowering(lanes).convert(raw, attr.dtype, DType.REAL))

    return lane_reduce(b, lw.target.lib, GLOBAL_OPS[s.op], count, values)


def _combine(lw: StatementLowering, s: ComputeGlobalOp, block: Callable[[ir.Value], ir.Value]) -> None:
    """Combine ``block(j)`` for every block ``j`` in order, finish, and store the result."""
    b, pop = lw.b, lw.places.population
    nblocks = block_count(pop.size)
    total = block(I64(0))
    if nblocks > 1:
        acc = alloca_once(b, lw.real, name="blocks")
        b.store(total, acc)
        with for_range(b, I64(1), I64(nblocks)) as j:
            b.store(GLOBAL_OPS[s.op].combine(b, lw.target.lib, b.load(acc, typ=lw.real), block(j)), acc)
        total = b.load(acc, typ=lw.real)
    result = _FINISH[s.op](lw, total, I64(pop.size))
    lw.write(GlobalOpKey(pop.id, s.op, s.var), DType.REAL, None, result)


def compute_serial(lw: StatementLowering, s: ComputeGlobalOp) -> None:
    """The whole reduction by the calling thread, block after block."""
    b, n = lw.b, lw.places.population.size

    def block(j: ir.Value) -> ir.Value:
        start = b.mul(j, I64(BLOCK))
        rest = b.sub(I64(n), start)
        return _block_total(lw, s, start, b.select(b.icmp_signed("<", rest, I64(BLOCK)), rest, I64(BLOCK)))

    _combine(lw, s, block)


def write_partial(lw: StatementLowering, s: ComputeGlobalOp, start: ir.Value, end: ir.Value) -> None:
    """Store the result of the block ``[start, end)`` in its scratch slot (``start`` is a block boundary)."""
    total = _block_total(lw, s, start, lw.b.sub(end, start))
    key = BlockPartialKey(lw.places.population.id, s.op, s.var)
    lw.write(key, DType.REAL, At(lw.b.sdiv(start, I64(BLOCK))), total)


def combine_partials(lw: StatementLowering, s: ComputeGlobalOp) -> None:
    """Combine the block partials of a fused loop in block order and store the result."""
    key = BlockPartialKey(lw.places.population.id, s.op, s.var)
    _combine(lw, s, lambda j: lw.read(key, DType.REAL, At(j), Element(None, {})))
