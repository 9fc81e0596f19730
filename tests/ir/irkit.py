"""Test kit: build IR from short Python-syntax strings, assemble modules and their buffers.

This is not the DSL frontend: it reads Python expression syntax (``**`` for powers, ``ite(c, a, b)``
for conditionals, ``pre.x``/``post.x``, ``sum(exc)``, ``dv/dt``) so that pass and interpreter tests
can state their input IR compactly.
"""

from __future__ import annotations

import ast
import re

import numpy as np

from nnc.backend.abi import ConnField, ConnKey, StateKey, layout_of
from nnc.frontend.assemble import PopulationSpec, ProjectionSpec, assemble
from nnc.ir.functions import FUNC_BY_NAME
from nnc.ir.model import Attribute, Module, NeuronModel, SynapseModel
from nnc.ir.nodes import (
    Assign,
    Binary,
    BinaryOp,
    Call,
    CmpOp,
    Compare,
    Const,
    Deriv,
    Dist,
    Dt,
    Expr,
    GlobalOp,
    GlobalOpValue,
    Input,
    Logic,
    LogicOp,
    Ode,
    Random,
    Select,
    Stmt,
    Time,
    Unary,
    UnaryOp,
    Var,
)
from nnc.ir.types import AttrKind, DelayKind, DType, Locality, Method, NeuronKind, ObjKind, Precision, Scope
from nnc.runtime.buffers import Buffers, ProjectionShape

_LOC = {"g": Locality.GLOBAL, "s": Locality.SEMIGLOBAL, "l": Locality.LOCAL}
_TYPE = {"real": DType.REAL, "int": DType.INT, "bool": DType.BOOL}
_BIN = {
    ast.Add: BinaryOp.ADD,
    ast.Sub: BinaryOp.SUB,
    ast.Mult: BinaryOp.MUL,
    ast.Div: BinaryOp.DIV,
    ast.Pow: BinaryOp.POW,
}
_CMP = {
    ast.Lt: CmpOp.LT,
    ast.LtE: CmpOp.LE,
    ast.Gt: CmpOp.GT,
    ast.GtE: CmpOp.GE,
    ast.Eq: CmpOp.EQ,
    ast.NotEq: CmpOp.NE,
}
_GLOBAL_OPS = {op.value for op in GlobalOp}
_DISTS = {d.value for d in Dist}
_DERIV = re.compile(r"\bd([A-Za-z_]\w*)\s*/\s*dt\b")


def attrs(spec: str, **bounds: tuple[str | None, str | None]) -> tuple[Attribute, ...]:
    """Attributes from ``"p tau g, v l, n l int"``: kind (p/v), name, locality (g/s/l), optional type.

    ``bounds`` gives ``name=(lo, hi)`` expression strings (parsed against the same attributes).
    """
    out = []
    for item in spec.split(","):
        words = item.split()
        kind = AttrKind.PARAMETER if words[0] == "p" else AttrKind.VARIABLE
        dtype = _TYPE[words[3]] if len(words) > 3 else DType.REAL
        out.append(Attribute(words[1], dtype, _LOC[words[2]], kind))
    result = tuple(out)
    kit = Kit(result)
    return tuple(
        Attribute(
            a.name,
            a.dtype,
            a.locality,
            a.kind,
            a.init,
            *(None if b is None else kit.expr(b) for b in bounds.get(a.name, (None, None))),
        )
        for a in result
    )


class Kit:
    """Parses expressions and statements against the attributes of an object (and its pre/post)."""

    def __init__(
        self,
        own: tuple[Attribute, ...],
        pre: tuple[Attribute, ...] = (),
        post: tuple[Attribute, ...] = (),
        constants: tuple[str, ...] = (),
    ):
        self.scopes = {
            Scope.SELF: {a.name: a for a in own},
            Scope.PRE: {a.name: a for a in pre},
            Scope.POST: {a.name: a for a in post},
        }
        self.constants = constants
        self.streams = 0

    def var(self, name: str, scope: Scope = Scope.SELF) -> Var:
        if scope is Scope.SELF and name in self.constants:
            return Var(name, DType.REAL, Locality.GLOBAL, Scope.NETWORK)
        a = self.scopes[scope][name]
        return Var(name, a.dtype, a.locality, scope)

    def expr(self, text: str) -> Expr:
        return self._node(ast.parse(_DERIV.sub(r"__d_\1", text.strip()), mode="eval").body)

    def _node(self, n: ast.AST) -> Expr:  # noqa: C901 - one case per syntax node
        match n:
            case ast.Constant(value=bool() as b):
                return Const(b, DType.BOOL)
            case ast.Constant(value=v):
                return Const(float(v))
            case ast.Name(id="t"):
                return Time()
            case ast.Name(id="dt"):
                return Dt()
            case ast.Name(id=name) if name.startswith("__d_"):
                return Deriv(name[4:])
            case ast.Name(id=name):
                return self.var(name)
            case ast.Attribute(value=ast.Name(id=side), attr=name):
                return self.var(name, Scope.PRE if side == "pre" else Scope.POST)
            case ast.BinOp(op=op, left=a, right=b):
                return Binary(_BIN[type(op)], self._node(a), self._node(b))
            case ast.UnaryOp(op=ast.USub(), operand=a):
                value = self._node(a)
                if isinstance(value, Const) and value.type is DType.REAL:  # a negative literal, as the DSL
                    return Const(-value.value)
                return Unary(UnaryOp.NEG, value)
            case ast.UnaryOp(op=ast.Not(), operand=a):
                return Unary(UnaryOp.NOT, self._node(a))
            case ast.Compare(left=a, ops=[op], comparators=[b]):
                return Compare(_CMP[type(op)], self._node(a), self._node(b))
            case ast.BoolOp(op=op, values=[a, b]):
                kind = LogicOp.AND if isinstance(op, ast.And) else LogicOp.OR
                return Logic(kind, self._node(a), self._node(b))
            case ast.Call(func=ast.Name(id="sum"), args=[ast.Name(id=target)]):
                return Input(target)
            case ast.Call(func=ast.Name(id="ite"), args=[c, a, b]):
                return Select(self._node(c), self._node(a), self._node(b))
            case ast.Call(func=ast.Name(id=op), args=[ast.Name(id=var)]) if op in _GLOBAL_OPS:
                return GlobalOpValue(GlobalOp(op), var)
            case ast.Call(func=ast.Name(id=dist), args=args) if dist in _DISTS:
                self.streams += 1
                return Random(Dist(dist), tuple(self._node(a) for a in args), self.streams - 1)
            case ast.Call(func=ast.Name(id=f), args=args):
                return Call(FUNC_BY_NAME[f], tuple(self._node(a) for a in args))
        raise ValueError(f"irkit cannot read {ast.dump(n)}")

    def stmt(self, text: str, default: Method = Method.EXPLICIT) -> Stmt:
        """``x = e``, ``x += e`` or an ODE ``lhs = rhs [: method]``."""
        method = default
        if ":" in text:
            text, flag = text.rsplit(":", 1)
            method = Method(flag.strip())
        lhs, rhs = (s.strip() for s in text.split("=", 1))
        deriv = _DERIV.search(lhs) or _DERIV.search(rhs)
        if deriv:
            return Ode(self.var(deriv.group(1)), self.expr(lhs), self.expr(rhs), method)
        if lhs[-1] in "+-*/":
            name = lhs[:-1].strip()
            return Assign(self.var(name), self.expr(f"{name} {lhs[-1]} ({rhs})"))
        return Assign(self.var(lhs), self.expr(rhs))


def neuron(
    name: str,
    attributes: tuple[Attribute, ...],
    equations: list[str],
    default: Method = Method.EXPLICIT,
    constants: tuple[str, ...] = (),
) -> NeuronModel:
    """A rate-coded neuron model."""
    kit = Kit(attributes, constants=constants)
    eqs = tuple(kit.stmt(e, default) for e in equations)
    return NeuronModel(name, NeuronKind.RATE, attributes, eqs)


def synapse(
    name: str,
    attributes: tuple[Attribute, ...],
    equations: list[str],
    pre: NeuronModel,
    post: NeuronModel,
    psp: str | None = None,
    default: Method = Method.EXPLICIT,
) -> SynapseModel:
    """A synapse model between two neuron models."""
    kit = Kit(attributes, pre.attributes, post.attributes)
    eqs = tuple(kit.stmt(e, default) for e in equations)
    return SynapseModel(name, attributes, eqs, psp=None if psp is None else kit.expr(psp))


def module(
    pops: list[tuple[NeuronModel, int]],
    projs: list[tuple[int, int, str, SynapseModel]] = (),
    precision: Precision = Precision.F64,
    dt: float = 1.0,
    constants: tuple[str, ...] = (),
    delay: DelayKind = DelayKind.NONE,
) -> Module:
    """Assemble populations ``(model, size)`` and projections ``(pre, post, target, synapse)``."""
    pspecs = tuple(PopulationSpec(i, f"pop{i}", (n,), m) for i, (m, n) in enumerate(pops))
    prspecs = tuple(
        ProjectionSpec(i, f"proj{i}", a, b, (t,), s, delay=delay) for i, (a, b, t, s) in enumerate(projs)
    )
    return assemble("net", precision, dt, pspecs, prspecs, constants)


def buffers(
    m: Module, rows: dict[int, list[list[int]]] | None = None, queues: dict[int, int] | None = None
) -> Buffers:
    """Buffers of ``m``; ``rows[proj] = [pre ranks of post neuron 0, of post 1, ...]`` stored as CSR.

    Post neurons with an empty list get no dendrite. ``queues`` gives delay-queue lengths.
    """
    rows = rows or {}
    shapes = {}
    for pid, lists in rows.items():
        nz = [r for r in lists if r]
        shapes[pid] = ProjectionShape(len(nz), sum(len(r) for r in nz))
    b = Buffers(m, layout_of(m), shapes, queues)
    for pid, lists in rows.items():
        post = [i for i, r in enumerate(lists) if r]
        b.array(ConnKey(pid, ConnField.POST_RANK))[:] = post
        b.array(ConnKey(pid, ConnField.ROW_PTR))[:] = np.cumsum([0] + [len(lists[i]) for i in post])
        b.array(ConnKey(pid, ConnField.PRE_RANK))[:] = [j for i in post for j in lists[i]]
    return b


def state(b: Buffers, name: str, pop: int = 0, owner: ObjKind = ObjKind.POPULATION) -> np.ndarray:
    """The live array of attribute ``name``."""
    return b.array(StateKey(owner, pop, name))
