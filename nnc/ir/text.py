"""Reading the text form of the IR back: the inverse of :mod:`nnc.ir.printer`.

``parse_module(print_module(m)) == canonical_temps(m)`` for every module ``m`` (the printer numbers the
temporaries of each kernel ``%0``, ``%1`` ... in program order; :func:`canonical_temps` gives a module
the same names), and ``print_module(parse_module(text), debuginfo=True) == text`` for every text the
printer produced, comments and ``loc(...)`` source locations included. The grammar is
``nnc/ir/ir.lark``; types and localities of attribute references are not printed and are taken from the
declarations, so a text is checked like a module built in Python: a reference to an undeclared
attribute, an unknown function or a wrong number of arguments is an error located in the text.

A module read from text may carry what ``nnc run`` needs besides the IR: values of the constants
(``constants tau=10.0``) and a ``connect`` line per projection (a sidecar ``.npz`` or a synthetic
connector, :class:`~nnc.ir.model.ConnectorRef`).

The analysed models of ``nnc dump-ir --stage parse`` read back with :func:`parse_models`; their text
does not say which populations a synapse connects, so ``pre.x`` / ``post.x`` take the type and locality
that the neuron models of the same text declare for ``x`` (real and local where they disagree or none
declares it), and a neuron's targets and user functions, which that text does not list, are empty.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken
from lark.indenter import DedentError, Indenter

from nnc.descriptions import random as distributions
from nnc.diagnostics import DslSyntaxError, SourceSpan, SourceText
from nnc.ir.functions import FUNC_INFO, Func
from nnc.ir.model import (
    G_TARGET,
    Attribute,
    ConnectivityStats,
    ConnectorRef,
    Kernel,
    Module,
    NeuronModel,
    PopulationDecl,
    ProjectionDecl,
    Stencil,
    StructuralRule,
    SynapseModel,
)
from nnc.ir.nodes import (
    AddInput,
    Assign,
    Binary,
    BinaryOp,
    Call,
    Cast,
    Clamp,
    ClearInputs,
    CmpOp,
    Compare,
    ComputeGlobalOp,
    Const,
    Delayed,
    Deriv,
    Dist,
    Dt,
    EventAge,
    Expr,
    ForDendrite,
    ForEach,
    GlobalOp,
    GlobalOpValue,
    Input,
    Let,
    Logic,
    LogicOp,
    Ode,
    PushDelayed,
    Random,
    Reduce,
    ReduceOp,
    Select,
    SourceDue,
    Spike,
    SpikeTime,
    Step,
    Stmt,
    Temp,
    Time,
    TimedStep,
    Unary,
    UnaryOp,
    Var,
    map_exprs,
    rewrite,
    walk_stmts,
)
from nnc.ir.printer import implied_owner
from nnc.ir.types import (
    AttrKind,
    DelayKind,
    Domain,
    DType,
    Format,
    Holes,
    Locality,
    Method,
    NeuronKind,
    ObjKind,
    Padding,
    Phase,
    Precision,
    Scope,
)

__all__ = ["IrTextError", "canonical_temps", "parse_models", "parse_module", "read_module"]

_GRAMMAR = Path(__file__).with_name("ir.lark")


class IrTextError(DslSyntaxError):
    """Text that is not a well-formed module: located by line and column, with a hint where one helps."""


class _Indenter(Indenter):
    NL_type = "_NL"
    OPEN_PAREN_types: list[str] = []  # noqa: RUF012 - Lark's interface
    CLOSE_PAREN_types: list[str] = []  # noqa: RUF012
    INDENT_type = "_INDENT"
    DEDENT_type = "_DEDENT"
    tab_len = 8


@lru_cache(maxsize=1)
def _parser() -> Lark:
    return Lark(
        _GRAMMAR.read_text(),
        parser="lalr",
        postlex=_Indenter(),
        propagate_positions=True,
        maybe_placeholders=False,
        cache=True,
    )


# --------------------------------------------------------------------------------------------------
# errors


#: How terminals are named in "expected one of" hints.
_TERMINAL_TEXT = {
    "LPAR": "'('", "RPAR": "')'", "COMMA": "','", "COLON": "':'", "DOT": "'.'", "EQUAL": "'='",
    "NAME": "a name", "ESCAPED_NAME": "a name", "INT": "an integer", "FLOAT": "a number",
    "NEG_NUMBER": "a number", "STRING": "a quoted name", "TEMP": "a temporary (%n)",
    "_NL": "the end of the line", "_INDENT": "an indented block", "_DEDENT": "the end of the block",
    "DERIV": "d<name>/dt", "CMP_OP": "a comparison", "LOC": "loc(...)", "PLUS": "'+'", "MINUS": "'-'",
    "STAR": "'*'", "SLASH": "'/'", "CIRCUMFLEX": "'^'", "LSQB": "'['", "RSQB": "']'", "MORETHAN": "'>'",
}  # fmt: skip


def _terminal_text(name: str) -> str:
    if name in _TERMINAL_TEXT:
        return _TERMINAL_TEXT[name]
    if name.endswith("_EQ"):
        return f"'{name[:-3].lstrip('_').lower()}='"
    for t in _parser().terminals:
        if t.name == name and t.pattern.type == "str":
            return repr(t.pattern.value)
    return name.lower()


class _Source:
    """The text being read, for error locations."""

    def __init__(self, text: str, name: str):
        self.text = SourceText(name, "IR", text)

    def span(self, line: int, col: int, end_col: int | None = None) -> SourceSpan:
        return SourceSpan(self.text, line, col, end_col if end_col is not None else col + 1)

    def at(self, node: Tree | Token) -> SourceSpan:
        if isinstance(node, Token):
            line, col = node.line or 1, node.column or 1
            end = node.end_column if node.end_line == node.line and node.end_column else col + 1
            return self.span(line, col, end)
        meta = node.meta
        if getattr(meta, "empty", True):
            return self.span(1, 1)
        end = meta.end_column if meta.end_line == meta.line else len(self.text.line(meta.line)) + 1
        return self.span(meta.line, meta.column, end)

    def error(self, message: str, node: Tree | Token | None, hint: str | None = None) -> IrTextError:
        return IrTextError(message, self.at(node) if node is not None else None, hint)


def _syntax_error(src: _Source, e: UnexpectedInput) -> IrTextError:
    match e:
        case UnexpectedCharacters(line=line, column=col):
            char = src.text.line(line)[col - 1 : col] or "end of line"
            return IrTextError(
                "cannot read the IR text", src.span(line, col), f"unexpected character {char!r} here"
            )
        case UnexpectedToken(token=tok) if tok.type not in ("$END", "_DEDENT", "_INDENT"):
            expected = sorted({_terminal_text(n) for n in e.expected if not n.startswith("$")})
            what = "end of line" if tok.type == "_NL" else repr(str(tok))
            return IrTextError(
                "cannot read the IR text",
                src.at(tok),
                f"unexpected {what}; expected one of: {', '.join(expected)}",
            )
        case UnexpectedToken(token=tok):
            line = tok.line if tok.line is not None and tok.type != "$END" else len(src.text.text.split("\n"))
            hint = "the indentation does not match an enclosing block"
            if tok.type == "$END":
                hint = "the text ends too early"
            elif tok.type == "_INDENT":
                hint = "this line is indented, but no block is opened by the line before (':')"
            return IrTextError("cannot read the IR text", src.span(max(line, 1), 1), hint)
        case UnexpectedEOF():
            return IrTextError("cannot read the IR text", None, "the text ends too early")
    return IrTextError(f"cannot read the IR text: {e}")


def _parse_tree(text: str, name: str) -> tuple[_Source, Tree]:
    src = _Source(text, name)
    body = text if text.endswith("\n") else text + "\n"
    try:
        return src, _parser().parse(body)
    except UnexpectedInput as e:
        raise _syntax_error(src, e) from None
    except DedentError:
        line, col = _bad_dedent(body)
        raise IrTextError(
            "cannot read the IR text",
            src.span(line, col),
            "the indentation does not match an enclosing block",
        ) from None


def _bad_dedent(text: str) -> tuple[int, int]:
    """Line and column of the first line indented to a column no enclosing block has."""
    levels = [0]
    for n, line in enumerate(text.split("\n"), start=1):
        stripped = line.lstrip(" \t")
        if not stripped or stripped.startswith("//"):
            continue
        indent = len(line) - len(stripped)
        if indent > levels[-1]:
            levels.append(indent)
            continue
        while indent < levels[-1]:
            levels.pop()
        if indent != levels[-1]:
            return n, indent + 1
    return 1, 1


# --------------------------------------------------------------------------------------------------
# small pieces


def _children(tree: Tree, data: str) -> list[Tree]:
    return [c for c in tree.children if isinstance(c, Tree) and c.data == data]


def _child(tree: Tree, data: str) -> Tree | None:
    found = _children(tree, data)
    return found[0] if found else None


def _tokens(tree: Tree, kind: str | None = None) -> list[Token]:
    return [c for c in tree.children if isinstance(c, Token) and (kind is None or c.type == kind)]


def _name(node: Tree | Token) -> str:
    """A ``name`` (plain or backquoted) or ``oname`` (plain or quoted) or token."""
    if isinstance(node, Tree):
        (node,) = node.children  # type: ignore[assignment]
    text = str(node)
    if node.type == "ESCAPED_NAME":
        return text[1:-1]
    if node.type == "STRING":
        return json.loads(text)
    return text


_LOC = re.compile(r"loc\((?P<owner>.*), (?P<field>[^,]*) line (?P<line>\d+), col (?P<col>\d+)\)")


def _loc(node: Tree) -> SourceSpan | None:
    """The ``loc(...)`` of a statement or declaration (``--debuginfo``), as a span."""
    for tok in _tokens(node, "LOC"):
        m = _LOC.fullmatch(str(tok))
        if m is not None:
            col = int(m["col"])
            return SourceSpan(SourceText(m["owner"], m["field"], ""), int(m["line"]), col, col + 1)
    return None


def _enum(src: _Source, enum: type, tok: Token, what: str, by_name: bool = False):
    text = str(tok)
    for member in enum:
        if (member.name.lower() if by_name else member.value) == text:
            return member
    choices = [m.name.lower() if by_name else str(m.value) for m in enum]
    raise src.error(f"unknown {what} '{text}'", tok, f"expected one of: {', '.join(choices)}")


def _number(src: _Source, node: Tree | Token) -> Const:
    if isinstance(node, Tree):
        if node.data == "inf":
            return Const(float("inf"))
        if node.data == "nan":
            return Const(float("nan"))
        if node.data in ("true", "false"):
            return Const(node.data == "true", DType.BOOL)
        raise src.error("a number is expected here", node)
    text = str(node)
    if node.type == "INT" or (node.type == "NEG_NUMBER" and re.fullmatch(r"-\d+", text)):
        return Const(int(text), DType.INT)
    if node.type in ("FLOAT", "NEG_NUMBER"):
        return Const(float(text))
    raise src.error("a number is expected here", node)


def _plain_value(src: _Source, node: Tree | Token) -> object:
    """A connector or distribution argument, or an attribute's initial value."""
    if isinstance(node, Token):
        if node.type == "STRING":
            return json.loads(str(node))
        if node.type in ("NAME", "ESCAPED_NAME"):
            return _name(node)
        return _number(src, node).value
    match node.data:
        case "none":
            return None
        case "true" | "false":
            return node.data == "true"
        case "inf" | "nan":
            return _number(src, node).value
        case "name":
            return _name(node)
        case "distribution":
            return _distribution(src, node)
    raise src.error("a value is expected here", node)


def _keywords(src: _Source, nodes: list[Tree]) -> tuple[tuple[str, object], ...]:
    out = []
    for kw in nodes:
        key, value = kw.children
        out.append((str(key), _plain_value(src, value)))
    return tuple(out)


def _distribution(src: _Source, node: Tree) -> object:
    name = node.children[0]
    cls = getattr(distributions, str(name), None)
    if not (isinstance(cls, type) and issubclass(cls, distributions.RandomDistribution)):
        known = sorted(
            n
            for n, c in vars(distributions).items()
            if isinstance(c, type) and issubclass(c, distributions.RandomDistribution) and c._args
        )
        raise src.error(f"unknown distribution '{name}'", name, f"expected one of: {', '.join(known)}")
    kwargs = dict(_keywords(src, _children(node, "keyword")))
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as e:
        raise src.error(f"cannot build {name}: {e}", node) from None
    except Exception as e:  # a ModelError of the distribution's own checks
        raise src.error(str(e), node) from None


# --------------------------------------------------------------------------------------------------
# expressions and statements


_BINARY = {"add": BinaryOp.ADD, "sub": BinaryOp.SUB, "mul": BinaryOp.MUL, "div": BinaryOp.DIV}
_CMP = {op.value: op for op in CmpOp}
_FUNCS = {f.value: f for f in Func}
_DISTS = {d.value: d for d in Dist}
_CASTS = {t.value: t for t in DType}
_GLOBAL_OPS = {g.value: g for g in GlobalOp}
_REDUCE = {f"reduce_{r.value}": r for r in ReduceOp}
_SCOPES = {"pre": Scope.PRE, "post": Scope.POST, "const": Scope.NETWORK}
_SPIKE_TIMES = {"t_last": Scope.SELF, "t_pre": Scope.PRE, "t_post": Scope.POST}


class _Names:
    """What names mean in one block: the owner's attributes, pre/post attributes, constants, temporaries."""

    def __init__(
        self,
        owner: str,
        own: dict[str, Attribute],
        pre: dict[str, Attribute] | None = None,
        post: dict[str, Attribute] | None = None,
        constants: frozenset[str] = frozenset(),
        loose: dict[str, tuple[DType, Locality]] | None = None,
    ):
        self.owner = owner
        self.scopes = {Scope.SELF: own, Scope.PRE: pre, Scope.POST: post}
        self.constants = constants
        self.loose = loose  # model texts: pre/post names resolve by what the neuron models declare
        self.temps: dict[str, DType] = {}

    def child(self) -> _Names:
        inner = _Names(self.owner, self.scopes[Scope.SELF], self.scopes[Scope.PRE], self.scopes[Scope.POST])
        inner.constants, inner.loose, inner.temps = self.constants, self.loose, dict(self.temps)
        return inner


class _Reader:
    """Builds IR nodes from the parse tree, resolving names against the declarations."""

    def __init__(self, src: _Source):
        self.src = src
        self.module: Module | None = None

    # ---------------------------------------------------------------- expressions
    def expr(self, node: Tree | Token, names: _Names) -> Expr:  # noqa: C901 - one case per node kind
        src = self.src
        if isinstance(node, Token):
            match node.type:
                case "DERIV":
                    return Deriv(str(node)[1:-3])
                case "TEMP":
                    return self.temp(node, names)
            return _number(src, node)
        match node.data:
            case "add" | "sub" | "mul" | "div":
                a, b = node.children
                return Binary(_BINARY[node.data], self.expr(a, names), self.expr(b, names))
            case "pow":
                a, b = node.children
                return Binary(BinaryOp.POW, self.expr(a, names), self.expr(b, names))
            case "neg":
                return Unary(UnaryOp.NEG, self.expr(node.children[0], names))
            case "not_":
                return Unary(UnaryOp.NOT, self.expr(node.children[0], names))
            case "and_" | "or_":
                a, b = node.children
                op = LogicOp.AND if node.data == "and_" else LogicOp.OR
                return Logic(op, self.expr(a, names), self.expr(b, names))
            case "compare":
                a, op, b = node.children
                return Compare(_CMP[str(op)], self.expr(a, names), self.expr(b, names))
            case "true" | "false" | "inf" | "nan":
                return _number(src, node)
            case "temp":
                return self.temp(node.children[0], names)
            case "deriv":
                return Deriv(str(node.children[0])[1:-3])
            case "time":
                return Time()
            case "dt":
                return Dt()
            case "step":
                return Step()
            case "t_last" | "t_pre" | "t_post":
                return SpikeTime(_SPIKE_TIMES[node.data])
            case "var":
                return self.var(node, names)
            case "call":
                return self.call(node, names)
            case "random":
                return self.random(node, names)
            case "scoped_input":
                scope_tok, fn, target = node.children
                if str(fn) != "sum" or str(scope_tok) not in ("pre", "post"):
                    raise src.error(
                        f"unknown '{scope_tok}.{fn}(...)'", node, "write pre.sum(t) or post.sum(t)"
                    )
                return Input(_name(target), _SCOPES[str(scope_tok)])
        raise src.error(f"unexpected {node.data}", node)

    def temp(self, tok: Token, names: _Names) -> Temp:
        name = str(tok)[1:]
        if name not in names.temps:
            raise self.src.error(f"temporary {tok} is used before its let", tok)
        return Temp(name, names.temps[name])

    def scope_of(self, node: Tree) -> tuple[Scope, Tree | Token]:
        """The scope and name node of a ``var`` tree."""
        if len(node.children) == 1:
            return Scope.SELF, node.children[0]
        prefix, name = node.children
        if str(prefix) not in _SCOPES:
            raise self.src.error(f"unknown scope '{prefix}'", prefix, "expected pre., post. or const.")
        return _SCOPES[str(prefix)], name

    def var(self, node: Tree, names: _Names) -> Var:
        scope, name_node = self.scope_of(node)
        name = _name(name_node)
        if scope is Scope.NETWORK:
            if name not in names.constants:
                raise self.src.error(f"unknown constant '{name}'", node, "declare it: constants NAME")
            return Var(name, DType.REAL, Locality.GLOBAL, Scope.NETWORK)
        if scope is Scope.POST and name == G_TARGET and names.loose is not None:
            return Var(name, DType.REAL, Locality.LOCAL, Scope.POST)
        attrs = names.scopes[scope]
        if attrs is None and names.loose is not None:
            dtype, locality = names.loose.get(name, (DType.REAL, Locality.LOCAL))
            return Var(name, dtype, locality, scope)
        attr = (attrs or {}).get(name)
        if attr is None:
            where = names.owner if scope is Scope.SELF else f"the {scope.value}-synaptic population"
            known = sorted(attrs or {})
            hint = f"known: {', '.join(known)}" if known else None
            raise self.src.error(f"'{name}' is not an attribute of {where}", node, hint)
        return Var(name, attr.dtype, attr.locality, scope)

    def args(self, node: Tree, names: _Names) -> tuple[Expr, ...]:
        return tuple(
            self.expr(c, names) for c in node.children[1:] if not isinstance(c, Token) or c.type != "INT"
        )

    def call(self, node: Tree, names: _Names) -> Expr:  # noqa: C901 - one case per special call
        src = self.src
        fn = node.children[0]
        name = str(fn)
        raw = node.children[1:]
        if name in ("sum", *_GLOBAL_OPS) or name == "delayed":
            if len(raw) != 1 or not (isinstance(raw[0], Tree) and raw[0].data == "var"):
                raise src.error(f"{name}(...) takes one name", node)
            scope, name_node = self.scope_of(raw[0])
            if name == "sum":
                if scope is not Scope.SELF:
                    raise src.error("write pre.sum(t) / post.sum(t) for another population's input", node)
                return Input(_name(name_node))
            if name == "delayed":
                var = self.var(raw[0], names)
                return Delayed(var)
            return GlobalOpValue(_GLOBAL_OPS[name], _name(name_node), scope)
        args = tuple(self.expr(c, names) for c in raw)
        arity = None
        result: Expr
        match name:
            case "ite":
                arity = 3
                result = Select(*args) if len(args) == 3 else None  # type: ignore[assignment]
            case "int" | "real" | "bool":
                arity = 1
                result = Cast(_CASTS[name], args[0]) if len(args) == 1 else None  # type: ignore[assignment]
            case "source_due":
                arity = 0
                result = SourceDue()
            case "event_age":
                if len(raw) != 1 or not (isinstance(raw[0], Token) and raw[0].type == "INT"):
                    raise src.error("event_age(n) takes one integer", node)
                return EventAge(int(raw[0]))
            case _ if name in _REDUCE:
                arity = 1
                result = Reduce(_REDUCE[name], args[0]) if len(args) == 1 else None  # type: ignore[assignment]
            case _ if name in _FUNCS:
                func = _FUNCS[name]
                arity = FUNC_INFO[func].arity
                result = Call(func, args)
            case _ if name in _DISTS:
                raise src.error(f"the draw {name}(...) needs its stream: {name}(...)@n", node)
            case _:
                import difflib

                known = [*_FUNCS, "ite", "int", "real", "bool", "sum", "delayed", *_GLOBAL_OPS, *_REDUCE]
                close = difflib.get_close_matches(name, known, n=1)
                hint = f"did you mean '{close[0]}'?" if close else None
                raise src.error(f"unknown function '{name}'", fn, hint)
        if len(args) != arity:
            raise src.error(f"{name} takes {arity} argument(s), got {len(args)}", node)
        return result

    def random(self, node: Tree, names: _Names) -> Random:
        fn, *raw, stream = node.children
        if str(fn) not in _DISTS:
            raise self.src.error(f"unknown distribution '{fn}'", fn, f"expected one of: {', '.join(_DISTS)}")
        dist = _DISTS[str(fn)]
        args = tuple(self.expr(c, names) for c in raw)
        if len(args) != dist.arity:
            raise self.src.error(f"{dist.value} takes {dist.arity} argument(s), got {len(args)}", node)
        return Random(dist, args, int(stream))

    # ---------------------------------------------------------------- statements
    def block(self, node: Tree | None, names: _Names) -> tuple[Stmt, ...]:
        if node is None:
            return ()
        return tuple(self.stmt(s, names) for s in node.children if isinstance(s, Tree))

    def stmt(self, node: Tree, names: _Names) -> Stmt:  # noqa: C901 - one case per statement
        src = self.src
        span = _loc(node)
        kids = [c for c in node.children if not (isinstance(c, Token) and c.type == "LOC")]
        match node.data:
            case "assign":
                target, value = kids
                return Assign(self.var(target, names), self.expr(value, names), span)
            case "let":
                tok, value = kids
                name = str(tok)[1:]
                if name in names.temps:
                    raise src.error(f"temporary {tok} is bound twice", tok)
                built = self.expr(value, names)
                names.temps[name] = built.dtype
                return Let(name, built, span)
            case "ode":
                method, target, lhs, rhs, *guard = kids
                var = self.var(Tree("var", [target]), names)
                g = self.expr(guard[0], names) if guard else None
                m = _enum(src, Method, method, "method")
                return Ode(var, self.expr(lhs, names), self.expr(rhs, names), m, span, g)
            case "clamp":
                target, *bounds = kids
                lo = next((self.expr(b.children[0], names) for b in bounds if b.data == "lo"), None)
                hi = next((self.expr(b.children[0], names) for b in bounds if b.data == "hi"), None)
                return Clamp(self.var(target, names), lo, hi, span)
            case "add_input":
                scope, fn, target, value = kids
                if (str(scope), str(fn)) != ("post", "sum"):
                    raise src.error("only post.sum(t) += ... adds to an input", node)
                return AddInput(_name(target), self.expr(value, names), span)
            case "clear":
                targets = []
                for ref in kids:
                    fn, target = ref.children
                    if str(fn) != "sum":
                        raise src.error("clear takes sum(t), ...", fn)
                    targets.append(_name(target))
                return ClearInputs(tuple(targets))
            case "compute":
                op, var = kids
                return ComputeGlobalOp(_enum(src, GlobalOp, op, "global operation"), _name(var))
            case "push":
                word, *vars_ = kids
                if str(word) != "delayed":
                    raise src.error("write 'push delayed NAME, ...'", word)
                return PushDelayed(tuple(_name(v) for v in vars_))
            case "timed":
                word, var = kids
                if str(word) != "step":
                    raise src.error("write 'timed step NAME'", word)
                return TimedStep(_name(var))
            case "spike":
                cond, refractory, *_rest = kids
                reset = self.block(_child(node, "block"), names)
                axon = _child(node, "axon_spike")
                axon_cond, axon_reset = None, ()
                if axon is not None:
                    axon_cond = self.expr(axon.children[0], names)
                    axon_reset = self.block(_child(axon, "block"), names)
                return Spike(
                    self.expr(cond, names), reset, self.expr(refractory, names), axon_cond, axon_reset
                )
            case "for_each":
                domain = _enum(src, Domain, kids[0], "loop domain")
                return ForEach(domain, self.block(_child(node, "block"), names))
            case "for_dendrite":
                return self.for_dendrite(node, kids, names)
        raise src.error(f"unexpected statement {node.data}", node)

    def for_dendrite(self, node: Tree, kids: list, names: _Names) -> ForDendrite:
        src = self.src
        word, proj_name = kids[0], kids[1]
        if str(word) != "dendrite":
            raise src.error("write 'for dendrite of PROJECTION:'", word)
        m = self.module
        name = _name(proj_name)
        found = [p for p in (m.projections if m is not None else ()) if p.name == name]
        if len(found) != 1:
            raise src.error(f"'{name}' is not a projection of this module", proj_name)
        inner = self.projection_names(found[0])
        inner.temps = {}  # a fused dendrite does not see the enclosing temporaries
        body = self.block(_child(node, "block"), inner)
        names.temps.update(inner.temps)  # but its temporaries are numbered with the kernel's
        return ForDendrite(found[0].id, body)

    # ---------------------------------------------------------------- declarations
    def attribute(self, node: Tree, names: _Names | None) -> Attribute:
        src = self.src
        kind, name, dtype, locality, *rest = [
            c for c in node.children if not (isinstance(c, Token) and c.type == "LOC")
        ]
        attr_kind = _enum(src, AttrKind, kind, "attribute kind")
        dt = _enum(src, DType, dtype, "type")
        loc = _enum(src, Locality, locality, "locality")
        init: object = None
        lo = hi = None
        for item in rest:
            if isinstance(item, Tree) and item.data == "lo":
                lo = item.children[0]
            elif isinstance(item, Tree) and item.data == "hi":
                hi = item.children[0]
            else:
                init = _plain_value(src, item)
        attr = Attribute(_name(name), dt, loc, attr_kind, init, span=_loc(node))
        if names is not None and (lo is not None or hi is not None):
            lo_e = self.expr(lo, names) if lo is not None else None
            hi_e = self.expr(hi, names) if hi is not None else None
            attr = replace(attr, lo=lo_e, hi=hi_e)
        return attr

    def attributes(self, nodes: list[Tree], owner: str, names_for: object = None) -> tuple[Attribute, ...]:
        """Attributes; bounds are read once every attribute of the owner is known (they may name them)."""
        plain = [self.attribute(n, None) for n in nodes]
        seen: set[str] = set()
        for a, n in zip(plain, nodes, strict=True):
            if a.name in seen:
                raise self.src.error(f"attribute '{a.name}' of {owner} is declared twice", n)
            seen.add(a.name)
        if not any(_child(n, "lo") or _child(n, "hi") for n in nodes):
            return tuple(plain)
        names = names_for(plain) if callable(names_for) else _Names(owner, {a.name: a for a in plain})
        return tuple(self.attribute(n, names) for n in nodes)

    def projection_names(self, p: ProjectionDecl) -> _Names:
        m = self.module
        assert m is not None
        pops = m.populations
        return _Names(
            f"projection {p.name}",
            {a.name: a for a in p.attributes},
            {a.name: a for a in pops[p.pre].attributes},
            {a.name: a for a in pops[p.post].attributes},
            frozenset(m.constants),
        )

    def population(self, node: Tree, index: int) -> PopulationDecl:
        src = self.src
        toks = _tokens(node)
        pid, kind = toks[0], [t for t in toks if t.type == "NAME"][-1]
        if int(pid) != index:
            raise src.error(
                f"population #{pid} is declared as the population #{index}", pid, "number them 0, 1, ..."
            )
        name = _name(node.children[1])
        geometry = tuple(int(t) for t in toks[1:] if t.type == "INT")
        targets = _child(node, "targets")
        delayed = _child(node, "delayed")
        block = _child(node, "attributes")
        attrs = self.attributes(_children(block, "attribute") if block else [], f"population {name}")
        return PopulationDecl(
            index,
            name,
            geometry,
            _enum(src, NeuronKind, kind, "neuron kind"),
            attrs,
            self.names_list(targets.children[0]) if targets else (),
            self.names_list(delayed.children[0]) if delayed else (),
        )

    @staticmethod
    def names_list(node: Tree) -> tuple[str, ...]:
        return tuple(_name(c) for c in node.children if isinstance(c, Tree))

    def population_id(self, node: Tree, pops: tuple[PopulationDecl, ...]) -> int:
        name = _name(node)
        found = [p.id for p in pops if p.name == name]
        if len(found) != 1:
            known = ", ".join(p.name for p in pops)
            what = "is not a population of this module" if not found else "names several populations"
            raise self.src.error(f"'{name}' {what}", node, f"populations: {known}" if known else None)
        return found[0]

    def projection(self, node: Tree, index: int, pops: tuple[PopulationDecl, ...]) -> ProjectionDecl:
        src = self.src
        pid = node.children[0]
        if int(pid) != index:
            raise src.error(
                f"projection #{pid} is declared as the projection #{index}", pid, "number them 0, 1, ..."
            )
        name = _name(node.children[1])
        pre, post = (self.population_id(node.children[i], pops) for i in (2, 3))
        targets = self.names_list(_child(node, "names"))  # type: ignore[arg-type]
        op_tok = next(c for c in node.children if isinstance(c, Token) and c.type == "NAME")
        decl = ProjectionDecl(
            index, name, pre, post, targets, (), operation=_enum(src, ReduceOp, op_tok, "operation")
        )
        decl = self.projection_flags(node, decl)
        body = _child(node, "proj_body")
        if body is None:
            return decl
        conn = _child(body, "connectivity")
        if conn is not None:
            decl = replace(decl, stats=self.stats(conn))
        fmt = _child(body, "format")
        if fmt is not None:
            decl = self.format(fmt, decl)
        connect = _child(body, "connect")
        if connect is not None:
            kind = connect.children[0]
            decl = replace(
                decl, connect=ConnectorRef(str(kind), _keywords(src, _children(connect, "keyword")))
            )
        m = self.module
        assert m is not None

        def names_for(plain: list[Attribute]) -> _Names:
            own = {a.name: a for a in plain}
            return _Names(
                f"projection {name}",
                own,
                {a.name: a for a in pops[pre].attributes},
                {a.name: a for a in pops[post].attributes},
                frozenset(m.constants),
            )

        attrs = self.attributes(_children(body, "attribute"), f"projection {name}", names_for)
        return replace(decl, attributes=attrs)

    def projection_flags(self, node: Tree, decl: ProjectionDecl) -> ProjectionDecl:
        """The flags of a projection header: ``delay=``, ``hint=``, ``current``, ``decoding``, ``specific``,
        ``dynamic``, ``shares=``, ``post_writes=`` and a stencil."""
        src = self.src
        for flag in node.children:
            if not isinstance(flag, Tree):
                continue
            match flag.data:
                case "delay":
                    decl = replace(decl, delay=_enum(src, DelayKind, flag.children[0], "delay kind"))
                case "hint":
                    decl = replace(decl, format_hint=_enum(src, Format, flag.children[0], "format"))
                case "current":
                    decl = replace(decl, current=True)
                case "decoding":
                    decl = replace(decl, decoding=True)
                case "specific":
                    decl = replace(decl, specific=True)
                case "dynamic":
                    decl = replace(decl, dynamic=True)
                case "shares":
                    self._shares[decl.id] = flag.children[0]
                case "post_writes":
                    decl = replace(decl, post_writes=self.names_list(flag.children[0]))
                case "stencil":
                    decl = replace(decl, stencil=self.stencil(flag))
        return decl

    def resolve_shares(self, projs: tuple[ProjectionDecl, ...]) -> tuple[ProjectionDecl, ...]:
        """``shares=<projection>`` of copies and transposed projections, by name."""
        out = list(projs)
        for pid, node in self._shares.items():
            name = _name(node)
            found = [p.id for p in projs if p.name == name and p.id != pid]
            if len(found) != 1:
                what = "is not a projection of this module" if not found else "names several projections"
                raise self.src.error(f"shares: '{name}' {what}", node)
            out[pid] = replace(out[pid], shares=found[0])
        return tuple(out)

    def stats(self, node: Tree) -> ConnectivityStats:
        ints = [int(t) for t in _tokens(node, "INT")]
        n_pre, n_post, n_dend, n_syn, lo, hi = ints[:6]
        contiguous = _child(node, "contiguous") is not None
        holes: Holes | None = Holes.NONE if contiguous else None
        explicit = _child(node, "conn_holes")
        if explicit is not None:
            tok = explicit.children[0]
            holes = None if str(tok) == "unset" else _enum(self.src, Holes, tok, "holes")
        box = _child(node, "conn_box")
        return ConnectivityStats(
            n_pre, n_post, n_dend, n_syn, lo, hi, contiguous, holes, int(box.children[0]) if box else 0
        )

    def format(self, node: Tree, decl: ProjectionDecl) -> ProjectionDecl:
        src = self.src
        fmt = _enum(src, Format, node.children[0], "format")
        holes = _child(node, "format_holes")
        mirror = _child(node, "mirror")
        reason = _tokens(node, "REASON")
        return replace(
            decl,
            format=fmt,
            holes=_enum(src, Holes, holes.children[0], "holes") if holes else Holes.NONE,
            mirrored=self.names_list(mirror.children[0]) if mirror else (),
            format_reason=str(reason[0])[2:].strip() if reason else "",
        )

    def stencil(self, node: Tree) -> Stencil:
        """`` extent=(3, 3) origin=(-1, -1) padding=value(0.0)`` of a stencil projection's header."""
        extent, origin = (tuple(int(str(t)) for t in tup.children) for tup in _children(node, "int_tuple"))
        pad_tok = _tokens(node, "NAME")[0]
        padding = _enum(self.src, Padding, pad_tok, "padding")
        numbers = [c for c in node.children if not isinstance(c, Tree) and c is not pad_tok]
        value = float(_number(self.src, numbers[0]).value) if numbers else 0.0
        return Stencil(extent, origin, padding, value)

    def kernel(self, node: Tree) -> Kernel:
        src = self.src
        m = self.module
        assert m is not None
        kname = _child(node, "kname")
        name = self.kname(kname)  # type: ignore[arg-type]
        phase_tok = node.children[1]
        phase = _enum(src, Phase, phase_tok, "phase", by_name=True)
        owner_node = _child(node, "owner")
        if owner_node is not None:
            kind_tok, id_tok = owner_node.children
            kind = _enum(src, ObjKind, kind_tok, "owner kind")
            objects = m.populations if kind is ObjKind.POPULATION else m.projections
            if not 0 <= int(id_tok) < len(objects):
                raise src.error(f"there is no {kind.value} #{id_tok}", id_tok)
            owner = (kind, int(id_tok))
        else:
            found = implied_owner(m, name, phase)
            if found is None:
                raise src.error(
                    f"the owner of kernel '{name}' is not implied by its name",
                    kname,
                    "name it <population or projection>.<what> or add owner=population #N",
                )
            owner = found
        fused = _child(node, "fused")
        fused_names = tuple(self.kname(k) for k in _children(fused, "kname")) if fused else ()
        body_node = _child(node, "kernel_body")
        notes: list[str] = []
        body: list[Stmt] = []
        if body_node is not None:
            kind, oid = owner
            if kind is ObjKind.POPULATION:
                pop = m.populations[oid]
                names = _Names(
                    f"population {pop.name}",
                    {a.name: a for a in pop.attributes},
                    constants=frozenset(m.constants),
                )
            else:
                names = self.projection_names(m.projections[oid])
            for c in body_node.children:
                if isinstance(c, Token) and c.type == "NOTE":
                    notes.append(str(c)[len("// not fused: ") :])
                elif isinstance(c, Tree):
                    body.append(self.stmt(c, names))
        return Kernel(name, phase, owner[0], owner[1], tuple(body), fused_names, tuple(notes))

    @staticmethod
    def kname(node: Tree) -> str:
        toks = _tokens(node)
        if toks and toks[0].type == "STRING":
            return json.loads(str(toks[0]))
        return ".".join(str(t) for t in toks)

    def module_(self, node: Tree) -> Module:
        src = self.src
        name = _name(node.children[0])
        precision = _enum(src, Precision, node.children[1], "precision")
        dt_const = _number(src, node.children[2])
        if dt_const.dtype is DType.BOOL or not dt_const.value > 0:
            raise src.error("dt must be a positive number of ms", node.children[2])
        constants: list[str] = []
        values: list[tuple[str, float]] = []
        block = _child(node, "constants")
        for c in _children(block, "constant") if block else ():
            cname = _name(c.children[0])
            if cname in constants:
                raise src.error(f"constant '{cname}' is declared twice", c)
            constants.append(cname)
            if len(c.children) > 1:
                values.append((cname, float(_number(src, c.children[-1]).value)))
        self.module = Module(
            name,
            precision,
            float(dt_const.value),
            (),
            constants=tuple(constants),
            constant_values=tuple(values),
        )
        pops = tuple(self.population(p, i) for i, p in enumerate(_children(node, "population")))
        self.module = replace(self.module, populations=pops)
        self._shares: dict[int, Tree] = {}
        projs = tuple(self.projection(p, i, pops) for i, p in enumerate(_children(node, "projection")))
        projs = self.resolve_shares(projs)
        self.module = replace(self.module, projections=projs)
        kernels = tuple(self.kernel(k) for k in _children(node, "kernel"))
        self.module = replace(self.module, kernels=kernels)
        return self.module

    # ---------------------------------------------------------------- analysed models
    def model(
        self, node: Tree, loose: dict[str, tuple[DType, Locality]]
    ) -> tuple[str, NeuronModel | SynapseModel]:
        src = self.src
        kind_node, name_node, kind_tok, *rest = node.children
        op = _child(node, "model_op")
        of_tokens = [c for c in rest if isinstance(c, Token) and c.type == "NAME"]
        owner_kind = str(of_tokens[-1])
        onames = _children(node, "oname")
        owner = f"{owner_kind} {_name(onames[-1])}"
        body = _child(node, "model_body")
        attr_nodes = _children(body, "attribute") if body else []
        name = _name(name_node)
        kind = _enum(src, NeuronKind, kind_tok, "neuron kind")
        neuron = kind_node.data == "neuron"

        def names_for(plain: list[Attribute]) -> _Names:
            return _Names(owner, {a.name: a for a in plain}, loose=None if neuron else loose)

        attrs = self.attributes(attr_nodes, owner, names_for)
        names = names_for(list(attrs))
        fields: dict[str, object] = {}
        for f in [
            c for c in (body.children if body else []) if isinstance(c, Tree) and c.data.startswith("field")
        ]:
            label = (
                "spike"
                if f.data == "field_spike"
                else "axon_spike"
                if f.data == "field_axon_spike"
                else str(f.children[0])
            )
            fields[label] = f
        if neuron:
            spike = self.field_expr(fields.pop("spike", None), names)
            axon = self.field_expr(fields.pop("axon_spike", None), names)
            refr = fields.pop("refractory", None)
            model: NeuronModel | SynapseModel = NeuronModel(
                name,
                kind,
                attrs,
                self.field_block(fields.pop("equations", None), names),
                spike=spike,
                reset=self.field_block(fields.pop("reset", None), names),
                axon_spike=axon,
                axon_reset=self.field_block(fields.pop("axon_reset", None), names),
                refractory=self.refractory(refr),
            )
        else:
            operation = _enum(src, ReduceOp, op.children[0], "operation") if op else ReduceOp.SUM
            model = SynapseModel(
                name,
                attrs,
                self.field_block(fields.pop("equations", None), names),
                psp=self.field_expr(fields.pop("psp", None), names),
                operation=operation,
                pre_spike=self.field_block(fields.pop("pre_spike", None), names),
                post_spike=self.field_block(fields.pop("post_spike", None), names),
                pre_axon_spike=self.field_block(fields.pop("pre_axon_spike", None), names),
                kind=kind,
                creating=self.rule(fields.pop("creating", None), names),
                pruning=self.rule(fields.pop("pruning", None), names),
            )
        for label, f in fields.items():
            raise src.error(f"unknown field '{label}' of a {kind_node.data} model", f)
        return owner, model

    def field_expr(self, node: object, names: _Names) -> Expr | None:
        if node is None:
            return None
        assert isinstance(node, Tree)
        value = node.children[-1] if node.data != "field_expr" else node.children[1]
        return self.expr(value, names)

    def field_block(self, node: object, names: _Names) -> tuple[Stmt, ...]:
        if node is None:
            return ()
        assert isinstance(node, Tree)
        if node.data != "field_block":
            raise self.src.error("this field holds statements: write them on indented lines", node)
        return self.block(_child(node, "block"), names.child())

    def refractory(self, node: object) -> float | str | None:
        if node is None:
            return None
        assert isinstance(node, Tree)
        value = node.children[1]
        if isinstance(value, Token) and value.type == "SQSTRING":
            return str(value)[1:-1]
        const = self.expr(value, _Names("", {}))
        return const.value if isinstance(const, Const) else None  # type: ignore[return-value]

    def rule(self, node: object, names: _Names) -> StructuralRule | None:
        if node is None:
            return None
        assert isinstance(node, Tree)
        cond = self.expr(node.children[1], names)
        proba = _child(node, "proba")
        return StructuralRule(cond, float(_number(self.src, proba.children[0]).value) if proba else 1.0)


# --------------------------------------------------------------------------------------------------
# entry points


def parse_module(text: str, source: str = "<text>") -> Module:
    """Read a module printed by :func:`nnc.ir.printer.print_module` (``source`` names it in errors)."""
    src, tree = _parse_tree(text, source)
    (top,) = tree.children
    if top.data != "module":
        raise src.error("this text holds analysed models (--stage parse), not a module", top)
    return _Reader(src).module_(top)


def parse_models(text: str, source: str = "<text>") -> tuple[tuple[str, NeuronModel | SynapseModel], ...]:
    """Read the analysed models printed by ``nnc dump-ir --stage parse``: ``(owner, model)`` pairs, the
    owner as ``"population NAME"`` / ``"projection NAME"``."""
    src, tree = _parse_tree(text, source)
    models = _children(tree, "model")
    if not models:
        raise src.error("this text holds a module, not analysed models", tree.children[0])
    reader = _Reader(src)
    declared: dict[str, set[tuple[DType, Locality]]] = {}
    for m in models:
        if m.children[0].data == "neuron":
            body = _child(m, "model_body")
            for a in _children(body, "attribute") if body else []:
                attr = reader.attribute(a, None)
                declared.setdefault(attr.name, set()).add((attr.dtype, attr.locality))
    loose = {n: next(iter(k)) for n, k in declared.items() if len(k) == 1}
    return tuple(reader.model(m, loose) for m in models)


def read_module(path: str | Path) -> Module:
    """The module in the file ``path``."""
    p = Path(path)
    return parse_module(p.read_text(), str(p))


def canonical_temps(m: Module) -> Module:
    """``m`` with the temporaries of each kernel renamed ``0``, ``1`` ... in program order, as the printer
    numbers them (so that ``parse_module(print_module(m)) == canonical_temps(m)``)."""
    return replace(m, kernels=tuple(_canonical_kernel(k) for k in m.kernels))


def _canonical_kernel(k: Kernel) -> Kernel:
    order: dict[str, str] = {}
    for s in walk_stmts(k.body):
        if isinstance(s, Let) and s.name not in order:
            order[s.name] = str(len(order))
    if all(k_ == v for k_, v in order.items()):
        return k

    def rename_expr(e: Expr) -> Expr:
        return rewrite(
            e, lambda n: replace(n, name=order.get(n.name, n.name)) if isinstance(n, Temp) else None
        )

    def rename(body: tuple[Stmt, ...]) -> tuple[Stmt, ...]:
        out = []
        for s in body:
            s = map_exprs(s, rename_expr) if not isinstance(s, ForEach | ForDendrite | Spike) else s
            match s:
                case Let():
                    s = replace(s, name=order.get(s.name, s.name))
                case ForEach() | ForDendrite():
                    s = replace(s, body=rename(s.body))
                case Spike():
                    s = replace(
                        s,
                        cond=rename_expr(s.cond),
                        refractory=rename_expr(s.refractory),
                        axon_cond=None if s.axon_cond is None else rename_expr(s.axon_cond),
                        reset=rename(s.reset),
                        axon_reset=rename(s.axon_reset),
                    )
            out.append(s)
        return tuple(out)

    return replace(k, body=rename(k.body))
