"""``Creating`` / ``Pruning`` conditions (structural plasticity) -> :class:`StructuralRule` (DSL.md §11.4)."""

from __future__ import annotations

from nnc.descriptions.models import Creating, Pruning
from nnc.diagnostics import DslTypeError, SourceSpan
from nnc.frontend.build_ir import build_condition, single_statement
from nnc.frontend.flags import fold_number
from nnc.frontend.names import ModelState, Names
from nnc.frontend.parser import parse
from nnc.frontend.text import STRUCTURAL, Flag, statements
from nnc.ir.model import StructuralRule
from nnc.ir.nodes import Binary, Const, Expr, Random, Unary, Var, walk
from nnc.ir.types import AttrKind, Locality, Scope


def structural_rule(
    value: object, owner: str, field: str, names: Names, state: ModelState
) -> StructuralRule | None:
    """The rule of ``Synapse(creating=...)`` / ``Synapse(pruning=...)``: an object or ``"cond : proba=p"``."""
    if value is None:
        return None
    settings: dict[str, object] = {}
    match value:
        case Creating():
            text, settings = value.equation, {"proba": value.proba, "w": value.w, "d": value.d}
        case Pruning():
            text, settings = value.equation, {"proba": value.proba}
        case str():
            text = value
        case _:
            raise DslTypeError(
                f"{owner}: {field} must be a {field.capitalize()} object or a string",
                None,
                f"write {field}={field.capitalize()}('condition', proba=...)",
            )
    stmt = single_statement(_statements(text, owner, field), field, flags=True)
    if stmt is None:
        return None
    for flag in stmt.flags:
        settings[flag.key] = _flag_number(flag, field)
    condition = build_condition(stmt.body, names, state, field)
    _check_names(condition, names, field)
    _check_random(condition, field)
    proba = settings.get("proba", 1.0)
    return StructuralRule(condition, float(proba), settings.get("w", 0.0), settings.get("d"))  # type: ignore[arg-type]


def _statements(text: str, owner: str, field: str):
    return statements(text, owner, field, STRUCTURAL, True)


def _flag_number(flag: Flag, field: str) -> float:
    if field == "pruning" and flag.key != "proba":
        raise DslTypeError(f"pruning takes no {flag.key}=", flag.span, "pruning conditions only take proba=")
    assert flag.value is not None
    number = fold_number(parse(flag.value, "expression").children[0])
    if number is None or isinstance(number, bool):
        raise DslTypeError(f"{flag.key}= must be a number", flag.value.span(), f"write {flag.key}=0.5")
    return float(number)


def _check_names(condition: Expr, names: Names, field: str) -> None:
    """Creating may read pre./post. attributes and global parameters only; pruning also synaptic variables."""
    if field != "creating":
        return
    for node in walk(condition):
        if isinstance(node, Var) and node.scope is Scope.SELF:
            decl = names.attrs[node.name]
            if decl.kind is not AttrKind.PARAMETER or decl.locality is not Locality.GLOBAL:
                raise DslTypeError(
                    f"a creating condition cannot read the synaptic attribute {node.name}",
                    node.span,
                    "the synapse does not exist yet: use pre.x, post.x and global parameters",
                )


def _numeric(e: Expr) -> bool:
    match e:
        case Const():
            return True
        case Unary(operand=a):
            return _numeric(a)
        case Binary(lhs=a, rhs=b):
            return _numeric(a) and _numeric(b)
    return False


def _check_random(condition: Expr, field: str) -> None:
    draws = [n for n in walk(condition) if isinstance(n, Random)]
    if len({d.stream for d in draws}) > 1:
        raise DslTypeError(
            f"a {field} condition may use at most one random distribution",
            _span(draws[1]),
            "compare one draw with a combined threshold, e.g. Uniform(0, 1) < p",
        )
    for draw in draws:
        if not all(_numeric(a) for a in draw.args):
            raise DslTypeError(
                f"the arguments of {draw.dist.value}() in a {field} condition must be numbers",
                _span(draw),
                "write the values as numbers, e.g. Uniform(0.0, 1.0)",
            )


def _span(e: Expr) -> SourceSpan | None:
    return getattr(e, "span", None)
