"""Statement text -> Lark tree with the equation grammar; the only module that sees Lark's errors.

The LALR parser is built once, on first use. Every Lark error is re-raised as a
:class:`~nnc.diagnostics.DslSyntaxError` located in the user's text, with a hint taken from a table of
known mistakes (Lark's ``match_examples``) where one applies.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from nnc.diagnostics import DslSyntaxError
from nnc.frontend.text import Fragment

__all__ = ["START_RULES", "Token", "Tree", "parse"]

#: Start rules of the grammar: a variable update, one expression, a one-line function.
START_RULES = ("equation", "expression", "function_def")

_GRAMMAR = Path(__file__).with_name("equations.lark")
_IF = re.compile(r"\bif\b")

#: Known mistakes, by start rule: hint -> statements that fail the same way (DSL.md §7, §15).
_EXAMPLES: dict[str, dict[str, list[str]]] = {
    "equation": {
        "every 'if COND:' needs a matching 'else:' (Conditional statements must use both : and else)": [
            "x = if a: b",
            "x = if a > 0: b",
            "x = if a: if b: c else: d",
        ],
        "write 'if COND: A else: B' (Conditional statements must use both : and else)": [
            "x = if a b else: c",
            "x = if a: b else c",
            "x = if a > 0 b else: c",
        ],
        "a block conditional must be the whole right-hand side "
        "(The right term must directly start with a if statement); use ite(cond, a, b) inside expressions": [
            "x = 1 + if a: b else: c",
            "x = (if a: b else: c)",
            "x = a * if",
        ],
        "an operand is missing around an operator": [
            "x = a +",
            "x = a *",
            "x = * a",
            "x = a + * b",
            "x = a and",
            "x = a <",
        ],
        "two operands follow each other without an operator": ["x = a b", "x = 2 a", "x = a (b)"],
        "comparisons cannot be chained: write (a < b) and (b < c)": ["x = a < b < c", "x = a == b == c"],
        "only one assignment operator is allowed per equation": ["x = a = b", "x = a += b"],
        "the left-hand side must be a variable name or contain d<name>/dt": ["= a"],
    },
    "expression": {
        "an operand is missing around an operator": ["a +", "a *", "* a", "a and"],
        "two operands follow each other without an operator": ["a b", "2 a"],
        "comparisons cannot be chained: write (a < b) and (b < c)": ["a < b < c"],
        "an expression is expected here, not an assignment": ["a = b", "a += b"],
    },
    "function_def": {
        "a function is written name(arg1, arg2) = expression": ["f = x", "f(x + 1) = x", "f(x) x"],
    },
}


@lru_cache(maxsize=1)
def _parser() -> Lark:
    # cache=True keeps Lark's analysed LALR tables in the temp directory, keyed by the grammar's hash:
    # building the tables costs ~0.1 s per process, loading them ~5 ms (part of the warm compile budget)
    return Lark(
        _GRAMMAR.read_text(),
        parser="lalr",
        start=list(START_RULES),
        propagate_positions=True,
        maybe_placeholders=False,
        cache=True,
    )


@lru_cache(maxsize=4096)
def _parse_text(text: str, start: str) -> Tree:
    return _parser().parse(text, start=start)


def parse(frag: Fragment, start: str) -> Tree:
    """Parse the text of ``frag`` from rule ``start``; positions in the tree are offsets into ``frag``."""
    try:
        return _parse_text(frag.text, start)
    except UnexpectedInput as e:
        raise _syntax_error(frag, start, e) from e


def _error_offset(frag: Fragment, e: UnexpectedInput) -> int:
    match e:
        case UnexpectedToken(token=tok) if tok.start_pos is not None and tok.type != "$END":
            return tok.start_pos
        case UnexpectedCharacters(pos_in_stream=pos):
            return pos
        case UnexpectedEOF() | UnexpectedToken():
            return len(frag.text)
    return 0


def _unbalanced(text: str) -> int | None:
    """Offset of the first parenthesis without a partner, or None."""
    opened: list[int] = []
    for i, ch in enumerate(text):
        if ch == "(":
            opened.append(i)
        elif ch == ")":
            if not opened:
                return i
            opened.pop()
    return opened[0] if opened else None


def _misplaced_if(text: str, offset: int) -> int | None:
    """Offset of an ``if`` before ``offset`` that does not start a right-hand side (DSL.md §7), or None."""
    for match in _IF.finditer(text, 0, offset + 1):
        before = text[: match.start()].rstrip()
        if before and not before.endswith(("=", ":")):
            return match.start()
    return None


def _example_hint(start: str, e: UnexpectedInput) -> str | None:
    examples = _EXAMPLES.get(start)
    if not examples:
        return None
    try:
        # use_accepts=True trips over a logging bug of Lark 1.3 (a ParserState formatted with %d)
        return e.match_examples(lambda s: _parser().parse(s, start=start), examples, use_accepts=False)
    except UnexpectedInput:  # pragma: no cover - an example that fails differently
        return None


#: How terminals are named in "expected one of" hints.
_TERMINAL_TEXT = {
    "LPAR": "'('", "RPAR": "')'", "COMMA": "','", "COLON": "':'", "DOT": "'.'", "EQUAL": "'='",
    "ADD_OP": "'+'/'-'", "MUL_OP": "'*'/'/'", "POW_OP": "'^'", "COMP_OP": "a comparison",
    "ASSIGN_OP": "'='", "NAME": "a name", "NUMBER": "a number", "DERIV": "d<name>/dt",
}  # fmt: skip


def _expected(e: UnexpectedInput) -> str:
    expected = sorted(getattr(e, "expected", None) or getattr(e, "allowed", None) or ())
    names = [_TERMINAL_TEXT.get(name, repr(name.lower())) for name in expected if not name.startswith("$")]
    return ", ".join(dict.fromkeys(names))


def _syntax_error(frag: Fragment, start: str, e: UnexpectedInput) -> DslSyntaxError:
    paren = _unbalanced(frag.text)
    if paren is not None:
        return DslSyntaxError(
            f"The number of parentheses does not match in '{frag.text}'",
            frag.span(paren, paren + 1),
            "this parenthesis has no partner",
        )
    offset = _error_offset(frag, e)
    misplaced = _misplaced_if(frag.text, offset)
    if misplaced is not None:
        return DslSyntaxError(
            f"Parser: cannot analyse '{frag.text}'",
            frag.span(misplaced, misplaced + 2),
            "The right term must directly start with a if statement: a block conditional is the whole "
            "right-hand side (use ite(cond, a, b) inside expressions)",
        )
    if isinstance(e, UnexpectedCharacters):
        hint = f"the character {frag.text[offset]!r} is not part of the equation language"
    else:
        hint = _example_hint(start, e)
    if hint is None:
        ends = offset >= len(frag.text)
        hint = "the statement ends too early" if ends else f"unexpected {frag.text[offset]!r}"
        expected = _expected(e)
        hint += f"; expected one of: {expected}" if expected else ""
    return DslSyntaxError(f"Parser: cannot analyse '{frag.text}'", frag.span(offset, offset + 1), hint)
