"""Field preprocessing (DSL.md §1-2): a field's text becomes statements and flag lists.

Every character of a statement keeps its (line, col) in the field as the user wrote it, so errors found
later (by the parser or by name resolution) point into the user's text, even across continuation lines.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from numbers import Integral, Real

import numpy as np

from nnc.descriptions.models import LOCALITY_ALIASES, TYPE_ALIASES, Variable
from nnc.diagnostics import DslSyntaxError, SourceSpan, SourceText

#: Bare flag words and ``key=value`` flag names of statements (DSL.md §2 "Flag keywords").
EQUATION_WORDS = frozenset(
    {
        "population", "postsynaptic", "projection", "explicit", "implicit", "semiimplicit",
        "exponential", "midpoint", "rk4", "runge-kutta4", "exact", "event-driven",
        "unless_refractory", "int", "bool", "float", "unless_post",
    }
)  # fmt: skip
EQUATION_KEYS = frozenset({"init", "min", "max"})


@dataclass(frozen=True, slots=True)
class FieldRules:
    """How one kind of field is split: continuation lines, and which flag lists it recognises."""

    continuation: bool
    words: frozenset[str] = frozenset()
    keys: frozenset[str] = frozenset()


#: equations, reset, pre_spike, post_spike, pre_axon_spike (DSL.md §2 "Continuation")
EQUATIONS = FieldRules(True, EQUATION_WORDS, EQUATION_KEYS)
#: legacy string parameters: one statement per line
PARAMETERS = FieldRules(False, EQUATION_WORDS, EQUATION_KEYS)
#: one-line functions with an optional type list
FUNCTIONS = FieldRules(True, frozenset({"float", "double", "int", "bool"}))
#: spike / axon_spike conditions and psp: no flags
CONDITION = FieldRules(False)
#: creating / pruning conditions in the legacy string form ``cond : proba=0.5, w=1.0``
STRUCTURAL = FieldRules(False, frozenset(), frozenset({"proba", "w", "d"}))
#: stop conditions ``expr : any|all``
STOP = FieldRules(False, frozenset({"any", "all"}))


@dataclass(frozen=True, slots=True)
class Fragment:
    """A piece of text cut out of a field; ``pos[i]`` is the (line, col) of character ``i``."""

    text: str
    pos: tuple[tuple[int, int], ...]
    source: SourceText
    end: tuple[int, int] = (1, 1)

    def at(self, index: int) -> tuple[int, int]:
        """Position of character ``index`` (the end position past the last character)."""
        return self.pos[index] if 0 <= index < len(self.pos) else self.end

    def span(self, start: int = 0, stop: int | None = None) -> SourceSpan:
        """Span of characters ``[start, stop)``, cut at the end of the first physical line."""
        stop = len(self.text) if stop is None else stop
        line, col = self.at(start)
        end_col = col + 1
        if stop > start:
            last_line, last_col = self.at(stop - 1)
            end_col = last_col + 1 if last_line == line else len(self.source.line(line)) + 1
        return SourceSpan(self.source, line, col, max(end_col, col + 1))

    def cut(self, start: int, stop: int | None = None) -> Fragment:
        """The sub-fragment ``[start, stop)``, whitespace around it removed."""
        stop = len(self.text) if stop is None else stop
        while start < stop and self.text[start].isspace():
            start += 1
        while stop > start and self.text[stop - 1].isspace():
            stop -= 1
        return Fragment(self.text[start:stop], self.pos[start:stop], self.source, self.at(stop))

    def __add__(self, other: Fragment) -> Fragment:
        """Join two fragments with one space (continuation lines, DSL.md §2)."""
        gap = (self.end,)
        return Fragment(self.text + " " + other.text, self.pos + gap + other.pos, self.source, other.end)


@dataclass(frozen=True, slots=True)
class Flag:
    """One flag item: a bare word (``value`` None) or ``key=value``.

    ``given`` holds a Python object passed through a ``Variable`` field (e.g. ``init=Uniform(0, 1)``);
    it is empty when the flag came from text.
    """

    key: str
    value: Fragment | None
    span: SourceSpan
    given: tuple[object, ...] = field(default=(), compare=False)


@dataclass(frozen=True, slots=True)
class Statement:
    """One statement of a field: its text (continuation lines joined) and its flags."""

    body: Fragment
    flags: tuple[Flag, ...] = ()

    @property
    def span(self) -> SourceSpan:
        """Span of the statement's text."""
        return self.body.span()

    def flag(self, key: str) -> Flag | None:
        """The last flag called ``key``, or None."""
        return next((f for f in reversed(self.flags) if f.key == key), None)


# --------------------------------------------------------------------------------------------------
# rendering of fields given as lists / Variable objects


@dataclass(frozen=True, slots=True)
class FieldText:
    """A field joined into one text, with the Python objects of ``Variable`` flags by line."""

    source: SourceText
    given: dict[tuple[int, str], object]


def _render_value(value: object) -> str:
    name = getattr(value, "name", None)
    match value:
        case float() if isinstance(name, str):  # a Constant
            return name
        case str():
            return value
        case bool() | np.bool_():
            return str(bool(value))
        case Integral():
            return str(int(value))
        case Real():
            return repr(float(value))
    return repr(value)


def render_variable(var: Variable, synapse: bool) -> tuple[str, dict[str, object]]:
    """``equation : flags`` text of a ``Variable``, and its flag values that are Python objects."""
    flags: list[str] = []
    objects: dict[str, object] = {}
    for key in ("init", "min", "max"):
        value = getattr(var, key)
        if value is None:
            continue
        flags.append(f"{key}={_render_value(value)}")
        if key == "init" and not isinstance(value, str | Real | np.bool_):
            objects[key] = value
    if var.method:
        flags.append(var.method)
    match LOCALITY_ALIASES[var.locality]:
        case "global":
            flags.append("projection" if synapse else "population")
        case "semiglobal":
            flags.append("postsynaptic")
    if TYPE_ALIASES[var.type] != "float":
        flags.append(TYPE_ALIASES[var.type])
    text = var.equation.rstrip()
    head, newline, last = text.rpartition("\n")
    last = last.split("#", 1)[0].rstrip()  # the flags must not end up inside a comment
    text = head + newline + last
    if not flags:
        return text, objects
    # flags written in the equation and given as fields form one list (a repeated flag is then reported)
    colon = last.rfind(":")
    joiner = ", " if colon >= 0 and _is_flag_list(last[colon + 1 :], EQUATIONS) else " : "
    return f"{text}{joiner}{', '.join(flags)}", objects


def join_field(value: object, owner: str, name: str, synapse: bool = False) -> FieldText:
    """Join a field given as str / list / Variable into one text (DSL.md §1)."""
    items = list(value) if isinstance(value, list | tuple) else [value]
    lines: list[str] = []
    given: dict[tuple[int, str], object] = {}
    for item in items:
        match item:
            case None:
                continue
            case str():
                lines.append(item)
            case Variable():
                text, objects = render_variable(item, synapse)
                lines.append(text)
                last_line = sum(s.count("\n") + 1 for s in lines)
                for key, obj in objects.items():
                    given[(last_line, key)] = obj
            case _:
                raise DslSyntaxError(
                    f"{owner}: the field '{name}' must be a string, a list of strings or Variable objects, "
                    f"not {type(item).__name__}",
                    None,
                    "write the equations as text, one statement per line",
                )
    return FieldText(SourceText(owner, name, "\n".join(lines)), given)


# --------------------------------------------------------------------------------------------------
# splitting


def _line_fragment(source: SourceText, lineno: int, text: str) -> Fragment:
    pos = tuple((lineno, c + 1) for c in range(len(text)))
    return Fragment(text, pos, source, (lineno, len(text) + 1))


def top_level_split(text: str, sep: str) -> list[tuple[int, int]]:
    """``[start, stop)`` ranges of ``text`` split on ``sep`` outside parentheses."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == sep and depth == 0:
            parts.append((start, i))
            start = i + 1
    parts.append((start, len(text)))
    return parts


def assignment_ops(text: str) -> list[tuple[int, int]]:
    """``[start, stop)`` of every top-level assignment operator (``=``, ``+=``, ``-=``, ``*=``, ``/=``)."""
    found, depth = [], 0
    for i, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "=" and depth == 0:
            prev = text[i - 1] if i > 0 else ""
            nxt = text[i + 1] if i + 1 < len(text) else ""
            if nxt == "=" or prev in "<>!=":
                continue
            start = i - 1 if prev in "+-*/" else i
            found.append((start, i + 1))
    return found


def _flag_key(item: str) -> str:
    key, _, _ = item.partition("=")
    return key.strip()


def _is_flag_list(text: str, rules: FieldRules) -> bool:
    for start, stop in top_level_split(text, ","):
        item = text[start:stop].strip()
        if item in rules.words or ("=" in item and _flag_key(item) in rules.keys):
            return True
    return False


def _parse_flags(frag: Fragment, rules: FieldRules, given: dict[tuple[int, str], object]) -> tuple[Flag, ...]:
    flags: list[Flag] = []
    for start, stop in top_level_split(frag.text, ","):
        item = frag.cut(start, stop)
        if not item.text:
            raise DslSyntaxError("empty flag", frag.span(start, stop + 1), "remove the extra ','")
        key_text, eq, _ = item.text.partition("=")
        key = key_text.strip()
        value = item.cut(len(key_text) + 1) if eq else None
        known = key in rules.keys if eq else key in rules.words
        if not known:
            raise DslSyntaxError(f"unknown flag '{item.text}'", item.span(), _flag_hint(key, rules))
        if eq and value is not None and not value.text:
            raise DslSyntaxError(f"the flag '{key}' needs a value", item.span(), f"write {key}=<value>")
        if eq and any(f.key == key for f in flags):  # bare words may repeat (function type lists)
            raise DslSyntaxError(f"the flag '{key}' is given twice", item.span(), "keep one of them")
        obj = given.get((item.at(0)[0], key), _MISSING)
        flags.append(Flag(key, value, item.span(), () if obj is _MISSING else (obj,)))
    return tuple(flags)


_MISSING = object()


def _flag_hint(key: str, rules: FieldRules) -> str:
    import difflib

    choices = sorted(rules.words | rules.keys)
    close = difflib.get_close_matches(key, choices, n=1)
    if close:
        return f"did you mean '{close[0]}'?"
    return "known flags: " + ", ".join(choices) if choices else "this field takes no flags"


def _split_flags(piece: Fragment, rules: FieldRules, given: dict) -> tuple[Fragment, tuple[Flag, ...]]:
    colon = piece.text.rfind(":")
    if colon < 0 or not (rules.words or rules.keys):
        return piece, ()
    tail = piece.cut(colon + 1)
    if not _is_flag_list(tail.text, rules):
        return piece, ()
    return piece.cut(0, colon), _parse_flags(tail, rules, given)


def _pieces(field_text: FieldText) -> list[Fragment]:
    """Non-empty statements of the field: comments removed, split on newlines and ';'."""
    src = field_text.source
    out: list[Fragment] = []
    for lineno, raw in enumerate(src.text.split("\n"), start=1):
        line = _line_fragment(src, lineno, raw.split("#", 1)[0])
        for start, stop in _semicolon_split(line.text):
            piece = line.cut(start, stop)
            if piece.text:
                out.append(piece)
    return out


def _semicolon_split(text: str) -> list[tuple[int, int]]:
    bounds, start = [], 0
    for i, ch in enumerate(text):
        if ch == ";":
            bounds.append((start, i))
            start = i + 1
    bounds.append((start, len(text)))
    return bounds


def split_field(field_text: FieldText, rules: FieldRules) -> tuple[Statement, ...]:
    """Statements of a joined field (DSL.md §2): flags split off, continuation lines joined."""
    statements: list[Statement] = []
    for piece in _pieces(field_text):
        body, flags = _split_flags(piece, rules, field_text.given)
        if rules.continuation and not assignment_ops(body.text):
            if not statements:
                raise DslSyntaxError(
                    f"No variable name can be found in '{body.text}'",
                    body.span(),
                    "a statement must assign a variable (x = ..., dx/dt = ...); "
                    "a line without '=' continues the previous statement",
                )
            prev = statements[-1]
            body = prev.body + body if body.text else prev.body
            statements[-1] = Statement(body, prev.flags + flags)
            continue
        statements.append(Statement(body, flags))
    return tuple(statements)


def statements(
    value: object, owner: str, name: str, rules: FieldRules, synapse: bool = False
) -> tuple[Statement, ...]:
    """Shortcut: join a field given as str / list / Variable and split it into statements."""
    return split_field(join_field(value, owner, name, synapse), rules)
