"""An out-of-tree pass: strength reduction of small integer powers, ``x ^ 2.0`` -> ``x * x``.

``Binary(POW, x, 2.0)`` lowers to a call of ``pow``; ``x * x`` is one multiplication. The rewrite is
exact (IEEE ``pow(x, 2)`` is correctly rounded, as is ``x * x``), so the numbers do not change, and
``x ^ 3.0`` becomes ``x * x * x`` only when the pass is asked to (``cubes=True``: that product rounds
twice, ``pow`` once). Register it by importing this module, then use it by name::

    import strength_reduce                            # registers "strength-reduce"
    net.config(extra_passes=["strength-reduce"])      # runs after simplify
    nnc opt model.nir --passes discretise,simplify,strength-reduce

An installed package would declare it under the entry-point group ``nnc.passes`` instead of importing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from nnc.ir.model import Module
from nnc.ir.nodes import Binary, BinaryOp, Const, Expr, map_exprs, rewrite
from nnc.passes import Pass, register


def _reduce(e: Expr, cubes: bool) -> Expr | None:
    match e:
        case Binary(op=BinaryOp.POW, lhs=x, rhs=Const(value=2.0)):
            x = rewrite(x, lambda n: _reduce(n, cubes))
            return Binary(BinaryOp.MUL, x, x, e.span)
        case Binary(op=BinaryOp.POW, lhs=x, rhs=Const(value=3.0)) if cubes:
            x = rewrite(x, lambda n: _reduce(n, cubes))
            return Binary(BinaryOp.MUL, Binary(BinaryOp.MUL, x, x), x, e.span)
    return None


@register("strength-reduce", after="simplify")
@dataclass(frozen=True)
class StrengthReduce(Pass):
    """Rewrite ``x ^ 2.0`` as ``x * x`` (and ``x ^ 3.0`` as ``x * x * x`` with ``cubes``)."""

    cubes: bool = False

    def __call__(self, module: Module) -> Module:
        def expr(e: Expr) -> Expr:
            return rewrite(e, lambda n: _reduce(n, self.cubes))

        kernels = tuple(replace(k, body=tuple(map_exprs(s, expr) for s in k.body)) for k in module.kernels)
        return replace(module, kernels=kernels)
