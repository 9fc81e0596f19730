"""One-line user functions ``f(a, b) = expr : types`` -> :class:`FunctionDef` (DSL.md §13)."""

from __future__ import annotations

from nnc.diagnostics import DslNameError, DslTypeError
from nnc.frontend.build_expr import ExprBuilder, Where
from nnc.frontend.names import RESERVED_FUNCTIONS, ModelState, Names
from nnc.frontend.parser import Token, Tree, parse
from nnc.frontend.text import FUNCTIONS, Statement, statements
from nnc.ir.model import FunctionDef
from nnc.ir.types import DType

#: Type names of a function's type list (``float`` is the model float type, DSL.md §13 (?)).
_TYPES = {"float": DType.REAL, "double": DType.REAL, "int": DType.INT, "bool": DType.BOOL}


def parse_functions(
    text: object,
    owner: str,
    functions: tuple[FunctionDef, ...] = (),
    constants: tuple[str, ...] = (),
) -> tuple[FunctionDef, ...]:
    """The functions defined in ``text`` (one per statement).

    Bodies may call ``functions`` (the global ones) and functions defined earlier in ``text``; calls are
    inlined, so every returned body only reads its arguments (``Temp``), constants and literals.
    """
    if text is None:
        return ()
    known = {f.name: f for f in functions}
    out: list[FunctionDef] = []
    for stmt in statements(text, owner, "functions", FUNCTIONS):
        fn = _function(stmt, known, frozenset(constants))
        if any(f.name == fn.name for f in out):
            raise DslNameError(
                f"the function {fn.name} is defined twice", stmt.span, "give each function its own name"
            )
        known[fn.name] = fn
        out.append(fn)
    return tuple(out)


def _function(stmt: Statement, known: dict[str, FunctionDef], constants: frozenset[str]) -> FunctionDef:
    body_frag = stmt.body
    tree = parse(body_frag, "function_def")
    name_tok, *param_toks, body = tree.children
    name = str(name_tok)
    if name in RESERVED_FUNCTIONS:
        raise DslNameError(
            f"function name reserved: {name}",
            _span(stmt, name_tok),
            f"{name} is a built-in or math-library function; choose another name",
        )
    params = tuple(str(p) for p in param_toks)
    for i, p in enumerate(params):
        if p in params[:i]:
            raise DslNameError(
                f"the argument {p} of {name} is given twice", _span(stmt, param_toks[i]), "rename one of them"
            )
    result, arg_types = _types(stmt, name, len(params))
    _check_recursion(stmt, body, name)
    names = Names({}, constants, dict(known), params=dict(zip(params, arg_types, strict=True)))
    expr = ExprBuilder(names, ModelState(), body_frag, Where(field="functions", random=False)).build(body)
    return FunctionDef(name, params, expr, arg_types, result)


def _span(stmt: Statement, tok: Token):
    return stmt.body.span(tok.start_pos or 0, tok.end_pos or 0)


def _types(stmt: Statement, name: str, n_args: int) -> tuple[DType, tuple[DType, ...]]:
    if not stmt.flags:
        return DType.REAL, (DType.REAL,) * n_args
    types = [f.key for f in stmt.flags]
    if len(types) != n_args + 1:
        raise DslTypeError(
            f"You must specify exactly the types of return value and arguments of {name}: "
            f"{n_args + 1} types expected, {len(types)} given",
            stmt.flags[0].span,
            f"write ': return_type{', arg_type' * n_args}'",
        )
    return _TYPES[types[0]], tuple(_TYPES[t] for t in types[1:])


def _check_recursion(stmt: Statement, body: Tree, name: str) -> None:
    for node in body.iter_subtrees():
        if node.data == "call" and str(node.children[0]) == name:
            raise DslNameError(
                f"the function {name} calls itself",
                _span(stmt, node.children[0]),
                "Recursion is not supported",
            )
