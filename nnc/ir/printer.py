"""The one stable text form of the IR, used by ``nnc dump-ir``, golden tests and the compile-cache key.

Output is deterministic: declaration order, floats via ``repr``, temporaries numbered per print (``%0``,
``%1`` ...). Source locations are printed only with ``debuginfo=True``; explanatory comments (such as the
reason of a format choice, or why a kernel was not fused) only with ``comments=True``. A kernel header
lists the kernels merged into it: ``kernel res.update phase=neuron fused=(inp_res.transmit, res.globalops):``.

The text is also an input: :mod:`nnc.ir.text` reads it back (``parse(print(m)) == m`` up to the names
of temporaries). So that every module has exactly one reading: object names that are not identifiers
are quoted (``"Input layer"``), a name that is a keyword of the text (``step``, ``for`` ...) is written
in backquotes, a negated non-negative literal is ``-(1.0)`` while ``-1.0`` is the negative literal, and
every field of a declaration that a pass reads (format hints, the dense box) is printed.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import numpy as np

from nnc.diagnostics import SourceSpan
from nnc.ir.model import (
    Attribute,
    ConnectivityStats,
    Kernel,
    Module,
    NeuronModel,
    PopulationDecl,
    ProjectionDecl,
    Stencil,
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
    Compare,
    ComputeGlobalOp,
    Const,
    Delayed,
    Deriv,
    Dt,
    EventAge,
    Expr,
    ForDendrite,
    ForEach,
    GlobalOpValue,
    Input,
    Let,
    Logic,
    LogicOp,
    Ode,
    PushDelayed,
    Random,
    Reduce,
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
)
from nnc.ir.types import DelayKind, DType, Holes, ObjKind, Padding, Phase, Scope

# binding strength, higher binds tighter
_PREC_OR, _PREC_AND, _PREC_NOT, _PREC_CMP, _PREC_ADD, _PREC_MUL, _PREC_NEG, _PREC_POW, _PREC_ATOM = range(
    1, 10
)
_BINARY_PREC = {
    BinaryOp.ADD: _PREC_ADD,
    BinaryOp.SUB: _PREC_ADD,
    BinaryOp.MUL: _PREC_MUL,
    BinaryOp.DIV: _PREC_MUL,
    BinaryOp.POW: _PREC_POW,
}
_SPIKE_TIME_NAME = {Scope.SELF: "t_last", Scope.PRE: "t_pre", Scope.POST: "t_post"}
_SCOPE_PREFIX = {Scope.SELF: "", Scope.PRE: "pre.", Scope.POST: "post.", Scope.NETWORK: "const."}


#: Words with a fixed meaning in the text form (the string terminals of ``nnc/ir/ir.lark`` that look like
#: names): an attribute, population or projection of such a name is written in backquotes.
KEYWORDS = frozenset(
    {
        "module", "constants", "population", "projection", "kernel", "connectivity", "format", "connect",
        "contiguous", "current", "decoding", "neuron", "synapse", "of", "let", "ode", "spike", "axon_spike",
        "when", "clamp", "clear", "compute", "push", "timed", "for", "not", "and", "or", "True", "False",
        "inf", "nan", "t", "dt", "step", "t_last", "t_pre", "t_post",
    }
)  # fmt: skip
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DOTTED = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")


def format_name(name: str) -> str:
    """An attribute, target or variable name: itself, or in backquotes when it is a keyword."""
    return f"`{name}`" if name in KEYWORDS else name


def format_object_name(name: str, dotted: bool = False) -> str:
    """A population, projection, model or kernel name (``dotted``: parts joined by '.' stay bare).

    Names that are not identifiers are written as a JSON string (keywords need no quotes here: no keyword
    can stand where an object name does).
    """
    return name if (_DOTTED if dotted else _IDENT).fullmatch(name) else json.dumps(name)


def format_const(value: float | int | bool, dtype: DType) -> str:
    """Text of a literal of type ``dtype``."""
    if dtype is DType.BOOL:
        return "True" if value else "False"
    if dtype is DType.INT:
        return str(int(value))
    return repr(float(value))


@dataclass(slots=True)
class _Printer:
    debuginfo: bool = False
    comments: bool = False
    temps: dict[str, str] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)
    module: Module | None = None  # names projections in fused dendrites

    # ---------------------------------------------------------------- expressions
    def temp(self, name: str) -> str:
        return self.temps.get(name, f"%{name}")

    def expr(self, e: Expr, parent: int = 0) -> str:
        text, prec = self._expr(e)
        return f"({text})" if prec < parent else text

    def _expr(self, e: Expr) -> tuple[str, int]:  # noqa: C901 - one case per node kind
        match e:
            case Const(value=v, type=t):
                text = format_const(v, t)
                return text, (_PREC_NEG if text.startswith("-") else _PREC_ATOM)
            case Var(name=n, scope=s):
                return _SCOPE_PREFIX[s] + format_name(n), _PREC_ATOM
            case Input(target=tgt, scope=s):
                return f"{_SCOPE_PREFIX[s]}sum({format_name(tgt)})", _PREC_ATOM
            case GlobalOpValue(op=op, var=v, scope=s):
                return f"{op.value}({_SCOPE_PREFIX[s]}{format_name(v)})", _PREC_ATOM
            case Time():
                return "t", _PREC_ATOM
            case Dt():
                return "dt", _PREC_ATOM
            case Step():
                return "step", _PREC_ATOM
            case SourceDue():
                return "source_due()", _PREC_ATOM
            case EventAge(lag=lag):
                return f"event_age({lag})", _PREC_ATOM
            case SpikeTime(scope=s):
                return _SPIKE_TIME_NAME[s], _PREC_ATOM
            case Deriv(name=n):
                return f"d{n}/dt", _PREC_ATOM
            case Temp(name=n):
                return self.temp(n), _PREC_ATOM
            case Unary(op=UnaryOp.NEG, operand=a):
                inner = self.expr(a, _PREC_NEG)
                if inner[0].isdigit() or inner.startswith(("inf", "nan")):
                    # ``-1.0`` and ``-1.0 ^ x`` start with the literal -1.0: ``-(1.0)`` negates
                    return f"-({inner})", _PREC_NEG
                return "-" + inner, _PREC_NEG
            case Unary(op=UnaryOp.NOT, operand=a):
                return "not " + self.expr(a, _PREC_NOT), _PREC_NOT
            case Binary(op=op, lhs=a, rhs=b):
                p = _BINARY_PREC[op]
                if op is BinaryOp.POW:  # right-associative
                    return f"{self.expr(a, p + 1)} ^ {self.expr(b, p)}", p
                return f"{self.expr(a, p)} {op.value} {self.expr(b, p + 1)}", p
            case Compare(op=op, lhs=a, rhs=b):
                return f"{self.expr(a, _PREC_CMP + 1)} {op.value} {self.expr(b, _PREC_CMP + 1)}", _PREC_CMP
            case Logic(op=op, lhs=a, rhs=b):
                p = _PREC_AND if op is LogicOp.AND else _PREC_OR
                return f"{self.expr(a, p)} {op.value} {self.expr(b, p + 1)}", p
            case Call(func=f, args=args):
                return f"{f.value}({', '.join(self.expr(a) for a in args)})", _PREC_ATOM
            case Select(cond=c, if_true=a, if_false=b):
                return f"ite({self.expr(c)}, {self.expr(a)}, {self.expr(b)})", _PREC_ATOM
            case Cast(type=t, operand=a):
                return f"{t.value}({self.expr(a)})", _PREC_ATOM
            case Random(dist=d, args=args, stream=s):
                return f"{d.value}({', '.join(self.expr(a) for a in args)})@{s}", _PREC_ATOM
            case Reduce(op=op, value=v):
                return f"reduce_{op.value}({self.expr(v)})", _PREC_ATOM
            case Delayed(var=v):
                return f"delayed({self.expr(v)})", _PREC_ATOM
        raise TypeError(f"cannot print {type(e).__name__}")

    # ---------------------------------------------------------------- statements
    def emit(self, indent: int, text: str, span: SourceSpan | None = None) -> None:
        if self.debuginfo and span is not None:
            text = f"{text}  loc({span})"
        self.lines.append("  " * indent + text)

    def stmt(self, s: Stmt, indent: int) -> None:  # noqa: C901 - one case per node kind
        match s:
            case Assign(target=tgt, value=v):
                self.emit(indent, f"{self.expr(tgt)} = {self.expr(v)}", s.span)
            case Let(name=n, value=v):
                self.temps[n] = f"%{len(self.temps)}"
                self.emit(indent, f"let {self.temps[n]} = {self.expr(v)}", s.span)
            case Ode(target=tgt, lhs=a, rhs=b, method=m, guard=g):
                when = "" if g is None else f" when {self.expr(g)}"
                name = format_name(tgt.name)
                self.emit(indent, f"ode[{m.value}] {name}: {self.expr(a)} = {self.expr(b)}{when}", s.span)
            case Spike():
                self.spike(s, indent)
            case Clamp(target=tgt, lo=lo, hi=hi):
                parts = [f"clamp {self.expr(tgt)}"]
                if lo is not None:
                    parts.append(f"min={self.expr(lo)}")
                if hi is not None:
                    parts.append(f"max={self.expr(hi)}")
                self.emit(indent, " ".join(parts), s.span)
            case AddInput(target=tgt, value=v):
                self.emit(indent, f"post.sum({format_name(tgt)}) += {self.expr(v)}", s.span)
            case ClearInputs(targets=tgts):
                self.emit(indent, "clear " + ", ".join(f"sum({format_name(t)})" for t in tgts))
            case ComputeGlobalOp(op=op, var=v):
                self.emit(indent, f"compute {op.value}({format_name(v)})")
            case PushDelayed(vars=names):
                self.emit(indent, "push delayed " + _names(names))
            case TimedStep(var=v):
                self.emit(indent, f"timed step {format_name(v)}")
            case ForEach(domain=d, body=body):
                self.emit(indent, f"for {d.value}:")
                for inner in body:
                    self.stmt(inner, indent + 1)
            case ForDendrite(proj=j, body=body):
                name = (
                    format_object_name(self.module.projections[j].name)
                    if self.module is not None
                    else f"#{j}"
                )
                self.emit(indent, f"for dendrite of {name}:")
                for inner in body:
                    self.stmt(inner, indent + 1)
            case _:
                raise TypeError(f"cannot print {type(s).__name__}")

    def spike(self, s: Spike, indent: int) -> None:
        self.emit(indent, f"spike when {self.expr(s.cond)} refractory={self.expr(s.refractory)}:")
        for inner in s.reset:
            self.stmt(inner, indent + 1)
        if s.axon_cond is not None:
            self.emit(indent, f"axon_spike when {self.expr(s.axon_cond)}:")
            for inner in s.axon_reset:
                self.stmt(inner, indent + 1)

    # ---------------------------------------------------------------- declarations
    def attribute(self, a: Attribute, indent: int) -> None:
        text = f"{a.kind.value} {format_name(a.name)}: {a.dtype.value} {a.locality.value}"
        init = _format_init(a.init)
        if init is not None:
            text += f" = {init}"
        if a.lo is not None:
            text += f" min={self.expr(a.lo)}"
        if a.hi is not None:
            text += f" max={self.expr(a.hi)}"
        self.emit(indent, text, a.span)

    def population(self, p: PopulationDecl) -> None:
        geom = ", ".join(str(d) for d in p.geometry) + ("," if len(p.geometry) == 1 else "")
        tg = f" targets=({_names(p.targets)})" if p.targets else ""
        dl = f" delayed=({_names(p.delayed)})" if p.delayed else ""
        name = format_object_name(p.name)
        self.emit(0, f"population #{p.id} {name} {p.kind.value} geometry=({geom}){tg}{dl}")
        for a in p.attributes:
            self.attribute(a, 1)

    def projection(self, m: Module, p: ProjectionDecl) -> None:
        pre, post = (format_object_name(m.populations[i].name) for i in (p.pre, p.post))
        self.emit(
            0,
            f"projection #{p.id} {format_object_name(p.name)} {pre} -> {post} targets=({_names(p.targets)}) "
            f"op={p.operation.value}"
            + (f" delay={p.delay.value}" if p.delay is not DelayKind.NONE else "")
            + (f" hint={p.format_hint.value}" if p.format_hint is not None else "")
            + (" current" if p.current else "")
            + (" decoding" if p.decoding else "")
            + (" dynamic" if p.dynamic else "")
            + (" specific" if p.specific else "")
            + (f" shares={format_object_name(m.projections[p.shares].name)}" if p.shares is not None else "")
            + (f" post_writes=({_names(p.post_writes)})" if p.post_writes else "")
            + (_stencil(p.stencil) if p.stencil is not None else ""),
        )
        if p.stats is not None:
            self.emit(1, _connectivity(p.stats))
        if p.format is not None:
            reason = f"  // {p.format_reason}" if self.comments and p.format_reason else ""
            holes = f" holes={p.holes.value}" if p.holes is not Holes.NONE else ""
            mirror = f" mirror=({_names(p.mirrored)})" if p.mirrored else ""
            self.emit(1, f"format {p.format.value}{holes}{mirror}{reason}")
        if p.connect is not None:
            args = ", ".join(f"{k}={format_value(v)}" for k, v in p.connect.args)
            self.emit(1, f"connect {p.connect.kind}({args})")
        for a in p.attributes:
            self.attribute(a, 1)

    def kernel(self, k: Kernel) -> None:
        self.temps = {}
        fused = (
            f" fused=({', '.join(format_object_name(f, dotted=True) for f in k.fused)})" if k.fused else ""
        )
        owner = ""
        if self.module is not None and implied_owner(self.module, k.name, k.phase) != (k.owner, k.owner_id):
            owner = f" owner={k.owner.value} #{k.owner_id}"
        name = format_object_name(k.name, dotted=True)
        self.emit(0, f"kernel {name} phase={k.phase.name.lower()}{owner}{fused}:")
        if self.comments:
            for note in k.notes:
                self.emit(1, f"// not fused: {note}")
        for s in k.body:
            self.stmt(s, 1)


def _stencil(st: Stencil) -> str:
    """`` extent=(3, 3) origin=(-1, -1) padding=value(0.0)`` of a stencil projection's header."""

    def tup(xs: tuple[int, ...]) -> str:
        return "(" + ", ".join(str(x) for x in xs) + ("," if len(xs) == 1 else "") + ")"

    pad = f"value({st.value!r})" if st.padding is Padding.VALUE else st.padding.value
    return f" extent={tup(st.extent)} origin={tup(st.origin)} padding={pad}"


#: Owner kind of the kernels of each phase whose owner the kernel name implies (``<object>.<suffix>``).
_PHASE_OWNER = {
    Phase.CLEAR_INPUTS: ObjKind.POPULATION,
    Phase.NEURON: ObjKind.POPULATION,
    Phase.DELAY: ObjKind.POPULATION,
    Phase.GLOBAL_OPS: ObjKind.POPULATION,
    Phase.TRANSMIT: ObjKind.PROJECTION,
    Phase.SYNAPSE: ObjKind.PROJECTION,
    Phase.POST_EVENTS: ObjKind.PROJECTION,
}


def implied_owner(m: Module, name: str, phase: Phase) -> tuple[ObjKind, int] | None:
    """The owner a kernel header implies without an ``owner=``: the object named by the part of the kernel
    name before its last '.', of the kind that runs in ``phase`` (None when that names nothing)."""
    kind = _PHASE_OWNER.get(phase)
    prefix = name.rpartition(".")[0]
    objects = m.populations if kind is ObjKind.POPULATION else m.projections
    if kind is None or not prefix:
        return None
    found = [o.id for o in objects if o.name == prefix]
    return (kind, found[0]) if len(found) == 1 else None


def format_value(value: object) -> str:
    """A connector argument: a number, bool, string (JSON) or random distribution."""
    if isinstance(value, str):
        return json.dumps(value)
    if value is None:
        return "None"
    text = _format_init(value)
    return text if text is not None else "None"


def _names(names: tuple[str, ...]) -> str:
    return ", ".join(format_name(n) for n in names)


def _connectivity(st: ConnectivityStats) -> str:
    """The ``connectivity`` line: ``holes`` is printed where it differs from what ``contiguous`` implies."""
    implied = Holes.NONE if st.contiguous_rows else None
    holes = "" if st.holes is implied else f" holes={st.holes.value if st.holes else 'unset'}"
    return (
        f"connectivity pre={st.n_pre} post={st.n_post} dendrites={st.n_dendrites} "
        f"synapses={st.n_synapses} row=[{st.min_row}, {st.max_row}]"
        f"{' contiguous' if st.contiguous_rows else ''}{holes}{f' box={st.box}' if st.box else ''}"
    )


def _format_init(init: object) -> str | None:
    match init:
        case bool() | np.bool_():
            return "True" if init else "False"
        case int() | np.integer():
            return repr(int(init))
        case float() | np.floating():
            return repr(float(init))
        case str():
            return format_name(init)
        case None:
            return None
    name = type(init).__name__
    args = getattr(init, "keywords", None)
    if callable(args):
        kw = args()
        return f"{name}({', '.join(f'{k}={v!r}' for k, v in kw.items())})"
    return f"{name}(...)"


def print_expr(e: Expr) -> str:
    """Text of one expression."""
    return _Printer().expr(e)


def print_stmts(body: tuple[Stmt, ...], *, debuginfo: bool = False) -> str:
    """Text of a statement list (temporaries numbered from %0)."""
    p = _Printer(debuginfo=debuginfo)
    for s in body:
        p.stmt(s, 0)
    return "\n".join(p.lines)


def print_module(m: Module, *, debuginfo: bool = False, comments: bool = True) -> str:
    """Text of a whole module."""
    p = _Printer(debuginfo=debuginfo, comments=comments, module=m)
    p.emit(0, f"module {format_object_name(m.name)} precision={m.precision.value} dt={m.dt!r}")
    if m.constants:
        values = dict(m.constant_values)
        p.emit(
            0,
            "constants "
            + ", ".join(
                format_name(c) + (f"={float(values[c])!r}" if c in values else "") for c in m.constants
            ),
        )
    for pop in m.populations:
        p.emit(0, "")
        p.population(pop)
    for proj in m.projections:
        p.emit(0, "")
        p.projection(m, proj)
    for k in m.kernels:
        p.emit(0, "")
        p.kernel(k)
    return "\n".join(p.lines) + "\n"


def _print_field(p: _Printer, label: str, body: tuple[Stmt, ...]) -> None:
    if body:
        p.emit(1, f"{label}:")
        for s in body:
            p.stmt(s, 2)


def print_model(model: NeuronModel | SynapseModel, owner: str, *, debuginfo: bool = False) -> str:
    """Text of an analysed neuron or synapse model (the ``parse`` stage of ``nnc dump-ir``)."""
    p = _Printer(debuginfo=debuginfo)
    kind, _, owner_name = owner.partition(" ")
    of = f"of {kind} {format_object_name(owner_name)}"
    if isinstance(model, NeuronModel):
        p.emit(0, f"neuron {format_object_name(model.name or owner_name)} {model.kind.value} {of}:")
    else:
        op = model.operation.value
        name = format_object_name(model.name or "default")
        p.emit(0, f"synapse {name} {model.kind.value} op={op} {of}:")
    for a in model.attributes:
        p.attribute(a, 1)
    _print_field(p, "equations", model.equations)
    if isinstance(model, NeuronModel):
        for label, cond in (("spike", model.spike), ("axon_spike", model.axon_spike)):
            if cond is not None:
                p.emit(1, f"{label}: {p.expr(cond)}")
        _print_field(p, "reset", model.reset)
        _print_field(p, "axon_reset", model.axon_reset)
        if model.refractory is not None:
            p.emit(1, f"refractory: {model.refractory!r}")
    else:
        if model.psp is not None:
            p.emit(1, f"psp: {p.expr(model.psp)}")
        _print_field(p, "pre_spike", model.pre_spike)
        _print_field(p, "post_spike", model.post_spike)
        _print_field(p, "pre_axon_spike", model.pre_axon_spike)
        for label, rule in (("creating", model.creating), ("pruning", model.pruning)):
            if rule is not None:
                p.emit(1, f"{label}: {p.expr(rule.condition)} proba={rule.proba!r}")
    return "\n".join(p.lines) + "\n"
