"""The reduction of a STENCIL dendrite (convolution, pooling): pre ranks computed from the anchor, in lanes.

A dendrite's positions ``p`` run in chunks of 8 lanes (lane ``l`` is position ``p0 + l``, the fixed
order of :mod:`nnc.backend.llvm.reduce`, which the interpreter shares). For each pre-synaptic dimension
``k`` the box offsets ``origin_k + j_k(p)`` of the positions are a constant table of the module
(``stencil.J<proj>.off<k>``, padded to whole chunks); a chunk loads them as one vector, adds the
dendrite's anchor coordinate and, with the population's extent known at compile time, gets the
coordinates, whether they lie inside, and the rank (row-major strides). Then, by
:class:`~nnc.ir.types.Padding`:

* ``BORDER``: coordinates are clamped into the population before the rank is formed;
* ``VALUE``: lanes outside read nothing and their pre-synaptic attributes take the padding value
  (:attr:`~nnc.backend.llvm.places.Element.outside`);
* ``SKIP``: lanes outside are masked out of the reduction; ``max``/``min`` of a dendrite with no
  position inside is 0.

The local attributes (weights) of the chunk are the contiguous slots ``W_ROW[d] + p0 ..``; the pre
ranks of lanes outside are -1 (what the random counter sees, as in the interpreter). ``mean`` divides by
the stencil's size.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from llvmlite import ir

from nnc.backend.abi import ConnField
from nnc.backend.llvm.access import At, AtKind, iota
from nnc.backend.llvm.expr import I1, I32, I64, element, splat
from nnc.backend.llvm.loops import alloca_once, for_range
from nnc.backend.llvm.places import Role
from nnc.backend.llvm.reduce import LANES, REDUCE_OPS, combine_lanes
from nnc.ir.model import ProjectionDecl, Stencil
from nnc.ir.nodes import Reduce, ReduceOp
from nnc.ir.types import Domain, Padding

if TYPE_CHECKING:
    from nnc.backend.llvm.values import ValueEnv

V64 = ir.VectorType(I64, LANES)
V32 = ir.VectorType(I32, LANES)
VMASK = ir.VectorType(I1, LANES)


def _chunks(st: Stencil) -> int:
    """Positions rounded up to whole chunks of lanes."""
    return -(-st.size // LANES) * LANES


def offset_table(module: ir.Module, proj: ProjectionDecl, dim: int) -> ir.GlobalVariable:
    """The constant ``origin + j`` of dimension ``dim`` for every position (0 in the padding)."""
    name = f"stencil.J{proj.id}.off{dim}"
    existing = module.globals.get(name)
    if existing is not None:
        return existing
    st = proj.stencil
    assert st is not None
    values = [o[dim] for o in st.offsets()]
    values += [0] * (_chunks(st) - len(values))
    ty = ir.ArrayType(I32, len(values))
    gv = ir.GlobalVariable(module, ty, name)
    gv.linkage = "internal"
    gv.global_constant = True
    gv.initializer = ir.Constant(ty, values)
    gv.align = 32
    return gv


def reduce(env: ValueEnv, node: Reduce) -> ir.Value:
    """``node`` over the positions of the current dendrite of a STENCIL projection."""
    lw, b, el = env.lw, env.b, env.el
    proj = lw.places.proj
    st = proj.stencil
    assert st is not None
    assert el.row is not None
    geometry = lw.target.module.populations[proj.pre].geometry
    dims = len(geometry)
    conn, _ = lw.connectivity()
    dendrite = el.at[Role.DENDRITE].index
    anchor = [
        conn.load(ConnField.CENTER, b.add(b.mul(dendrite, I64(dims)), I64(k)), I32) for k in range(dims)
    ]
    strides = [1] * dims
    for k in range(dims - 2, -1, -1):
        strides[k] = strides[k + 1] * geometry[k + 1]
    tables = [offset_table(b.module, proj, k) for k in range(dims)]
    red = REDUCE_OPS[node.op]
    real_vec = ir.VectorType(lw.real, LANES)
    acc_slot = alloca_once(b, real_vec, name="stencil.acc")
    b.store(ir.Constant(real_vec, [red.identity] * LANES), acc_slot)
    counted = st.padding is Padding.SKIP and node.op in (ReduceOp.MAX, ReduceOp.MIN)
    seen_slot = alloca_once(b, VMASK, name="stencil.seen")
    b.store(ir.Constant(VMASK, [0] * LANES), seen_slot)
    with for_range(b, I64(0), I64(_chunks(st)), LANES) as p0:
        rank = ir.Constant(V64, [0] * LANES)
        inside = ir.Constant(VMASK, [1] * LANES)
        for k in range(dims):
            off = b.load(element(b, tables[k], p0, I32), typ=V32, align=4)
            coord = b.add(splat(b, anchor[k], LANES), b.sext(off, V64))
            bound = ir.Constant(V64, [geometry[k]] * LANES)
            if st.padding is Padding.BORDER:
                zero = ir.Constant(V64, [0] * LANES)
                last = ir.Constant(V64, [geometry[k] - 1] * LANES)
                coord = b.select(b.icmp_signed("<", coord, zero), zero, coord)
                coord = b.select(b.icmp_signed(">", coord, last), last, coord)
            else:
                inside = b.and_(inside, b.icmp_unsigned("<", coord, bound))  # 0 <= coord < bound
            rank = b.add(rank, b.mul(coord, ir.Constant(V64, [strides[k]] * LANES)))
        tail = None
        if st.size % LANES:
            tail = b.icmp_signed("<", b.add(splat(b, p0, LANES), iota(LANES)), splat(b, I64(st.size), LANES))
        outside = None
        if st.padding is not Padding.BORDER:
            rank = b.select(inside, rank, ir.Constant(V64, [-1] * LANES))
            outside = b.xor(inside, ir.Constant(VMASK, [1] * LANES))
        mask = tail
        if st.padding is Padding.SKIP:
            mask = inside if tail is None else b.and_(tail, inside)
            outside = None
        lanes = el.inner(
            Domain.SYNAPSE,
            {Role.SELF: At(b.add(el.row.begin, p0), AtKind.CONTIGUOUS), Role.PRE: At(rank, AtKind.GATHER)},
            (el.counter[0], b.trunc(rank, V32)),
            width=LANES,
            mask=mask,
            outside=outside,
            padding=st.value,
        )
        value = lw.lowering(lanes).real(node.value)
        acc = b.load(acc_slot, typ=real_vec)
        new = red.combine(b, lw.target.lib, acc, value)
        b.store(new if mask is None else b.select(mask, new, acc), acc_slot)
        if counted and mask is not None:
            b.store(b.or_(b.load(seen_slot, typ=VMASK), mask), seen_slot)
    total = combine_lanes(b, lw.target.lib, red, b.load(acc_slot, typ=real_vec))
    if node.op is ReduceOp.MEAN:
        return b.fdiv(total, ir.Constant(lw.real, float(st.size)))
    if counted:
        fn_name = f"llvm.vector.reduce.or.v{LANES}i1"
        fn = b.module.globals.get(fn_name) or ir.Function(b.module, ir.FunctionType(I1, [VMASK]), fn_name)
        any_inside = b.call(fn, [b.load(seen_slot, typ=VMASK)])
        return b.select(any_inside, total, ir.Constant(lw.real, 0.0))
    return total
