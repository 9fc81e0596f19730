"""Lark tree -> IR expression: names, operators, conditionals and literals (DSL.md §5, §7).

Calls (built-in, math, user functions, ``sum``, global operations, random draws) are built by
:mod:`nnc.frontend.build_call`. One :class:`ExprBuilder` builds the expressions of one statement, so
that identical random draws in it share one stream (DSL.md §12).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from nnc.diagnostics import DslNameError, DslTypeError, SourceSpan
from nnc.frontend import build_call
from nnc.frontend.names import Decl, ModelState, Names, did_you_mean
from nnc.frontend.parser import Token, Tree
from nnc.frontend.text import Fragment
from nnc.ir.functions import FUNC_BY_NAME
from nnc.ir.model import G_TARGET, NeuronModel
from nnc.ir.nodes import (
    Binary,
    BinaryOp,
    CmpOp,
    Compare,
    Const,
    Deriv,
    Dt,
    Expr,
    Logic,
    LogicOp,
    Select,
    SpikeTime,
    Temp,
    Time,
    Unary,
    UnaryOp,
    Var,
)
from nnc.ir.types import AttrKind, DType, Locality, Scope


@dataclass(frozen=True, slots=True)
class Where:
    """What the expression being built may contain (depends on the field it comes from)."""

    field: str = "equations"
    random: bool = True
    deriv: bool = False
    g_target: bool = False


_BINARY = {"+": BinaryOp.ADD, "-": BinaryOp.SUB, "*": BinaryOp.MUL, "/": BinaryOp.DIV,
           "^": BinaryOp.POW, "**": BinaryOp.POW}  # fmt: skip
_COMPARE = {"<": CmpOp.LT, "<=": CmpOp.LE, ">": CmpOp.GT, ">=": CmpOp.GE, "==": CmpOp.EQ, "!=": CmpOp.NE}
_SPIKE_TIMES = {"t_pre": Scope.PRE, "t_post": Scope.POST}


def deriv_name(token: Token) -> str:
    """``v`` for a ``dv/dt`` token (spaces around '/' allowed)."""
    return str(token)[1:].split("/", 1)[0].strip()


@dataclass(slots=True)
class ExprBuilder:
    """Builds the IR of the expressions of one statement."""

    names: Names
    state: ModelState
    frag: Fragment
    where: Where = Where()
    draws: dict[str, int] = field(default_factory=dict)
    derivs: list[str] = field(default_factory=list)

    # ---------------------------------------------------------------- helpers
    def span(self, node: Tree | Token) -> SourceSpan:
        """Span of a tree or token in the user's text."""
        if isinstance(node, Token):
            return self.frag.span(node.start_pos or 0, node.end_pos or 0)
        meta = node.meta
        if getattr(meta, "empty", True):
            return self.frag.span()
        return self.frag.span(meta.start_pos, meta.end_pos)

    def build(self, node: Tree | Token) -> Expr:
        """The IR of a parsed expression."""
        if isinstance(node, Token):  # pragma: no cover - every atom is wrapped in a rule
            raise TypeError(f"unexpected token {node!r}")
        rule = _RULES.get(str(node.data))
        if rule is None:  # pragma: no cover - the grammar has no other expression rules
            raise TypeError(f"no IR for rule {node.data}")
        return rule(self, node)

    # ---------------------------------------------------------------- leaves
    def number(self, node: Tree) -> Expr:
        return Const(float(node.children[0]), DType.REAL, self.span(node))

    def boolean(self, node: Tree) -> Expr:
        return Const(node.data == "true", DType.BOOL, self.span(node))

    def name(self, node: Tree) -> Expr:
        tok = node.children[0]
        return self.resolve(str(tok), self.span(tok))

    def resolve(self, name: str, span: SourceSpan) -> Expr:
        """The IR of a bare name (DSL.md §5.2)."""
        names = self.names
        if names.params is not None:
            return self._function_name(name, span)
        decl = names.attrs.get(name)
        if decl is not None:
            return Var(name, decl.dtype, decl.locality, Scope.SELF, span)
        special = self._special_name(name, span)
        if special is not None:
            return special
        if name in names.constants:
            return Var(name, DType.REAL, Locality.GLOBAL, Scope.NETWORK, span)
        if names.spiking and not names.synapse and name.startswith("g_") and len(name) > 2:
            return self._conductance(name, span)
        raise self.unknown(name, span)

    def _special_name(self, name: str, span: SourceSpan) -> Expr | None:
        names = self.names
        match name:
            case "t":
                return Time(span)
            case "dt":
                return Dt(span)
            case "pi":
                return Const(math.pi, DType.REAL, span)
            case "t_last" if names.spiking and not names.synapse:
                return SpikeTime(Scope.SELF, span)
            case "t_pre" | "t_post" if names.spiking and names.synapse:
                return SpikeTime(_SPIKE_TIMES[name], span)
            case "g_target" if self.where.g_target:
                return Var(G_TARGET, DType.REAL, Locality.LOCAL, Scope.POST, span)
        return None

    def _function_name(self, name: str, span: SourceSpan) -> Expr:
        params = self.names.params or {}
        if name in params:
            return Temp(name, params[name], span)
        if name == "pi":
            return Const(math.pi, DType.REAL, span)
        if name in self.names.constants:
            return Var(name, DType.REAL, Locality.GLOBAL, Scope.NETWORK, span)
        hint = did_you_mean(name, self.names.candidates()) or (
            "a function only sees its arguments, constants and pi"
        )
        raise DslNameError(f"unknown name '{name}' in a function body", span, hint)

    def _conductance(self, name: str, span: SourceSpan) -> Expr:
        """``g_<target>`` of a spiking neuron: declares the target and an implicit variable (DSL.md §10.2)."""
        decl = self.state.implicit.setdefault(name, Decl(name, DType.REAL, Locality.LOCAL, AttrKind.VARIABLE))
        self.state.use_target(name[2:])
        return Var(name, decl.dtype, decl.locality, Scope.SELF, span)

    def unknown(self, name: str, span: SourceSpan) -> DslNameError:
        """The error for a name that means nothing here, with the best hint available."""
        names = self.names
        hint = did_you_mean(name, names.candidates())
        if name in FUNC_BY_NAME or name in names.functions:
            hint = f"'{name}' is a function: call it with arguments, e.g. {name}(x)"
        elif name == "spike":
            hint = "spike is not an equation symbol: record spikes with monitor(pop, 'spike')"
        elif name == "e":
            hint = "e is not predefined: use exp(1)"
        elif name in ("true", "false"):
            hint = f"write {name.capitalize()}"
        elif name in ("t_pre", "t_post"):
            hint = f"{name} exists only in spiking synapses"
        elif name == "t_last":
            hint = "t_last exists only in spiking neurons"
        elif name == "g_target" and self.where.field in ("pre_spike", "pre_axon_spike"):
            hint = (
                "g_target is only visible in the statements that update it (g_target += ...); "
                "read the conductance of the post-synaptic neuron as post.g_<target>"
            )
        elif name == "g_target":
            hint = "g_target can only be used in pre_spike / pre_axon_spike of a spiking synapse"
        elif name.startswith("g_") and not names.spiking:
            hint = hint or "conductances g_<target> exist only in spiking neurons; use sum(<target>)"
        return DslNameError(f"unknown name '{name}'", span, hint)

    def qualified(self, node: Tree) -> Expr:
        """``pre.x`` / ``post.x`` in a synapse (DSL.md §5.2, §11.5)."""
        prefix, attr = (str(t) for t in node.children)
        scope, model = self.side(prefix, self.span(node.children[0]))
        decl = model.attribute(attr)
        if decl is None:
            side = "pre-synaptic" if scope is Scope.PRE else "post-synaptic"
            choices = [a.name for a in model.attributes]
            raise DslNameError(
                f"The {side} population ({model.name}) has no variable called {attr}",
                self.span(node),
                did_you_mean(attr, choices) or f"its attributes are: {', '.join(choices)}",
            )
        return Var(attr, decl.dtype, decl.locality, scope, self.span(node))

    def side(self, prefix: str, span: SourceSpan) -> tuple[Scope, NeuronModel]:
        """Scope and neuron model of ``pre`` / ``post``, or an error."""
        names = self.names
        if prefix not in ("pre", "post"):
            raise DslNameError(
                f"unknown name '{prefix}'", span, "only pre.<name> and post.<name> are qualified"
            )
        model = names.pre if prefix == "pre" else names.post
        if not names.synapse or model is None:
            raise DslNameError(
                f"{prefix}.<name> can only be used in synapses",
                span,
                "a neuron reads its own attributes by name",
            )
        return (Scope.PRE if prefix == "pre" else Scope.POST), model

    def deriv(self, node: Tree) -> Expr:
        tok = node.children[0]
        name = deriv_name(tok)
        if self.where.deriv:
            self.derivs.append(name)
            return Deriv(name, self.span(node))
        # outside the left-hand side of an ODE, ``dx/dt`` is the name ``dx`` divided by dt (DSL.md §9.9)
        start = tok.start_pos or 0
        lhs = self.resolve("d" + name, self.frag.span(start, start + 1 + len(name)))
        return Binary(BinaryOp.DIV, lhs, Dt(self.span(node)), self.span(node))

    # ---------------------------------------------------------------- operators
    def binary(self, node: Tree) -> Expr:
        lhs, op, rhs = node.children
        return Binary(_BINARY[str(op)], self.build(lhs), self.build(rhs), self.span(node))

    def unary(self, node: Tree) -> Expr:
        op, operand = node.children
        value = self.build(operand)
        if str(op) == "+":
            return value
        if isinstance(value, Const) and value.type is DType.REAL:  # ``-65.0`` is a negative literal
            return Const(-value.value, DType.REAL, self.span(node))
        return Unary(UnaryOp.NEG, value, self.span(node))

    def compare(self, node: Tree) -> Expr:
        lhs, op, rhs = node.children
        return Compare(_COMPARE[str(op)], self.build(lhs), self.build(rhs), self.span(node))

    def identity(self, node: Tree) -> Expr:
        lhs, rhs = node.children
        op = CmpOp.EQ if node.data == "is_" else CmpOp.NE
        return Compare(op, self.build(lhs), self.build(rhs), self.span(node))

    def logic(self, node: Tree) -> Expr:
        lhs, rhs = node.children
        op = LogicOp.AND if node.data == "and_" else LogicOp.OR
        return Logic(op, self.build(lhs), self.build(rhs), self.span(node))

    def negation(self, node: Tree) -> Expr:
        return Unary(UnaryOp.NOT, self.build(node.children[0]), self.span(node))

    def if_block(self, node: Tree) -> Expr:
        cond, yes, no = node.children
        return Select(self.build(cond), self.build(yes), self.build(no), self.span(node))

    def passthrough(self, node: Tree) -> Expr:
        return self.build(node.children[0])

    def call(self, node: Tree) -> Expr:
        return build_call.call(self, node)

    def qualified_call(self, node: Tree) -> Expr:
        return build_call.qualified_call(self, node)

    def error_here(self, message: str, node: Tree | Token, hint: str | None = None) -> DslTypeError:
        """A type error located at ``node``."""
        return DslTypeError(message, self.span(node), hint)


_RULES: dict[str, Callable[[ExprBuilder, Tree], Expr]] = {
    "number": ExprBuilder.number,
    "true": ExprBuilder.boolean,
    "false": ExprBuilder.boolean,
    "name": ExprBuilder.name,
    "qualified": ExprBuilder.qualified,
    "deriv": ExprBuilder.deriv,
    "binary": ExprBuilder.binary,
    "unary": ExprBuilder.unary,
    "compare": ExprBuilder.compare,
    "is_": ExprBuilder.identity,
    "is_not": ExprBuilder.identity,
    "and_": ExprBuilder.logic,
    "or_": ExprBuilder.logic,
    "not_": ExprBuilder.negation,
    "if_block": ExprBuilder.if_block,
    "expression": ExprBuilder.passthrough,
    "call": ExprBuilder.call,
    "qualified_call": ExprBuilder.qualified_call,
}
