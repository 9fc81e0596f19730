"""Parameters in dict form and legacy string form -> declarations with initial values (DSL.md §3)."""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Real

import numpy as np

from nnc.descriptions.models import LOCALITY_ALIASES, TYPE_ALIASES, Parameter
from nnc.descriptions.random import RandomDistribution
from nnc.diagnostics import DslNameError, DslSyntaxError, DslTypeError, SourceSpan, SourceText
from nnc.frontend.flags import (
    DEFAULT_INIT,
    fold_number,
    literal_number,
    read_flags,
    reject_flags,
    typed_value,
)
from nnc.frontend.names import Decl, check_declarable
from nnc.frontend.parser import parse
from nnc.frontend.text import PARAMETERS, Fragment, Statement, assignment_ops, statements
from nnc.ir.model import InitValue
from nnc.ir.types import AttrKind, DType, Locality

_LOCALITY = {"global": Locality.GLOBAL, "local": Locality.LOCAL, "semiglobal": Locality.SEMIGLOBAL}
_DTYPE = {"float": DType.REAL, "int": DType.INT, "bool": DType.BOOL}


@dataclass(frozen=True, slots=True)
class ParamDecl:
    """A declared parameter and its initial value as the user gave it."""

    decl: Decl
    init: InitValue


@dataclass(frozen=True, slots=True)
class ParamContext:
    """Where parameters are read: owner string, object kind, constants visible to values."""

    owner: str
    synapse: bool
    spiking_neuron: bool
    constants: frozenset[str]
    parameters: object = None


def read_parameters(value: object, ctx: ParamContext) -> list[ParamDecl]:
    """Declarations of ``Neuron(parameters=...)`` / ``Synapse(parameters=...)`` in declaration order."""
    match value:
        case None:
            return []
        case dict():
            return _dict_form(value, ctx)
        case str() | list() | tuple():
            return _string_form(value, ctx)
    raise DslTypeError(
        f"{ctx.owner}: parameters must be a dict or a string, not {type(value).__name__}",
        None,
        "write parameters=dict(tau=10.0) or parameters='tau = 10.0'",
    )


# --------------------------------------------------------------------------------------------------
# legacy string form (DSL.md §3.2): local by default


def _string_form(value: object, ctx: ParamContext) -> list[ParamDecl]:
    out: list[ParamDecl] = []
    seen: dict[str, Decl] = {}
    for stmt in statements(value, ctx.owner, "parameters", PARAMETERS, ctx.synapse):
        param = _string_param(stmt, ctx)
        check_declarable(param.decl.name, param.decl.span, ctx.spiking_neuron)
        if param.decl.name in seen:
            raise DslNameError(
                f"Attributes must be declared only once: '{param.decl.name}'",
                param.decl.span,
                f"first declared in {seen[param.decl.name].span}",
            )
        seen[param.decl.name] = param.decl
        out.append(param)
    return out


def _string_param(stmt: Statement, ctx: ParamContext) -> ParamDecl:
    flags = read_flags(stmt, ctx.synapse)
    reject_flags(flags, {"locality", "type"}, "a parameter declaration", stmt.span)
    body = stmt.body
    ops = assignment_ops(body.text)
    if len(ops) > 1 or (ops and body.text[ops[0][0] : ops[0][1]] != "="):
        start, stop = ops[-1]
        raise DslSyntaxError(
            f"The equation can not be analysed: '{body.text}'", body.span(start, stop), "write name = value"
        )
    name_frag = body.cut(0, ops[0][0]) if ops else body
    if not name_frag.text.isidentifier():
        raise DslSyntaxError(
            f"No variable name can be found in '{body.text}'", name_frag.span(), "write name = value : flags"
        )
    span = name_frag.span()
    value_frag = body.cut(ops[0][1]) if ops else None
    dtype = flags.dtype
    init: InitValue = DEFAULT_INIT[dtype or DType.REAL]
    if value_frag is not None:
        if not value_frag.text:
            raise DslSyntaxError(
                f"The parameter {name_frag.text} has no value", value_frag.span(), "write name = 1.0"
            )
        init, dtype = _string_value(value_frag, dtype, ctx)
    decl = Decl(
        name_frag.text, dtype or DType.REAL, flags.locality or Locality.LOCAL, AttrKind.PARAMETER, span
    )
    return ParamDecl(decl, init)


def _string_value(frag: Fragment, dtype: DType | None, ctx: ParamContext) -> tuple[InitValue, DType | None]:
    text = frag.text
    number: float | bool | None = literal_number(text)
    if number is not None:
        return typed_value(number, dtype or DType.REAL, frag.span()), dtype
    if text in ("true", "false"):  # accepted in parameter values (DSL.md §2 "Booleans")
        text = text.capitalize()
        frag = Fragment(text, frag.pos, frag.source, frag.end)
    tree = parse(frag, "expression").children[0]
    number = fold_number(tree)
    if isinstance(number, bool) and dtype is None:
        dtype = DType.BOOL
    if number is not None:
        return typed_value(number, dtype or DType.REAL, frag.span()), dtype
    if tree.data == "name" and str(tree.children[0]) in ctx.constants:
        return str(tree.children[0]), dtype
    kind = "an integer" if dtype is DType.INT else "a float"
    raise DslTypeError(
        f"The value of the parameter is not {kind}: '{frag.text}'",
        frag.span(),
        "parameter values are numbers, True/False, or the name of a constant",
    )


# --------------------------------------------------------------------------------------------------
# dict form (DSL.md §3.1): global by default


def _dict_form(params: dict, ctx: ParamContext) -> list[ParamDecl]:
    lines = [f"{name} = {value!r}" for name, value in params.items()]
    source = SourceText(ctx.owner, "parameters", "\n".join(lines))
    out: list[ParamDecl] = []
    for lineno, (name, value) in enumerate(params.items(), start=1):
        span = SourceSpan(source, lineno, 1, len(str(name)) + 1)
        if not isinstance(name, str):
            raise DslNameError(f"parameter names must be strings, not {name!r}", span, "write dict(tau=10.0)")
        check_declarable(name, span, ctx.spiking_neuron)
        out.append(_dict_param(name, value, span, ctx, {p.decl.name for p in out}))
    return out


def _dict_param(
    name: str, value: object, span: SourceSpan, ctx: ParamContext, earlier: set[str]
) -> ParamDecl:
    locality, dtype = Locality.GLOBAL, DType.REAL
    if isinstance(value, Parameter):
        locality = _LOCALITY[LOCALITY_ALIASES[value.locality]]
        dtype = _DTYPE[TYPE_ALIASES[value.type]]
        if locality is Locality.SEMIGLOBAL and not ctx.synapse:
            raise DslTypeError(
                f"the parameter {name} of a neuron cannot be semiglobal", span, "use 'global' or 'local'"
            )
        value = value.value
    init = _dict_value(name, value, dtype, span, ctx, earlier)
    return ParamDecl(Decl(name, dtype, locality, AttrKind.PARAMETER, span), init)


def _dict_value(
    name: str, value: object, dtype: DType, span: SourceSpan, ctx: ParamContext, earlier: set[str]
) -> InitValue:
    constant_name = getattr(value, "name", None)
    match value:
        case bool() | Real() if isinstance(value, float) and isinstance(constant_name, str):
            return constant_name if constant_name in ctx.constants else float(value)
        case bool() | np.bool_():
            return typed_value(bool(value), dtype, span)
        case Real():
            return typed_value(float(value), dtype, span)  # type: ignore[arg-type]
        case RandomDistribution():
            return value
        case str() if value in ctx.constants or value in earlier:
            return value
        case str():
            raise DslNameError(
                f"the parameter {name} = '{value}' names no constant or earlier parameter",
                span,
                "a string value must be the name of a Constant or of a parameter declared before",
            )
    raise DslTypeError(
        f"the value of the parameter {name} must be a number, a bool, a RandomDistribution, a Constant "
        f"or a name, not {type(value).__name__}",
        span,
        "arrays are set on the population after it is created: pop.x = array",
    )
