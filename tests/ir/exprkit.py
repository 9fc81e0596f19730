"""Hypothesis strategies of random well-formed expressions over a fixed set of attributes (``SPEC``).

Shared by the simplify pass's properties and the text form's round trip.
"""

from __future__ import annotations

from hypothesis import strategies as st
from ir.irkit import Kit, attrs

from nnc.ir.functions import Func
from nnc.ir.nodes import Binary, BinaryOp, Call, Cast, CmpOp, Compare, Const, Expr, Select, Unary, UnaryOp
from nnc.ir.types import DType

SPEC = "p p g, v a l, v b l, v c l int, v r l, v v l, v w l"
KIT = Kit(attrs(SPEC))
REALS = [KIT.var(n) for n in ("a", "b", "p")]
CONSTS = [0.0, -0.0, 1.0, -1.0, 2.0, 0.5, 3.0]


def _leaf() -> st.SearchStrategy[Expr]:
    return st.one_of(
        st.sampled_from(REALS), st.sampled_from([Const(c) for c in CONSTS]), st.just(KIT.var("c"))
    )


def _node(kids: st.SearchStrategy[Expr]) -> st.SearchStrategy[Expr]:
    return st.one_of(
        st.builds(Binary, st.sampled_from(list(BinaryOp)), kids, kids),
        st.builds(Unary, st.just(UnaryOp.NEG), kids),
        st.builds(
            lambda f, x, y: Call(f, (x,) if f in (Func.EXP, Func.SQRT, Func.ROUND) else (x, y)),
            st.sampled_from([Func.EXP, Func.SQRT, Func.ROUND, Func.FMAX, Func.MODULO, Func.POWER]),
            kids,
            kids,
        ),
        st.builds(
            lambda c, x, y, z: Select(Compare(c, x, y), z, x), st.sampled_from(list(CmpOp)), kids, kids, kids
        ),
        st.builds(lambda x: Cast(DType.INT, x), kids),
    )


EXPRS = st.recursive(_leaf(), _node, max_leaves=8)
