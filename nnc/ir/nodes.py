"""Expression and statement nodes of the IR: immutable, typed, carrying source spans.

Expressions compute values for one element of the loop that encloses them (a neuron, a dendrite or a
synapse); statements update state. Every node is a frozen slotted dataclass; spans never take part in
equality, so two nodes that print the same compare equal.

Implicit conversions (every backend and the interpreter implement exactly these):
* operands of ``Binary``, ``Compare``, ``Unary(NEG)`` and of real-valued ``Call`` s are converted to
  ``REAL`` (bool → 0/1, int → real);
* operands of ``Logic``, ``Unary(NOT)`` and ``Select.cond`` are converted to ``BOOL`` (non-zero → true);
* ``Assign`` converts its value to the target's type: real → int truncates toward zero (C semantics),
  anything → bool is ``!= 0``;
* ``Const`` literals written in the DSL are ``REAL`` (integer literals are not integer arithmetic);
* ``Func.MODULO`` truncates both arguments to int and computes C's ``%`` (sign of the dividend);
  ``Func.POWER(x, n)`` is ``x`` multiplied ``int(n)`` times (``n <= 0`` gives 1).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from nnc.diagnostics import SourceSpan
from nnc.ir.functions import FUNC_INFO, Func
from nnc.ir.types import Domain, DType, Enum, Locality, Method, Scope

# --------------------------------------------------------------------------------------------------
# operator kinds


class BinaryOp(Enum):
    """Arithmetic operators (all in the model float type, DSL.md §5.1)."""

    ADD = "+"
    SUB = "-"
    MUL = "*"
    DIV = "/"
    POW = "^"


class UnaryOp(Enum):
    """Prefix operators."""

    NEG = "-"
    NOT = "not"


class CmpOp(Enum):
    """Comparisons; they yield ``bool``."""

    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="
    EQ = "=="
    NE = "!="


class LogicOp(Enum):
    """Boolean connectives."""

    AND = "and"
    OR = "or"


class Dist(Enum):
    """Random distributions usable inside equations (DSL.md §12), with their arity."""

    UNIFORM = "Uniform"
    DISCRETE_UNIFORM = "DiscreteUniform"
    NORMAL = "Normal"
    LOGNORMAL = "LogNormal"
    EXPONENTIAL = "Exponential"
    GAMMA = "Gamma"
    BINOMIAL = "Binomial"

    @property
    def arity(self) -> int:
        """Number of arguments the distribution takes."""
        return 1 if self is Dist.EXPONENTIAL else 2

    @property
    def dtype(self) -> DType:
        """Type of one draw."""
        return DType.INT if self in (Dist.DISCRETE_UNIFORM, Dist.BINOMIAL) else DType.REAL


class ReduceOp(Enum):
    """How a dendrite combines its synapses' psp values (the synapse's ``operation``)."""

    SUM = "sum"
    MAX = "max"
    MIN = "min"
    MEAN = "mean"


class GlobalOp(Enum):
    """Population-wide reductions usable in equations (DSL.md §8)."""

    MEAN = "mean"
    MAX = "max"
    MIN = "min"
    NORM1 = "norm1"
    NORM2 = "norm2"


_Span = SourceSpan | None


def _span() -> _Span:
    return field(default=None, compare=False, repr=False)  # type: ignore[return-value]


# --------------------------------------------------------------------------------------------------
# expressions


@dataclass(frozen=True, slots=True)
class Expr:
    """Base class of expressions."""

    @property
    def dtype(self) -> DType:
        """Type of the value (overridden by every concrete node)."""
        raise NotImplementedError(type(self).__name__)


@dataclass(frozen=True, slots=True)
class Const(Expr):
    """A literal."""

    value: float | int | bool
    type: DType = DType.REAL
    span: _Span = _span()

    @property
    def dtype(self) -> DType:
        return self.type


@dataclass(frozen=True, slots=True)
class Var(Expr):
    """An attribute: of the kernel's owner (``SELF``), of the pre/post neuron, or a network constant."""

    name: str
    type: DType
    locality: Locality
    scope: Scope = Scope.SELF
    span: _Span = _span()

    @property
    def dtype(self) -> DType:
        return self.type


@dataclass(frozen=True, slots=True)
class Input(Expr):
    """Weighted input ``sum(target)`` of a rate-coded neuron this step (of ``pre``/``post`` in synapses)."""

    target: str
    scope: Scope = Scope.SELF
    span: _Span = _span()

    @property
    def dtype(self) -> DType:
        return DType.REAL


@dataclass(frozen=True, slots=True)
class GlobalOpValue(Expr):
    """Result of a global operation ``op(var)`` over the population seen through ``scope``."""

    op: GlobalOp
    var: str
    scope: Scope = Scope.SELF
    span: _Span = _span()

    @property
    def dtype(self) -> DType:
        return DType.REAL


@dataclass(frozen=True, slots=True)
class Time(Expr):
    """``t``: time at the start of the current step, in ms."""

    span: _Span = _span()

    @property
    def dtype(self) -> DType:
        return DType.REAL


@dataclass(frozen=True, slots=True)
class Dt(Expr):
    """``dt``: the step size in ms (times the learning period inside synaptic updates)."""

    span: _Span = _span()

    @property
    def dtype(self) -> DType:
        return DType.REAL


@dataclass(frozen=True, slots=True)
class SpikeTime(Expr):
    """Time of the last spike, ``last_spike·dt`` in ms (``-10000·dt`` before any), of the neuron in ``scope``.

    ``t_last`` in a spiking neuron (``SELF``), ``t_pre`` / ``t_post`` in a spiking synapse (``PRE`` /
    ``POST``, DSL.md §5.2). ``dt`` here is always the network step, never a learning period.
    """

    scope: Scope = Scope.SELF
    span: _Span = _span()

    @property
    def dtype(self) -> DType:
        return DType.REAL


@dataclass(frozen=True, slots=True)
class Step(Expr):
    """``k``: the integer step counter (``t = k·dt``); 32-bit."""

    span: _Span = _span()

    @property
    def dtype(self) -> DType:
        return DType.INT


@dataclass(frozen=True, slots=True)
class EventAge(Expr):
    """Steps since the current synapse's last event, ``(k - lag) - _last_event``, as a real.

    Computed in 64-bit integers before the conversion, so it is exact in either precision. Event-driven
    variables integrate over it (DSL.md §9.7): ``lag`` is 1 at a pre-synaptic event (the reference's
    quirk), 0 at a post-synaptic one.
    """

    lag: int
    span: _Span = _span()

    @property
    def dtype(self) -> DType:
        return DType.REAL


@dataclass(frozen=True, slots=True)
class SourceDue(Expr):
    """Whether the current neuron of a spike source array fires now (SEMANTICS.md §10).

    The neuron's spike steps are ``S[O[i] .. O[i+1]]`` (``SourceKey`` TIMES and OFFSETS in
    :mod:`nnc.backend.abi`), ascending; ``_next`` (its local int) counts those already emitted and
    ``_counter`` (global int) is the internal counter τ plus one: the population's global equation
    ``_counter = _counter + 1`` counts the step before its spike test. True iff ``_next < O[i+1] - O[i]``
    and ``S[O[i] + _next] == _counter - 1`` (exact integer comparison).
    """

    span: _Span = _span()

    @property
    def dtype(self) -> DType:
        return DType.BOOL


@dataclass(frozen=True, slots=True)
class Deriv(Expr):
    """``d<name>/dt``; only inside an :class:`Ode` before the discretise pass."""

    name: str
    span: _Span = _span()

    @property
    def dtype(self) -> DType:
        return DType.REAL


@dataclass(frozen=True, slots=True)
class Temp(Expr):
    """A value bound by a :class:`Let` earlier in the same block."""

    name: str
    type: DType = DType.REAL
    span: _Span = _span()

    @property
    def dtype(self) -> DType:
        return self.type


@dataclass(frozen=True, slots=True)
class Unary(Expr):
    """``-x`` (real) or ``not x`` (bool)."""

    op: UnaryOp
    operand: Expr
    span: _Span = _span()

    @property
    def dtype(self) -> DType:
        return DType.BOOL if self.op is UnaryOp.NOT else DType.REAL


@dataclass(frozen=True, slots=True)
class Binary(Expr):
    """Arithmetic in the model float type."""

    op: BinaryOp
    lhs: Expr
    rhs: Expr
    span: _Span = _span()

    @property
    def dtype(self) -> DType:
        return DType.REAL


@dataclass(frozen=True, slots=True)
class Compare(Expr):
    """A comparison of two real values."""

    op: CmpOp
    lhs: Expr
    rhs: Expr
    span: _Span = _span()

    @property
    def dtype(self) -> DType:
        return DType.BOOL


@dataclass(frozen=True, slots=True)
class Logic(Expr):
    """``and`` / ``or`` of two booleans (both sides are evaluated; there are no side effects)."""

    op: LogicOp
    lhs: Expr
    rhs: Expr
    span: _Span = _span()

    @property
    def dtype(self) -> DType:
        return DType.BOOL


@dataclass(frozen=True, slots=True)
class Call(Expr):
    """A built-in or math function (see :mod:`nnc.ir.functions`)."""

    func: Func
    args: tuple[Expr, ...]
    span: _Span = _span()

    @property
    def dtype(self) -> DType:
        return FUNC_INFO[self.func].result


@dataclass(frozen=True, slots=True)
class Select(Expr):
    """``if cond: a else: b`` / ``ite(cond, a, b)``; the type of the branches (real unless both agree)."""

    cond: Expr
    if_true: Expr
    if_false: Expr
    span: _Span = _span()

    @property
    def dtype(self) -> DType:
        if self.if_true.dtype is self.if_false.dtype:
            return self.if_true.dtype
        return DType.REAL


@dataclass(frozen=True, slots=True)
class Cast(Expr):
    """Conversion between types: real→int truncates toward zero, bool→real gives 0/1."""

    type: DType
    operand: Expr
    span: _Span = _span()

    @property
    def dtype(self) -> DType:
        return self.type


@dataclass(frozen=True, slots=True)
class Random(Expr):
    """A draw of ``dist(args)`` for the current element and step.

    ``stream`` identifies the occurrence (unique per owning object); the value is a pure function of
    (seed, stream, element, step), so every use within one step sees the same draw.
    """

    dist: Dist
    args: tuple[Expr, ...]
    stream: int
    span: _Span = _span()

    @property
    def dtype(self) -> DType:
        return self.dist.dtype


@dataclass(frozen=True, slots=True)
class Reduce(Expr):
    """``op`` over the synapses of the current dendrite of ``value`` (evaluated per synapse)."""

    op: ReduceOp
    value: Expr
    span: _Span = _span()

    @property
    def dtype(self) -> DType:
        return DType.REAL


@dataclass(frozen=True, slots=True)
class Delayed(Expr):
    """A pre-synaptic attribute read through the projection's delays (SEMANTICS.md §5).

    With delay d steps (uniform, or the synapse's own), it reads slot ``d - 1`` of the pre population's
    queue of ``var``: in TRANSMIT that is the value after step k - d, in SYNAPSE (after this step's push)
    the value after step k - d + 1.
    """

    var: Var
    span: _Span = _span()

    @property
    def dtype(self) -> DType:
        return self.var.dtype


# --------------------------------------------------------------------------------------------------
# statements


@dataclass(frozen=True, slots=True)
class Stmt:
    """Base class of statements."""


@dataclass(frozen=True, slots=True)
class Assign(Stmt):
    """``target = value`` (augmented assignments are expanded by the frontend)."""

    target: Var
    value: Expr
    span: _Span = _span()


@dataclass(frozen=True, slots=True)
class Let(Stmt):
    """Bind a temporary: ``let %name = value``; visible to later statements of the same block."""

    name: str
    value: Expr
    span: _Span = _span()


@dataclass(frozen=True, slots=True)
class Ode(Stmt):
    """The equation ``lhs = rhs``, linear in ``Deriv(target.name)``, integrated with ``method``.

    Consecutive ``Ode`` statements form one ODE block (DSL.md §4.3). Removed by the discretise pass.
    ``guard`` (a boolean, for example a spiking neuron's ``active``): where it is false the update is
    not applied and the variable keeps its value (refractoriness, SEMANTICS.md §6.2).
    """

    target: Var
    lhs: Expr
    rhs: Expr
    method: Method
    span: _Span = _span()
    guard: Expr | None = None


@dataclass(frozen=True, slots=True)
class Clamp(Stmt):
    """Apply the bounds of ``target``: ``if x < lo: x = lo``, then ``if x > hi: x = hi``."""

    target: Var
    lo: Expr | None
    hi: Expr | None
    span: _Span = _span()


@dataclass(frozen=True, slots=True)
class AddInput(Stmt):
    """Add ``value`` to the post neuron's rate input ``sum(target)`` (inside a dendrite loop)."""

    target: str
    value: Expr
    span: _Span = _span()


@dataclass(frozen=True, slots=True)
class ClearInputs(Stmt):
    """Zero the rate inputs ``sum(t)`` of the owning population for every ``t`` in ``targets``.

    At a kernel's top level: every neuron's entries. Inside the population's NEURON loop (transmission
    fusion): the current neuron's entries.
    """

    targets: tuple[str, ...]


#: Neurons per block of the canonical reduction order of global operations (see :class:`ComputeGlobalOp`).
GLOBAL_OP_BLOCK = 1024


@dataclass(frozen=True, slots=True)
class ComputeGlobalOp(Stmt):
    """Recompute ``op(var)`` over the owning population into its global-operation slot.

    The reduction order is fixed (the same for every backend, thread count and placement): neurons are
    cut into blocks of :data:`GLOBAL_OP_BLOCK` in rank order; each block is reduced in the 8-lane order of
    :mod:`nnc.ir.reductions`; the block results are combined sequentially in block order
    (``((b0 ∘ b1) ∘ b2) ...``, starting from ``b0``); then ``mean`` divides by the size, ``norm2`` takes
    the square root, and ``max``/``min`` of an empty population give 0. A population of at most one
    block is therefore reduced exactly as one 8-lane row.

    At a kernel's top level the result is computed from the current values and stored at once. Inside
    the population's NEURON loop (population fusion) each neuron contributes its value of ``var`` as the
    statements before this one left it; the result slot keeps its previous value until the loop has run
    for every neuron, and is then set to the reduction of the contributions. Both forms give the same
    bits when nothing after the loop changes ``var``. A backend may compute the block results of a
    fused loop as each block finishes and combine them after the loop.
    """

    op: GlobalOp
    var: str


@dataclass(frozen=True, slots=True)
class PushDelayed(Stmt):
    """Push the current values of ``vars`` of the owning population to the front of their queues.

    At a kernel's top level: ``head <- (head - 1) mod len``, then every neuron's values are stored in
    slot ``head``. Inside the population's NEURON loop (population fusion): each neuron stores its
    values in slot ``(head - 1) mod len`` (not yet the head), and the head moves there once the loop has
    run for every neuron. A loop that pushes a queue must not read it (no fused dendrite of the same
    loop reads ``Delayed`` values of these variables): the slot being filled is also the oldest one.
    """

    vars: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TimedStep(Stmt):
    """The scheduler step of a timed-array population (``TimedArray``, SEMANTICS.md §10), at the top level
    of its NEURON kernel; ``var`` is the variable the rows are copied into (``r``, below).

    The population's scheduler state lives in its ``TimedKey`` slots (:mod:`nnc.backend.abi`): counter
    ``τ`` (COUNTER), block ``b`` (BLOCK), schedule ``S`` (SCHEDULE, ``n = N_SCHEDULE`` steps), rates
    ``R`` (RATES, ``N_ROWS`` rows of ``size`` values, row-major) and period ``P`` (PERIOD, steps). One step:

    1. if ``b < n`` and ``τ == S[b]``: if ``b < N_ROWS``, ``r[i] = R[b·size + i]`` for every neuron ``i``,
       ``b ← b + 1`` and ``b ← 0`` when ``b == n``; otherwise (no such row: the reference's "not enough
       data" branch) ``r[i] = 0`` and ``b`` is unchanged;
    2. if ``P >= 0`` and ``τ == P - 1``: ``b ← 0``, ``τ ← -1``;
    3. ``τ ← τ + 1``.

    ``r`` is the population's local real variable ``var``; every neuron reads the same decision, so a
    backend may copy the row in parallel and advance the counters once afterwards.
    """

    var: str = "r"


@dataclass(frozen=True, slots=True)
class Spike(Stmt):
    """Spike emission of the current neuron (SEMANTICS.md §6.2 steps 3-4), in a spiking population's
    neuron loop after its equations.

    The neuron's hidden state (:data:`nnc.ir.model.SPIKING_STATE`): ``refractory_remaining`` (steps
    left), ``last_spike`` (step of the last spike). With ``active`` = ``refractory_remaining <= 0`` as
    this statement finds it:

    * not active: ``refractory_remaining -= 1``;
    * active and ``cond`` holds: the ``reset`` statements run in order, ``last_spike = k``,
      ``refractory_remaining = refractory`` (an int expression evaluated now: the neuron's
      ``refractory`` steps, or ``int(attr/dt)``), and the neuron joins this step's spike list;
    * then, if ``axon_cond`` is given and the neuron is active: where ``axon_cond`` holds and ``cond``
      does not (both evaluated now, after a reset), ``axon_reset`` runs and the neuron joins this step's
      axonal spike list.

    The spike lists are in rank order. They become the population's lists of step k once the loop has
    run for every neuron (the spike ring of :mod:`nnc.backend.abi`, which also keeps the spike counts
    of ``compute_firing_rate``); a disabled population's lists of the step are empty. Nothing else in
    the loop may follow this statement.
    """

    cond: Expr
    reset: tuple[Stmt, ...]
    refractory: Expr
    axon_cond: Expr | None = None
    axon_reset: tuple[Stmt, ...] = ()


@dataclass(frozen=True, slots=True)
class ForEach(Stmt):
    """Run ``body`` for every element of ``domain`` of the kernel's owner.

    A ``SYNAPSE`` loop is nested inside a ``DENDRITE`` loop and runs over that dendrite's synapses.
    """

    domain: Domain
    body: tuple[Stmt, ...]


@dataclass(frozen=True, slots=True)
class ForDendrite(Stmt):
    """Inside a population's NEURON loop: run ``body`` for the dendrite of projection ``proj`` whose post
    rank is the current neuron (transmission fusion).

    ``body`` is a dendrite-level block of projection ``proj`` (as in its TRANSMIT kernel: names are
    resolved with ``proj`` as the owner, ``pre.``/``post.`` as its populations, ``Reduce`` runs over the
    dendrite's synapses) and does not see the enclosing temporaries. It runs iff the neuron has a
    dendrite in ``proj`` and the projection's TRANSMISSION flag is set; the post population's ENABLED
    gate is the enclosing kernel's. Random draws use the same counters as in the TRANSMIT kernel, so
    the fused dendrite computes what the TRANSMIT kernel would.

    A fused dendrite reads nothing that its loop writes, except the inputs of its own neuron (the fuse
    pass only fuses such dendrites). So the leading ``ClearInputs`` / ``ForDendrite`` statements of a loop
    may run for several neurons before the rest of the body runs for them: a backend may group them.
    """

    proj: int
    body: tuple[Stmt, ...]


# --------------------------------------------------------------------------------------------------
# generic traversal


def children(node: Expr) -> tuple[Expr, ...]:
    """Direct sub-expressions of ``node`` in evaluation order."""
    match node:
        case Unary(operand=a) | Cast(operand=a) | Reduce(value=a) | Delayed(var=a):
            return (a,)
        case Binary(lhs=a, rhs=b) | Compare(lhs=a, rhs=b) | Logic(lhs=a, rhs=b):
            return (a, b)
        case Call(args=args) | Random(args=args):
            return args
        case Select(cond=c, if_true=a, if_false=b):
            return (c, a, b)
        case _:
            return ()


def with_children(node: Expr, new: tuple[Expr, ...]) -> Expr:
    """Return ``node`` with its sub-expressions replaced by ``new`` (same order as :func:`children`)."""
    match node:
        case Unary():
            return Unary(node.op, new[0], node.span)
        case Cast():
            return Cast(node.type, new[0], node.span)
        case Reduce():
            return Reduce(node.op, new[0], node.span)
        case Delayed():
            return Delayed(new[0], node.span)  # type: ignore[arg-type]
        case Binary():
            return Binary(node.op, new[0], new[1], node.span)
        case Compare():
            return Compare(node.op, new[0], new[1], node.span)
        case Logic():
            return Logic(node.op, new[0], new[1], node.span)
        case Call():
            return Call(node.func, tuple(new), node.span)
        case Random():
            return Random(node.dist, tuple(new), node.stream, node.span)
        case Select():
            return Select(new[0], new[1], new[2], node.span)
        case _:
            return node


def walk(node: Expr):
    """Yield ``node`` and all its sub-expressions, pre-order."""
    yield node
    for child in children(node):
        yield from walk(child)


def stmt_exprs(stmt: Stmt) -> tuple[Expr, ...]:
    """Expressions directly held by a statement (not those of nested loops or reset bodies)."""
    match stmt:
        case Assign(value=v) | Let(value=v) | AddInput(value=v):
            return (v,)
        case Ode(lhs=a, rhs=b, guard=g):
            return (a, b) if g is None else (a, b, g)
        case Clamp(lo=lo, hi=hi):
            return tuple(e for e in (lo, hi) if e is not None)
        case Spike(cond=c, refractory=r, axon_cond=a):
            return (c, r) if a is None else (c, r, a)
        case _:
            return ()


def rewrite(node: Expr, fn: Callable[[Expr], Expr | None]) -> Expr:
    """``node`` with every sub-expression for which ``fn`` returns a replacement replaced, pre-order.

    ``fn`` returns None to descend into the node's children; a returned node is used as is (its own
    children are not visited, so ``fn`` can stop the descent by returning the node itself).
    """
    new = fn(node)
    if new is not None:
        return new
    kids = children(node)
    if not kids:
        return node
    return with_children(node, tuple(rewrite(c, fn) for c in kids))


def map_exprs(stmt: Stmt, fn: Callable[[Expr], Expr]) -> Stmt:
    """``stmt`` with ``fn`` applied to each expression it holds (as :func:`stmt_exprs`), in loops too."""
    match stmt:
        case Assign() | Let() | AddInput():
            return replace(stmt, value=fn(stmt.value))
        case Ode():
            guard = None if stmt.guard is None else fn(stmt.guard)
            return replace(stmt, lhs=fn(stmt.lhs), rhs=fn(stmt.rhs), guard=guard)
        case Spike():
            return replace(
                stmt,
                cond=fn(stmt.cond),
                reset=tuple(map_exprs(b, fn) for b in stmt.reset),
                refractory=fn(stmt.refractory),
                axon_cond=None if stmt.axon_cond is None else fn(stmt.axon_cond),
                axon_reset=tuple(map_exprs(b, fn) for b in stmt.axon_reset),
            )
        case Clamp():
            lo, hi = (None if b is None else fn(b) for b in (stmt.lo, stmt.hi))
            return replace(stmt, lo=lo, hi=hi)
        case ForEach() | ForDendrite():
            return replace(stmt, body=tuple(map_exprs(b, fn) for b in stmt.body))
    return stmt


def nested_bodies(stmt: Stmt) -> tuple[tuple[Stmt, ...], ...]:
    """Statement lists held by ``stmt``: a loop's body, a spike's reset and axonal reset."""
    match stmt:
        case ForEach(body=b) | ForDendrite(body=b):
            return (b,)
        case Spike(reset=r, axon_reset=a):
            return (r, a)
    return ()


def walk_stmts(body: tuple[Stmt, ...]):
    """Yield every statement of ``body``, descending into loops (fused dendrites too) and spike resets,
    in program order."""
    for stmt in body:
        yield stmt
        for inner in nested_bodies(stmt):
            yield from walk_stmts(inner)
