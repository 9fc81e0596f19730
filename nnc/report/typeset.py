"""Equations of the DSL typeset in LaTeX, for :func:`nnc.report`.

A statement is parsed with nnc's own grammar (the Lark tree of ``nnc/frontend/equations.lark``), turned
into an unevaluated SymPy expression (the user's order of terms is kept: nothing is simplified) and
printed by SymPy's LaTeX printer. Names follow the reference's conventions: a one-letter name stays as is,
a Greek name becomes its letter, ``a_b`` becomes a subscript, other names are upright text; a variable
of the model is written as a function of time, ``x(t)``; ``pre.x`` is ``x^{pre}(t-d)``, ``post.x`` is
``x^{post}(t)``; ``sum(exc)`` is the weighted sum of the target.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import sympy as sp
from lark import Token, Tree
from sympy.printing.latex import LatexPrinter

from nnc.frontend.parser import parse
from nnc.frontend.text import Fragment

__all__ = ["Typesetter", "latex_name", "latex_text"]

GREEK = frozenset(
    {
        "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda", "mu",
        "nu", "xi", "pi", "rho", "sigma", "tau", "upsilon", "phi", "chi", "psi", "omega",
        "Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Upsilon", "Phi", "Psi", "Omega",
    }
)  # fmt: skip

_TEXT_ESCAPES = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}


def latex_text(text: object) -> str:
    """``text`` with the characters LaTeX treats specially escaped (for names and descriptions)."""
    return "".join(_TEXT_ESCAPES.get(ch, ch) for ch in str(text))


def _part(word: str) -> str:
    if len(word) == 1:
        return word
    if word in GREEK:
        return "\\" + word
    return r"{\text{" + latex_text(word) + "}}"


def latex_name(name: str, timed: bool = False) -> str:
    """The LaTeX form of an attribute name; ``timed``: written as a function of time, ``x(t)``."""
    parts = name.split("_")
    if len(parts) == 2 and all(parts):
        tex = f"{_part(parts[0])}_{_part(parts[1])}"
    elif len(parts) == 1:
        tex = _part(name)
    else:
        tex = r"{\text{" + latex_text(name) + "}}"
    return "{" + tex + "}(t)" if timed else tex


# ----------------------------------------------------------------------------------------- printing
#: LaTeX of calls, by DSL name (arguments already printed). Other names print as an upright name.
_CALLS: dict[str, Callable[[list[str]], str]] = {
    "exp": lambda a: "e^{" + a[0] + "}",
    "sqrt": lambda a: r"\sqrt{" + a[0] + "}",
    "cbrt": lambda a: r"\sqrt[3]{" + a[0] + "}",
    "fabs": lambda a: r"\left|" + a[0] + r"\right|",
    "abs": lambda a: r"\left|" + a[0] + r"\right|",
    "pos": lambda a: r"\left(" + a[0] + r"\right)^+",
    "positive": lambda a: r"\left(" + a[0] + r"\right)^+",
    "neg": lambda a: r"\left(" + a[0] + r"\right)^-",
    "negative": lambda a: r"\left(" + a[0] + r"\right)^-",
    "pow": lambda a: r"\left(" + a[0] + r"\right)^{" + a[1] + "}",
    "power": lambda a: r"\left(" + a[0] + r"\right)^{" + a[1] + "}",
    "modulo": lambda a: a[0] + r" \bmod " + a[1],
    "floor": lambda a: r"\left\lfloor " + a[0] + r" \right\rfloor",
    "ceil": lambda a: r"\left\lceil " + a[0] + r" \right\rceil",
    "fmax": lambda a: r"\max\left(" + ", ".join(a) + r"\right)",
    "fmin": lambda a: r"\min\left(" + ", ".join(a) + r"\right)",
    "Uniform": lambda a: r"\mathcal{U}\left(" + ", ".join(a) + r"\right)",
    "DiscreteUniform": lambda a: r"\mathcal{U}_{\text{int}}\left(" + ", ".join(a) + r"\right)",
    "Normal": lambda a: r"\mathcal{N}\left(" + ", ".join(a) + r"\right)",
    "LogNormal": lambda a: r"\ln\mathcal{N}\left(" + ", ".join(a) + r"\right)",
    "Exponential": lambda a: r"\mathcal{E}\left(" + ", ".join(a) + r"\right)",
    "Gamma": lambda a: r"\Gamma\left(" + ", ".join(a) + r"\right)",
    "Binomial": lambda a: r"\mathcal{B}\left(" + ", ".join(a) + r"\right)",
}
#: Functions printed with their usual operator name.
_OPERATORS = frozenset(
    {"log", "ln", "sin", "cos", "tan", "sinh", "cosh", "tanh", "max", "min"}
    | {"asin", "acos", "atan"}  # printed \arcsin ...
)
_ARC = {"asin": "arcsin", "acos": "arccos", "atan": "arctan", "ln": "ln"}


class _Printer(LatexPrinter):
    """SymPy's LaTeX printer, terms in the order given, with nnc's calls and a bracketed ``not``."""

    def __init__(self, names: dict[sp.Symbol, str]):
        super().__init__({"order": "none", "mul_symbol": "dot", "symbol_names": names})

    def _print_Function(self, expr: sp.Function, exp: str | None = None) -> str:  # noqa: N802 (SymPy's name)
        name = type(expr).__name__
        args = [self._print(a) for a in expr.args]
        if name in _CALLS:
            tex = _CALLS[name](args)
        elif name in _OPERATORS:
            tex = "\\" + _ARC.get(name, name) + r"\left(" + ", ".join(args) + r"\right)"
        else:
            tex = _part(name) + r"\left(" + ", ".join(args) + r"\right)"
        return tex if exp is None else r"\left(" + tex + r"\right)^{" + exp + "}"

    def _print_Not(self, expr: sp.Not) -> str:  # noqa: N802
        return r"\neg\left(" + self._print(expr.args[0]) + r"\right)"


# ----------------------------------------------------------------------------------------- trees
@dataclass
class Typesetter:
    """Typesets the statements of one neuron or synapse model.

    ``timed``: the model's variables (written ``x(t)``); ``synapse``: ``sum(t)`` is read from the post
    population (``post.sum(t)``) rather than being the weighted sum of a neuron's input.
    """

    timed: Iterable[str] = ()
    synapse: bool = False
    _names: dict[sp.Symbol, str] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        self.timed = frozenset(self.timed)

    # ------------------------------------------------------------------ entry points
    def equation(self, frag: Fragment) -> str:
        """``lhs = rhs`` (or ``+=``, ...) of an update statement."""
        return _verbatim_on_error(self._equation, frag)

    def expression(self, frag: Fragment) -> str:
        """One expression (a condition, a psp)."""
        return _verbatim_on_error(lambda f: self._print(self._expr(parse(f, "expression").children[0])), frag)

    def function(self, frag: Fragment) -> str:
        """``f(x, y) = body`` of a one-line function."""
        return _verbatim_on_error(self._function, frag)

    def _equation(self, frag: Fragment) -> str:
        lhs, op, rhs = parse(frag, "equation").children
        sign = str(op)
        operator = " = " if sign == "=" else r" \mathrel{" + sign[0] + "}= "
        return self._print(self._expr(lhs)) + operator + self._print(self._expr(rhs))

    def _function(self, frag: Fragment) -> str:
        name, *params, body = parse(frag, "function_def").children
        args = ", ".join(latex_name(str(p)) for p in params)
        return _part(str(name)) + r"\left(" + args + r"\right) = " + self._print(self._expr(body))

    # ------------------------------------------------------------------ conversion
    def _print(self, expr: sp.Basic) -> str:
        return _Printer(self._names).doprint(expr)

    def _symbol(self, tex: str) -> sp.Symbol:
        sym = sp.Symbol(f"s{len(self._names)}")
        for known, text in self._names.items():
            if text == tex:
                return known
        self._names[sym] = tex
        return sym

    def _expr(self, node: Tree | Token) -> sp.Basic:
        with sp.evaluate(False):
            return self._convert(node)

    def _convert(self, node: Tree) -> sp.Basic:
        kind, kids = node.data, node.children
        simple = _SIMPLE.get(kind)
        if simple is not None:  # operators: the converted operands combined
            return simple(*(self._convert(k) for k in kids if isinstance(k, Tree)))
        if kind == "number":
            text = str(kids[0])
            return sp.Integer(int(text)) if text.isdigit() else sp.Float(text)
        if kind in ("true", "false"):
            return sp.true if kind == "true" else sp.false
        if kind == "name":
            return self._symbol(self._name(str(kids[0])))
        if kind == "deriv":
            var = str(kids[0])[1:].split("/")[0].strip()
            return self._symbol(r"\frac{d" + latex_name(var, True) + "}{dt}")
        if kind == "qualified":
            return self._symbol(self._qualified(str(kids[0]), str(kids[1])))
        if kind == "call":
            return self._call(str(kids[0]), kids[1].children if len(kids) > 1 else [])
        if kind == "qualified_call":
            return self._qualified_call(str(kids[0]), str(kids[1]), kids[2].children if len(kids) > 2 else [])
        if kind == "binary":
            return _binary(self._convert(kids[0]), str(kids[1]), self._convert(kids[2]))
        if kind == "unary":
            operand = self._convert(kids[1])
            return operand if str(kids[0]) == "+" else _neg(operand)
        if kind == "compare":
            return _COMPARE[str(kids[1])](self._convert(kids[0]), self._convert(kids[2]))
        raise ValueError(f"report: no LaTeX form for the rule {kind!r}")

    def _qualified_call(self, scope: str, func: str, args: list[Tree]) -> sp.Basic:
        """``post.sum(exc)``, ``pre.mean(r)`` ...: a value of the pre- or post-synaptic population."""
        if func == "sum" and args:
            tex = r"\left(\sum_{\text{" + latex_text(_plain(args[0])) + r"}} \text{psp}(t)\right)"
        else:
            inner = ", ".join(self._print(self._convert(a)) for a in args)
            tex = r"\text{" + func + r"}\left(" + inner + r"\right)"
        return self._symbol(tex + r"^{\text{" + scope + "}}")

    def _name(self, name: str) -> str:
        if name == "dt":
            return r"\Delta t"
        if name == "t":
            return "t"
        return latex_name(name, name in self.timed)

    def _qualified(self, scope: str, name: str) -> str:
        when = "(t-d)" if scope == "pre" else "(t)"
        return "{" + latex_name(name) + r"^{\text{" + scope + "}}}" + when

    def _call(self, func: str, args: list[Tree]) -> sp.Basic:
        if func == "sum" and args:
            target = latex_text(_plain(args[0]))
            if self.synapse:
                return self._symbol(r"\left(\sum_{\text{" + target + r"}} \text{psp}(t)\right)^{\text{post}}")
            return self._symbol(r"\sum_{\text{" + target + r"}} w \cdot r^{\text{pre}}(t-d)")
        values = [self._convert(a) for a in args]
        if func == "ite" and len(values) == 3:
            return sp.Piecewise((values[1], values[0]), (values[2], True))
        if func in ("mean", "norm1", "norm2") and len(values) == 1:
            return self._symbol(r"\text{" + func + r"}\left(" + self._print(values[0]) + r"\right)")
        return sp.Function(func)(*values)


def _verbatim_on_error(typeset: Callable[[Fragment], str], frag: Fragment) -> str:
    """``typeset(frag)``, or the statement as upright text where it has no LaTeX form (the reference
    asks to write those by hand)."""
    try:
        return typeset(frag)
    except (ValueError, TypeError, sp.SympifyError):
        return r"\text{" + latex_text(frag.text) + "}"


def _plain(node: Tree | Token) -> str:
    """The text of a name argument (``sum(exc)``)."""
    if isinstance(node, Token):
        return str(node)
    return "".join(_plain(k) for k in node.children)


def _is_neg(x: sp.Basic) -> bool:
    if isinstance(x, sp.Number):
        return bool(x < 0)
    return isinstance(x, sp.Mul) and len(x.args) == 2 and x.args[0] == sp.Integer(-1)


def _abs(x: sp.Basic) -> sp.Basic:
    """``x`` without its leading minus sign (see :func:`_is_neg`)."""
    if isinstance(x, sp.Number):
        return -x
    return x.args[1]


def _neg(x: sp.Basic) -> sp.Basic:
    """``-x``, the sign kept in front of a product (so that SymPy prints ``- 3 a``, not ``(-3) a``)."""
    if _is_neg(x):
        return _abs(x)
    return -x if isinstance(x, sp.Number) else sp.Mul(sp.Integer(-1), x)


def _factors(x: sp.Basic) -> tuple[sp.Basic, ...]:
    """The factors of a product (a quotient stays whole: SymPy prints it as one fraction)."""
    if isinstance(x, sp.Mul) and not any(isinstance(f, sp.Pow) and f.exp == -1 for f in x.args):
        return x.args
    return (x,)


def _product(lhs: sp.Basic, rhs: sp.Basic) -> sp.Basic:
    """``lhs * rhs`` as one flat product, its sign in front."""
    negative = _is_neg(lhs) != _is_neg(rhs)
    a = _abs(lhs) if _is_neg(lhs) else lhs
    b = _abs(rhs) if _is_neg(rhs) else rhs
    result = sp.Mul(*_factors(a), *_factors(b))
    return _neg(result) if negative else result


def _binary(lhs: sp.Basic, op: str, rhs: sp.Basic) -> sp.Basic:
    if op in "+-":
        terms = lhs.args if isinstance(lhs, sp.Add) else (lhs,)
        return sp.Add(*terms, rhs if op == "+" else _neg(rhs))
    if op == "*":
        return _product(lhs, rhs)
    if op == "/":
        negative = _is_neg(lhs) != _is_neg(rhs)
        num = _abs(lhs) if _is_neg(lhs) else lhs
        den = sp.Pow(_abs(rhs) if _is_neg(rhs) else rhs, sp.Integer(-1))
        result = den if num == sp.Integer(1) else sp.Mul(num, den)
        return _neg(result) if negative else result
    return sp.Pow(lhs, rhs)  # ^ and **


#: Rules whose operands convert on their own and combine with one SymPy constructor.
_SIMPLE: dict[str, Callable[..., sp.Basic]] = {
    "is_": sp.Eq,
    "is_not": sp.Ne,
    "and_": sp.And,
    "or_": sp.Or,
    "not_": sp.Not,
    "if_block": lambda cond, then, other: sp.Piecewise((then, cond), (other, True)),
}

_COMPARE: dict[str, Callable[[sp.Basic, sp.Basic], sp.Basic]] = {
    "<": sp.StrictLessThan,
    ">": sp.StrictGreaterThan,
    "<=": sp.LessThan,
    ">=": sp.GreaterThan,
    "==": sp.Eq,
    "!=": sp.Ne,
}
