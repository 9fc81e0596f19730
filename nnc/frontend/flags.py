"""Flag lists -> typed declarations: locality, type, method, init values and bounds (DSL.md §2, §3, §4.2)."""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass

from nnc.descriptions.random import DISTRIBUTIONS as PY_DISTRIBUTIONS
from nnc.diagnostics import DslNameError, DslSyntaxError, DslTypeError, ModelError, SourceSpan
from nnc.frontend.parser import Tree, parse
from nnc.frontend.text import Flag, Fragment, Statement
from nnc.ir.types import DType, Locality, Method

#: Locality words and the objects they are valid for (DSL.md §3.2 table).
_NEURON_LOCALITY = {"population": Locality.GLOBAL}
_SYNAPSE_LOCALITY = {"projection": Locality.GLOBAL, "postsynaptic": Locality.SEMIGLOBAL}
_TYPES = {"float": DType.REAL, "int": DType.INT, "bool": DType.BOOL}
_METHODS = {
    "explicit": Method.EXPLICIT,
    "implicit": Method.IMPLICIT,
    "semiimplicit": Method.SEMIIMPLICIT,
    "exponential": Method.EXPONENTIAL,
    "midpoint": Method.MIDPOINT,
    "rk4": Method.RK4,
    "runge-kutta4": Method.RK4,
    "event-driven": Method.EVENT_DRIVEN,
    "exact": Method.EVENT_DRIVEN,
}
#: Default initial value per type (DSL.md §4.2: 0 / 0 / False).
DEFAULT_INIT: dict[DType, float | int | bool] = {DType.REAL: 0.0, DType.INT: 0, DType.BOOL: False}


def method_of(word: str) -> Method:
    """The method named by a flag or ``Variable(method=...)`` (``exact`` warns, DSL.md §2)."""
    if word == "exact":
        warnings.warn("the 'exact' flag is deprecated, use 'event-driven'", FutureWarning, stacklevel=3)
    return _METHODS[word]


@dataclass(frozen=True, slots=True)
class VarFlags:
    """The flags of one declaration, interpreted; ``None`` where not given."""

    locality: Locality | None = None
    dtype: DType | None = None
    method: Method | None = None
    init: Flag | None = None
    lo: Flag | None = None
    hi: Flag | None = None
    unless_post: Flag | None = None

    def given(self) -> list[str]:
        """Names of the flags given (for "not allowed here" checks)."""
        names = {"locality": self.locality, "type": self.dtype, "method": self.method, "init": self.init}
        names |= {"min": self.lo, "max": self.hi, "unless_post": self.unless_post}
        return [k for k, v in names.items() if v is not None]


def _set_once(current: object, new: object, flag: Flag, what: str) -> object:
    if current is not None and current != new:
        raise DslSyntaxError(f"several {what} flags are given", flag.span, f"keep only one {what}")
    return new


def read_flags(stmt: Statement, synapse: bool) -> VarFlags:
    """Interpret the flags of a statement of a neuron (``synapse`` False) or synapse."""
    locality_words = _SYNAPSE_LOCALITY if synapse else _NEURON_LOCALITY
    locality = dtype = method = None
    keyed: dict[str, Flag] = {}
    for flag in stmt.flags:
        word = flag.key
        if flag.value is not None:
            keyed[word] = flag
        elif word in locality_words:
            locality = _set_once(locality, locality_words[word], flag, "locality")
        elif word in _NEURON_LOCALITY or word in _SYNAPSE_LOCALITY:
            obj = "synapses" if synapse else "neurons"
            raise DslTypeError(
                f'the flag "{word}" is forbidden for {obj}', flag.span, _locality_hint(synapse)
            )
        elif word in _TYPES:
            dtype = _set_once(dtype, _TYPES[word], flag, "type")
        elif word in _METHODS:
            method = _set_once(method, method_of(word), flag, "numerical method")
        elif word == "unless_post":
            keyed[word] = flag
        # unless_refractory: accepted and ignored (DSL.md §4.2), refractoriness freezes variables anyway
    return VarFlags(
        locality,  # type: ignore[arg-type]
        dtype,  # type: ignore[arg-type]
        method,  # type: ignore[arg-type]
        keyed.get("init"),
        keyed.get("min"),
        keyed.get("max"),
        keyed.get("unless_post"),
    )


def _locality_hint(synapse: bool) -> str:
    if synapse:
        return "synapses use 'projection' (global) or 'postsynaptic' (semiglobal)"
    return "neurons use 'population' for global attributes"


def reject_flags(flags: VarFlags, allowed: set[str], what: str, span: SourceSpan) -> None:
    """Raise if a flag outside ``allowed`` is given (nothing is accepted and silently ignored)."""
    extra = [name for name in flags.given() if name not in allowed]
    if extra:
        raise DslTypeError(
            f"the flag{'s' if len(extra) > 1 else ''} {', '.join(extra)} cannot be used in {what}",
            span,
            f"allowed here: {', '.join(sorted(allowed)) or 'no flags'}",
        )


# --------------------------------------------------------------------------------------------------
# literal values


_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def literal_number(text: str) -> float | None:
    """The value of a plain numeric literal (``-65.0``, ``1e-3``) without parsing, else None."""
    return float(text) if _NUMBER.fullmatch(text) else None


def fold_number(tree: Tree) -> float | bool | None:
    """Value of an expression made only of literals (``1/1.54``, ``-65.0``, ``True``), else None."""
    match str(tree.data):
        case "number":
            return float(tree.children[0])
        case "true" | "false":
            return tree.data == "true"
        case "unary":
            value = fold_number(tree.children[1])
            if value is None:
                return None
            return -value if str(tree.children[0]) == "-" else +value
        case "binary":
            return _fold_binary(tree)
        case "expression":
            return fold_number(tree.children[0])
    return None


def _fold_binary(tree: Tree) -> float | None:
    lhs, op, rhs = tree.children
    a, b = fold_number(lhs), fold_number(rhs)
    if a is None or b is None:
        return None
    try:
        match str(op):
            case "+":
                return float(a + b)
            case "-":
                return float(a - b)
            case "*":
                return float(a * b)
            case "/":
                return float(a / b)
        return float(a**b)
    except (ZeroDivisionError, OverflowError):
        return None


def typed_value(value: float | bool, dtype: DType, span: SourceSpan) -> float | int | bool:
    """``value`` as stored for ``dtype``; an int must be an integer value (DSL.md §3.2)."""
    match dtype:
        case DType.BOOL:
            return bool(value)
        case DType.INT:
            if float(value) != int(value):
                raise DslTypeError(
                    f"The value of the parameter is not an integer: {value!r}", span, "int values are whole"
                )
            return int(value)
    return float(value)


def _distribution(frag: Fragment, tree: Tree) -> object:
    name = str(tree.children[0])
    cls = PY_DISTRIBUTIONS.get(name)
    if cls is None:
        return None
    args_tree = tree.children[-1] if isinstance(tree.children[-1], Tree) else None
    args = [fold_number(a) for a in (args_tree.children if args_tree is not None else [])]
    span = frag.span()
    if any(a is None or isinstance(a, bool) for a in args):
        raise DslTypeError(
            f"the arguments of {name}() in init must be numbers", span, f"e.g. init={name}(0, 1)"
        )
    try:
        return cls(*args)
    except (TypeError, ModelError) as e:
        raise DslTypeError(
            f"invalid distribution {frag.text}: {e}", span, "check the number and order of the arguments"
        ) from e


def init_value(flag: Flag, dtype: DType, known: set[str]) -> object:
    """The ``init=`` value: a number, a name (kept as a string) or a random distribution (DSL.md §4.2).

    ``known`` holds the attribute and constant names a name may refer to.
    """
    if flag.given:
        return flag.given[0]
    assert flag.value is not None
    frag = flag.value
    plain = literal_number(frag.text)
    if plain is not None:
        return typed_value(plain, dtype, frag.span())
    tree = parse(frag, "expression").children[0]
    number = fold_number(tree)
    if number is not None:
        return typed_value(number, dtype, frag.span())
    if tree.data == "name":
        name = str(tree.children[0])
        if name not in known:
            raise DslNameError(
                f"init={name}: there is no parameter, variable or constant called {name}",
                frag.span(),
                "init takes a number, a name or a random distribution such as Uniform(0, 1)",
            )
        return name
    if tree.data == "call":
        dist = _distribution(frag, tree)
        if dist is not None:
            return dist
    raise DslTypeError(
        f"init={frag.text} is not a number, a name or a random distribution",
        frag.span(),
        "expressions are not evaluated in init; compute the value in Python",
    )
