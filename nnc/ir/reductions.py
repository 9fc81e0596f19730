"""The fixed summation order of every reduction (dendrite ``Reduce`` and population global operations).

Every backend reduces in exactly this order, so reductions are bit-identical across backends and
thread counts:

* the values of one row (the synapses of a dendrite in storage order, or the neurons of a population
  in rank order) are dealt to 8 lanes: lane ``l`` receives positions ``l, l+8, l+16, ...``;
* each lane starts from the identity (``+0.0`` for sums, ``-inf`` for max, ``+inf`` for min) and folds
  its values sequentially in position order: ``acc = acc + v`` / ``acc = v if v > acc else acc`` /
  ``acc = v if v < acc else acc`` (so NaN values are skipped by max/min);
* the 8 lane results are combined as ``((l0 ∘ l4) ∘ (l2 ∘ l6)) ∘ ((l1 ∘ l5) ∘ (l3 ∘ l7))`` with the same
  ``∘`` (for max/min: ``a ∘ b = b if b > a else a`` / ``b if b < a else a``);
* max/min of an empty row give 0; ``mean`` is the sum divided by the row length (0 for an empty row).

A population's global operation reduces blocks of ``GLOBAL_OP_BLOCK`` (1024) neurons as rows and combines
the block results sequentially in block order (:class:`nnc.ir.nodes.ComputeGlobalOp`), so threads can own
whole blocks; a population of at most 1024 neurons is one row.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from nnc.ir.nodes import GLOBAL_OP_BLOCK, GlobalOp, ReduceOp

LANES = 8

Combine = Callable[[np.ndarray, np.ndarray], np.ndarray]


def _add(acc: np.ndarray, v: np.ndarray) -> np.ndarray:
    return acc + v


def _max(acc: np.ndarray, v: np.ndarray) -> np.ndarray:
    return np.where(v > acc, v, acc)


def _min(acc: np.ndarray, v: np.ndarray) -> np.ndarray:
    return np.where(v < acc, v, acc)


#: op -> (lane fold / combine, identity)
_FOLDS: dict[ReduceOp, tuple[Combine, float]] = {
    ReduceOp.SUM: (_add, 0.0),
    ReduceOp.MEAN: (_add, 0.0),
    ReduceOp.MAX: (_max, -np.inf),
    ReduceOp.MIN: (_min, np.inf),
}


def reduce_rows(op: ReduceOp, values: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Reduce ``values[starts[d] : starts[d] + lengths[d]]`` for every row ``d`` in the fixed order."""
    fold, identity = _FOLDS[op]
    n = len(starts)
    acc = np.full((n, LANES), identity, dtype=values.dtype)
    top = int(lengths.max()) if n else 0
    for base in range(0, top, LANES):
        pos = base + np.arange(LANES)
        valid = pos[None, :] < lengths[:, None]
        idx = np.where(valid, starts[:, None] + pos[None, :], 0)
        v = values[idx] if values.size else np.zeros_like(acc)
        acc = np.where(valid, fold(acc, v), acc)
    c = [acc[:, i] for i in range(LANES)]
    result = fold(fold(fold(c[0], c[4]), fold(c[2], c[6])), fold(fold(c[1], c[5]), fold(c[3], c[7])))
    empty = lengths == 0
    if op is ReduceOp.MEAN:
        result = result / np.where(empty, 1, lengths).astype(values.dtype)
    return np.where(empty, np.zeros_like(result), result).astype(values.dtype)


#: global operation -> (the per-neuron value it reduces, the reduction of those values)
_GLOBAL: dict[GlobalOp, tuple[Callable[[np.ndarray], np.ndarray], ReduceOp]] = {
    GlobalOp.MEAN: (lambda x: x, ReduceOp.SUM),
    GlobalOp.MAX: (lambda x: x, ReduceOp.MAX),
    GlobalOp.MIN: (lambda x: x, ReduceOp.MIN),
    GlobalOp.NORM1: (np.abs, ReduceOp.SUM),
    GlobalOp.NORM2: (lambda x: x * x, ReduceOp.SUM),
}


def global_op(op: GlobalOp, x: np.ndarray) -> np.ndarray:
    """``op`` over a whole population vector (DSL.md §8), in the fixed order; shape ``(1,)``.

    The order is that of :class:`nnc.ir.nodes.ComputeGlobalOp`: blocks of ``GLOBAL_OP_BLOCK`` neurons,
    each reduced as one 8-lane row, the block results combined sequentially in block order.
    """
    value, red = _GLOBAL[op]
    v = value(x)
    n = len(v)
    starts = np.arange(0, max(n, 1), GLOBAL_OP_BLOCK, dtype=np.int64)
    lengths = np.minimum(GLOBAL_OP_BLOCK, n - starts)
    fold, _ = _FOLDS[red]
    blocks = reduce_rows(red, v, starts, lengths) if n else np.full(1, _FOLDS[red][1], dtype=v.dtype)
    total = blocks[0:1]
    for b in range(1, len(blocks)):
        total = fold(total, blocks[b : b + 1])
    match op:
        case GlobalOp.MEAN:
            return total / v.dtype.type(n) if n else np.zeros(1, dtype=v.dtype)
        case GlobalOp.MAX | GlobalOp.MIN:
            return total if n else np.zeros(1, dtype=v.dtype)
        case GlobalOp.NORM2:
            return np.sqrt(total)
    return total
