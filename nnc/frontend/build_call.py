"""Calls in expressions -> IR: math and built-in functions, ``ite``, user functions (inlined),
``sum``, global operations and random draws (DSL.md §6, §8, §12, §13)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from nnc.diagnostics import DslNameError, DslTypeError
from nnc.frontend.names import DISTRIBUTIONS, GLOBAL_OPS, did_you_mean
from nnc.frontend.parser import Token, Tree
from nnc.ir.functions import FUNC_BY_NAME, FUNC_INFO
from nnc.ir.model import FunctionDef
from nnc.ir.nodes import (
    Binary,
    BinaryOp,
    Call,
    Cast,
    Const,
    Dist,
    Expr,
    GlobalOp,
    GlobalOpValue,
    Input,
    Random,
    Select,
    Temp,
    Unary,
    Var,
    rewrite,
)
from nnc.ir.printer import print_expr
from nnc.ir.types import AttrKind, DType, Locality, Scope

if TYPE_CHECKING:
    from nnc.frontend.build_expr import ExprBuilder


def _args(node: Tree) -> list[Tree]:
    """Argument subtrees of a call node (its last child is ``args`` when there are any)."""
    last = node.children[-1]
    return list(last.children) if isinstance(last, Tree) and last.data == "args" else []


def _arity_error(b: ExprBuilder, node: Tree, name: str, expected: int, given: int) -> DslTypeError:
    s = "" if expected == 1 else "s"
    args = ", ".join("xyzabc"[i] for i in range(expected))
    return b.error_here(
        f"{name}() takes {expected} argument{s}, {given} given", node, f"call it as {name}({args})"
    )


def call(b: ExprBuilder, node: Tree) -> Expr:
    """The IR of ``name(args)``."""
    name = str(node.children[0])
    args = _args(node)
    user = b.names.functions.get(name)
    if user is not None:
        return inline(b, node, user, [b.build(a) for a in args])
    special = _SPECIAL.get(name)
    if special is not None:
        return special(b, node, name, args)
    func = FUNC_BY_NAME.get(name)
    if func is None:
        choices = [*FUNC_BY_NAME, *_SPECIAL, *b.names.functions]
        hint = (
            did_you_mean(name, choices)
            or "functions are defined with Neuron(functions=...) or add_function()"
        )
        raise DslNameError(f"unknown function '{name}'", b.span(node.children[0]), hint)
    if len(args) != FUNC_INFO[func].arity:
        raise _arity_error(b, node, name, FUNC_INFO[func].arity, len(args))
    return Call(func, tuple(b.build(a) for a in args), b.span(node))


# --------------------------------------------------------------------------------------------------
# user functions


def _substitute(e: Expr, mapping: dict[str, Expr]) -> Expr:
    return rewrite(e, lambda k: mapping.get(k.name) if isinstance(k, Temp) else None)


def _convert(e: Expr, dtype: DType) -> Expr:
    """A value passed to / returned from a function typed ``int`` or ``bool`` (DSL.md §13)."""
    if dtype is DType.REAL or e.dtype is dtype:
        return e
    return Cast(dtype, e, e.span if hasattr(e, "span") else None)


def inline(b: ExprBuilder, node: Tree, fn: FunctionDef, args: list[Expr]) -> Expr:
    """The body of user function ``fn`` with its arguments substituted (functions are always inlined)."""
    if len(args) != len(fn.params):
        raise _arity_error(b, node, fn.name, len(fn.params), len(args))
    mapping = {p: _convert(a, t) for p, a, t in zip(fn.params, args, fn.arg_types, strict=True)}
    return _convert(_substitute(fn.body, mapping), fn.result)


# --------------------------------------------------------------------------------------------------
# special calls


def _no_function_body(b: ExprBuilder, node: Tree, what: str) -> None:
    if b.names.params is not None:
        raise b.error_here(
            f"{what} cannot be used in a function body", node, "functions only see their arguments"
        )


def _sum(b: ExprBuilder, node: Tree, name: str, args: list[Tree]) -> Expr:
    _no_function_body(b, node, "sum()")
    if b.names.synapse:
        raise b.error_here(
            "sum() cannot be used in a synapse", node, "use pre.sum(target) or post.sum(target)"
        )
    if len(args) > 1 or (args and args[0].data != "name"):
        raise b.error_here("sum() takes the name of one target", node, "write sum(exc)")
    span = b.span(node)
    if args:
        target = str(args[0].children[0])
        b.state.use_target(target)
        return Input(target, Scope.SELF, span)
    connected = b.names.connected or ()
    if not connected:
        return Const(0.0, DType.REAL, span)
    total: Expr = Input(connected[0], Scope.SELF, span)
    for target in connected[1:]:
        total = Binary(BinaryOp.ADD, total, Input(target, Scope.SELF, span), span)
    return total


def _global_op(b: ExprBuilder, node: Tree, name: str, args: list[Tree]) -> Expr:
    """``mean(x)`` ... (DSL.md §8); two-argument min/max point to fmin/fmax."""
    if name in ("min", "max") and len(args) == 2:
        raise DslNameError(
            f"{name}(a, b) with two arguments is not available",
            b.span(node.children[0]),
            f"use f{name}(a, b); {name}(x) with one name is the global {name}imum of x",
        )
    _no_function_body(b, node, f"the global operation {name}()")
    if len(args) != 1:
        raise _arity_error(b, node, name, 1, len(args))
    op, arg = GLOBAL_OPS[name], args[0]
    if b.names.synapse:
        return _synapse_global_op(b, op, arg)
    var = str(arg.children[0]) if arg.data == "name" else None
    decl = b.names.attrs.get(var) if var else None
    if decl is None or decl.locality is not Locality.LOCAL:
        raise DslNameError(
            f"There is no local attribute {var or _text(b, arg)} for the global operation {name}()",
            b.span(arg),
            "global operations take the name of a local parameter or variable of the neuron",
        )
    return GlobalOpValue(op, decl.name, Scope.SELF, b.span(node))


def _synapse_global_op(b: ExprBuilder, op: GlobalOp, arg: Tree) -> Expr:
    if arg.data == "name":
        raise b.error_here(
            f"Detected global operation {op.value}() on synaptic variable {arg.children[0]}: not implemented",
            arg,
            f"global operations in synapses apply to pre.<name> or post.<name>, e.g. {op.value}(post.r)",
        )
    if arg.data != "qualified":
        raise b.error_here(
            f"{op.value}() takes one name", arg, f"write {op.value}(pre.r) or {op.value}(post.r)"
        )
    var = b.qualified(arg)
    assert isinstance(var, Var)
    if var.locality is not Locality.LOCAL:
        raise DslNameError(
            f"There is no local attribute {var.name} in the {var.scope.value}-synaptic population",
            b.span(arg),
            "global operations take a local parameter or variable",
        )
    return GlobalOpValue(op, var.name, var.scope, b.span(arg))


def _text(b: ExprBuilder, node: Tree) -> str:
    meta = node.meta
    return b.frag.text[meta.start_pos : meta.end_pos] if not getattr(meta, "empty", True) else "?"


def _ite(b: ExprBuilder, node: Tree, name: str, args: list[Tree]) -> Expr:
    if len(args) != 3:
        raise _arity_error(b, node, name, 3, len(args))
    cond, yes, no = (b.build(a) for a in args)
    return Select(cond, yes, no, b.span(node))


def _random_arg_error(b: ExprBuilder, e: Expr, dist: Dist) -> DslTypeError | None:
    """Arguments of a distribution are numbers or global parameters (DSL.md §12)."""
    match e:
        case Const():
            return None
        case Unary(operand=a):
            return _random_arg_error(b, a, dist)
        case Binary(lhs=lhs, rhs=rhs):
            return _random_arg_error(b, lhs, dist) or _random_arg_error(b, rhs, dist)
        case Var(scope=Scope.NETWORK):
            return None
        case Var(name=n, scope=Scope.SELF, locality=Locality.GLOBAL) if (
            b.names.attrs[n].kind is AttrKind.PARAMETER
        ):
            return None
    name = e.name if isinstance(e, Var) else print_expr(e)
    return DslTypeError(
        f"{name} is not a global parameter and can not be used as an argument of {dist.value}()",
        getattr(e, "span", None),
        "arguments of random distributions are numbers or global parameters",
    )


#: How each distribution is called (DSL.md §12), for hints.
_SIGNATURES = {
    Dist.UNIFORM: "Uniform(min, max)",
    Dist.DISCRETE_UNIFORM: "DiscreteUniform(min, max)",
    Dist.NORMAL: "Normal(mu, sigma)",
    Dist.LOGNORMAL: "LogNormal(mu, sigma)",
    Dist.EXPONENTIAL: "Exponential(lambda)",
    Dist.GAMMA: "Gamma(alpha, beta)",
    Dist.BINOMIAL: "Binomial(n, p)",
}


def _random(b: ExprBuilder, node: Tree, name: str, args: list[Tree]) -> Expr:
    dist = DISTRIBUTIONS[name]
    if not b.where.random or b.names.params is not None:
        where = "a function body" if b.names.params is not None else b.where.field
        raise b.error_here(
            f"random distributions are not allowed in {where}",
            node,
            "for initial values use a RandomDistribution object, e.g. Variable(..., init=Uniform(0, 1))",
        )
    if len(args) < dist.arity:
        s = "" if dist.arity == 1 else "s"
        raise b.error_here(
            f"{name}() requires {dist.arity} parameter{s}, {len(args)} given", node, _SIGNATURES[dist]
        )
    if len(args) > dist.arity:
        raise b.error_here(
            f"Too many parameters for {name}(): {dist.arity} expected, {len(args)} given",
            node,
            _SIGNATURES[dist],
        )
    built = tuple(b.build(a) for a in args)
    for arg in built:
        error = _random_arg_error(b, arg, dist)
        if error is not None:
            raise error
    key = f"{dist.value}({', '.join(print_expr(a) for a in built)})"
    if key not in b.draws:
        b.draws[key] = b.state.next_stream()
    return Random(dist, built, b.draws[key], b.span(node))


_Special = Callable[["ExprBuilder", Tree, str, list[Tree]], Expr]
_SPECIAL: dict[str, _Special] = {
    "sum": _sum,
    "ite": _ite,
    **{op: _global_op for op in GLOBAL_OPS},
    **{d: _random for d in DISTRIBUTIONS},
}


# --------------------------------------------------------------------------------------------------
# pre.sum(target) / post.sum(target)


def qualified_call(b: ExprBuilder, node: Tree) -> Expr:
    """``pre.sum(target)`` / ``post.sum(target)`` in a synapse (DSL.md §5.2, §11.5)."""
    prefix, method = str(node.children[0]), node.children[1]
    scope, model = b.side(prefix, b.span(node.children[0]))
    if str(method) != "sum":
        raise b.error_here(
            f"{prefix}.{method}() is not defined", method, f"only {prefix}.sum(target) is a call"
        )
    args = _args(node)
    if len(args) != 1 or args[0].data != "name":
        raise b.error_here(f"{prefix}.sum() requires one argument", node, f"write {prefix}.sum(exc)")
    target = str(args[0].children[0])
    connected = b.names.pre_targets if scope is Scope.PRE else b.names.post_targets
    if target not in connected:
        side = "pre-synaptic" if scope is Scope.PRE else "post-synaptic"
        raise DslNameError(
            f"The {side} population ({model.name}) receives no projection with target '{target}'",
            b.span(args[0]),
            did_you_mean(target, list(connected)) or f"connected targets: {', '.join(connected) or 'none'}",
        )
    return Input(target, scope, b.span(node))


__all__ = ["call", "inline", "qualified_call", "Token"]
