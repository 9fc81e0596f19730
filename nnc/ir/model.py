"""Model-level IR: attributes, neuron and synapse models, populations, projections, kernels, module.

The frontend turns a user's ``Neuron``/``Synapse`` into a :class:`NeuronModel`/:class:`SynapseModel`.
Network assembly places them into a :class:`Module` of :class:`PopulationDecl`, :class:`ProjectionDecl`
and :class:`Kernel` s, which the passes transform and the backends lower.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from nnc.diagnostics import SourceSpan
from nnc.ir.nodes import Expr, ForDendrite, ForEach, ReduceOp, Stmt
from nnc.ir.types import (
    AttrKind,
    DelayKind,
    Domain,
    DType,
    Format,
    Holes,
    Locality,
    NeuronKind,
    ObjKind,
    Padding,
    Phase,
    Precision,
)

#: An initial value as the user gave it: a number, the name of another attribute or constant, or a
#: Python-side random distribution object (sampled per element when values are transferred).
InitValue = float | int | bool | str | object


@dataclass(frozen=True, slots=True)
class Attribute:
    """A parameter or variable of a neuron or synapse model."""

    name: str
    dtype: DType
    locality: Locality
    kind: AttrKind
    init: InitValue = field(default=0.0, compare=False)
    lo: Expr | None = None
    hi: Expr | None = None
    span: SourceSpan | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class FunctionDef:
    """A user function ``name(params) = body``; ``body`` reads its arguments as ``Temp(param)``."""

    name: str
    params: tuple[str, ...]
    body: Expr
    arg_types: tuple[DType, ...]
    result: DType


@dataclass(frozen=True, slots=True)
class NeuronModel:
    """A parsed neuron description (DSL.md §1, §10)."""

    name: str
    kind: NeuronKind
    attributes: tuple[Attribute, ...]
    equations: tuple[Stmt, ...]
    targets: tuple[str, ...] = ()
    functions: tuple[FunctionDef, ...] = ()
    spike: Expr | None = None
    reset: tuple[Stmt, ...] = ()
    axon_spike: Expr | None = None
    axon_reset: tuple[Stmt, ...] = ()
    refractory: float | str | None = None

    def attribute(self, name: str) -> Attribute | None:
        """The attribute called ``name``, or None."""
        return next((a for a in self.attributes if a.name == name), None)


#: Hidden state of every spiking population, declared by network assembly after the model's attributes
#: (reserved names: no model can declare them; the API never shows them as attributes):
#: ``last_spike`` (step of the last spike, -10000 before any), ``refractory_remaining`` (steps of
#: refractoriness left) and ``refractory`` (the refractory period in steps, set from Python: from the
#: model's ``refractory`` in ms or ``pop.refractory``; absent when the model names an attribute).
LAST_SPIKE = "last_spike"
REFRACTORY_LEFT = "refractory_remaining"
REFRACTORY = "refractory"
#: Step of the last event of a synapse with event-driven variables (-10000 before any, DSL.md §9.7).
LAST_EVENT = "_last_event"
#: Value of ``last_spike`` / ``_last_event`` before any spike or event (SEMANTICS.md §11).
NEVER = -10000


def spiking_state(refractory_steps: bool) -> tuple[Attribute, ...]:
    """The hidden attributes of a spiking population (``refractory_steps``: it has a ``refractory``)."""
    state = [
        Attribute(LAST_SPIKE, DType.INT, Locality.LOCAL, AttrKind.VARIABLE, NEVER),
        Attribute(REFRACTORY_LEFT, DType.INT, Locality.LOCAL, AttrKind.VARIABLE, 0),
    ]
    if refractory_steps:
        state.append(Attribute(REFRACTORY, DType.INT, Locality.LOCAL, AttrKind.PARAMETER, 0))
    return tuple(state)


def event_state() -> tuple[Attribute, ...]:
    """The hidden attribute of a projection whose synapses have event-driven variables."""
    return (Attribute(LAST_EVENT, DType.INT, Locality.LOCAL, AttrKind.VARIABLE, NEVER),)


#: Spike source arrays (:class:`~nnc.ir.nodes.SourceDue`): spikes emitted so far by each neuron, and the
#: steps counted since compile or the last reset, this step included.
SOURCE_NEXT = "_next"
SOURCE_COUNTER = "_counter"

#: Decoding projections: the window in steps and the sum of the weights of the spikes in it (per dendrite).
DECODING_WINDOW = "_window"
DECODED = "_decoded"


def decoding_state() -> tuple[Attribute, ...]:
    """The hidden attributes of a decoding projection (API.md §11)."""
    return (
        Attribute(DECODING_WINDOW, DType.INT, Locality.GLOBAL, AttrKind.PARAMETER, 1),
        Attribute(DECODED, DType.REAL, Locality.SEMIGLOBAL, AttrKind.VARIABLE, 0.0),
    )


HIDDEN = frozenset(
    {
        LAST_SPIKE,
        REFRACTORY_LEFT,
        REFRACTORY,
        LAST_EVENT,
        SOURCE_NEXT,
        SOURCE_COUNTER,
        DECODING_WINDOW,
        DECODED,
    }
)


#: Name of the placeholder ``Var(G_TARGET, REAL, LOCAL, Scope.POST)`` that ``pre_spike`` /
#: ``pre_axon_spike`` statements assign and read: the post neuron's ``g_<t>`` for each target ``t`` of
#: the projection (DSL.md §11.3). Network assembly substitutes the real names.
G_TARGET = "g_target"


@dataclass(frozen=True, slots=True)
class StructuralRule:
    """A ``Creating`` / ``Pruning`` rule (DSL.md §11.4): where ``condition`` holds, act with ``proba``.

    ``w`` and ``d`` (weight and delay of a created synapse) are only meaningful for creating rules.
    """

    condition: Expr
    proba: float = 1.0
    w: InitValue = field(default=0.0, compare=False)
    d: float | None = None


@dataclass(frozen=True, slots=True)
class SynapseModel:
    """A parsed synapse description (DSL.md §11).

    ``kind`` is the kind of the pre-synaptic population the synapse was analysed for. Event statements
    (``pre_spike`` ...) are in execution order: statements on :data:`G_TARGET` first, followed by any
    ``Clamp`` of their own bounds; ``: unless_post`` statements are already guarded in the IR.
    """

    name: str
    attributes: tuple[Attribute, ...]
    equations: tuple[Stmt, ...]
    psp: Expr | None = None
    operation: ReduceOp = ReduceOp.SUM
    functions: tuple[FunctionDef, ...] = ()
    pre_spike: tuple[Stmt, ...] = ()
    post_spike: tuple[Stmt, ...] = ()
    pre_axon_spike: tuple[Stmt, ...] = ()
    kind: NeuronKind = NeuronKind.RATE
    creating: StructuralRule | None = None
    pruning: StructuralRule | None = None

    def attribute(self, name: str) -> Attribute | None:
        """The attribute called ``name``, or None."""
        return next((a for a in self.attributes if a.name == name), None)


@dataclass(frozen=True, slots=True)
class PopulationDecl:
    """A population in a module: its model's attributes plus size and inputs."""

    id: int
    name: str
    geometry: tuple[int, ...]
    kind: NeuronKind
    attributes: tuple[Attribute, ...]
    targets: tuple[str, ...] = ()
    delayed: tuple[str, ...] = ()

    @property
    def size(self) -> int:
        """Number of neurons."""
        n = 1
        for d in self.geometry:
            n *= d
        return n

    def attribute(self, name: str) -> Attribute | None:
        """The attribute called ``name``, or None."""
        return next((a for a in self.attributes if a.name == name), None)


@dataclass(frozen=True, slots=True)
class ConnectivityStats:
    """Shape of a projection's connectivity, measured after its connector ran (format selection input).

    ``contiguous_rows``: every dendrite holds the same contiguous pre ranks (no holes). ``holes``: the
    dense variant the rows fit (:class:`~nnc.ir.types.Holes`), None when no dense variant does; stats
    that leave it unset count as ``Holes.NONE`` when ``contiguous_rows`` holds (see :meth:`dense_holes`).
    ``box``: width of the common box of pre ranks of a dense variant (0 otherwise).
    """

    n_pre: int
    n_post: int
    n_dendrites: int
    n_synapses: int
    min_row: int
    max_row: int
    contiguous_rows: bool
    holes: Holes | None = None
    box: int = 0

    def dense_holes(self) -> Holes | None:
        """The dense variant that holds this connectivity, or None when dense storage cannot."""
        if not self.n_synapses:
            return None
        return Holes.NONE if self.contiguous_rows else self.holes


@dataclass(frozen=True, slots=True, eq=False)
class ConnectorRef:
    """Where a module read from text finds a projection's synapses (``connect`` line of the text form).

    ``kind`` is ``file`` (``args``: ``path``, the sidecar ``.npz`` relative to the text, and ``key``, the
    prefix of the projection's arrays in it) or a synthetic connector of the API (``all_to_all``,
    ``one_to_one``, ``fixed_probability``, ``fixed_number_pre``, ``fixed_number_post``) with its keyword
    arguments (numbers, booleans, strings or random distributions). Only ``nnc run`` reads it; the
    compiler ignores it.
    """

    kind: str
    args: tuple[tuple[str, object], ...] = ()

    def _key(self) -> tuple[object, ...]:
        """Arguments by value (distributions by type and parameters: they have no equality of their own)."""
        out = []
        for name, value in self.args:
            keywords = getattr(value, "keywords", None)
            out.append(
                (name, (type(value).__name__, tuple(keywords().items())) if callable(keywords) else value)
            )
        return (self.kind, tuple(out))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ConnectorRef) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def arg(self, name: str, default: object = None) -> object:
        """The argument called ``name``, or ``default``."""
        return next((v for k, v in self.args if k == name), default)


@dataclass(frozen=True, slots=True)
class Stencil:
    """The access pattern of a projection stored in ``Format.STENCIL`` (convolution, pooling).

    Dendrite ``d`` has an anchor, pre-synaptic coordinates ``A[d]`` (``ConnField.CENTER``). Its synapses
    are the ``size`` positions of the box ``extent`` (one length per pre-synaptic dimension), in
    row-major order: position ``p`` with box index ``j`` reads the pre-synaptic neuron at coordinates
    ``A[d] + origin + j``. Where those fall outside the population, ``padding`` decides (``VALUE``: its
    pre-synaptic attributes read ``value``; ``BORDER``: each coordinate is clamped into the population;
    ``SKIP``: the position takes no part in the reduction, whose ``mean`` still divides by ``size`` and
    whose ``max``/``min`` are 0 when no position is inside). The local attributes of position ``p`` are
    in slot ``W_ROW[d] + p`` (``ConnField.W_ROW``): dendrites that share a filter share its slots.
    """

    extent: tuple[int, ...]
    origin: tuple[int, ...]
    padding: Padding = Padding.VALUE
    value: float = 0.0

    @property
    def size(self) -> int:
        """Positions of the box."""
        n = 1
        for e in self.extent:
            n *= e
        return n

    def offsets(self) -> tuple[tuple[int, ...], ...]:
        """``origin + j`` of every position, in row-major order of the box."""
        out: list[tuple[int, ...]] = [()]
        for lo, n in zip(self.origin, self.extent, strict=True):
            out = [(*o, lo + j) for o in out for j in range(n)]
        return tuple(out)


@dataclass(frozen=True, slots=True)
class ProjectionDecl:
    """A projection in a module."""

    id: int
    name: str
    pre: int
    post: int
    targets: tuple[str, ...]
    attributes: tuple[Attribute, ...]
    operation: ReduceOp = ReduceOp.SUM
    stats: ConnectivityStats | None = None
    format_hint: Format | None = None
    delay: DelayKind = DelayKind.NONE
    format: Format | None = None
    format_reason: str = field(default="", compare=False)
    holes: Holes = Holes.NONE  # the DENSE variant (select-format); NONE for the other formats
    current: bool = False  # a current injection: rate-coded pre, adds pre.r to the post's g_<target>
    decoding: bool = False  # a decoding projection: spikes of a sliding window to a rate-coded sum(target)
    dynamic: bool = False  # structural plasticity: synapses are created and pruned at run time (CSR)
    #: a specific projection whose TRANSMIT kernel is its own dendrite loop (a BOLD monitor's accumulating
    #: projection): it reads pre-synaptic attributes every step, whatever the pre population's kind
    specific: bool = False
    #: local attributes that delivered spikes read from a copy in pre->post order (select-format)
    mirrored: tuple[str, ...] = ()
    #: the access pattern of a convolution or pooling projection (``Format.STENCIL``)
    stencil: Stencil | None = None
    #: the projection whose synapses this one reads instead of having its own: in that projection's
    #: format (a copy) or in ``Format.TRANSPOSED``; its kernels read that projection's local attributes
    shares: int | None = None
    #: post-synaptic variables, besides the conductances, that delivered spikes add to (the normalised
    #: spike count of a ``NormProjection``, nnc.extensions.bold): local real variables of a spiking post,
    #: written like ``g_<target>`` only in the event loops, which every engine partitions by post neuron
    post_writes: tuple[str, ...] = ()
    #: the synapses of a module read from text (``nnc run``); None in modules built from Python
    connect: ConnectorRef | None = None

    def attribute(self, name: str) -> Attribute | None:
        """The attribute called ``name``, or None."""
        return next((a for a in self.attributes if a.name == name), None)


@dataclass(frozen=True, slots=True)
class Kernel:
    """The work of one object in one phase of a step.

    Gating, implemented by every engine from the run-time control slots (nnc/backend/abi.py):
    * population kernels (CLEAR_INPUTS, NEURON, DELAY, GLOBAL_OPS) run iff the population is ENABLED;
    * TRANSMIT kernels run iff the projection's TRANSMISSION flag is set and its post population is enabled;
    * SYNAPSE kernels run iff TRANSMISSION and UPDATE are set, the post population is enabled and
      ``(k - LEARN_OFFSET) mod LEARN_PERIOD == 0``; inside them ``Dt()`` means ``LEARN_PERIOD * dt`` and an
      ``Assign``/``Clamp`` of ``w`` runs only if PLASTICITY is set (SEMANTICS.md §8);
    * a fused dendrite (:class:`~nnc.ir.nodes.ForDendrite`) inside a population kernel runs iff its
      projection's TRANSMISSION flag is set (the kernel itself is gated as a population kernel).

    ``fused`` names the kernels the fuse pass merged into this one, in their former order (part of the
    printed IR); ``notes`` explains candidates that were not merged (printed as comments only).
    """

    name: str
    phase: Phase
    owner: ObjKind
    owner_id: int
    body: tuple[Stmt, ...]
    fused: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=(), compare=False)


@dataclass(frozen=True, slots=True)
class Module:
    """A whole network: what one JIT module is compiled from."""

    name: str
    precision: Precision
    dt: float
    populations: tuple[PopulationDecl, ...]
    projections: tuple[ProjectionDecl, ...] = ()
    kernels: tuple[Kernel, ...] = ()
    constants: tuple[str, ...] = ()
    #: values of (some of) the ``constants`` as a module read from text gives them (``nnc run``)
    constant_values: tuple[tuple[str, float], ...] = ()

    def population(self, pid: int) -> PopulationDecl:
        """Population with id ``pid``."""
        return self.populations[pid]

    def projection(self, pid: int) -> ProjectionDecl:
        """Projection with id ``pid``."""
        return self.projections[pid]

    def owner_attributes(self, kernel: Kernel) -> tuple[Attribute, ...]:
        """Attributes of the object that owns ``kernel``."""
        if kernel.owner is ObjKind.POPULATION:
            return self.populations[kernel.owner_id].attributes
        return self.projections[kernel.owner_id].attributes

    def dendrite_kernel(self, node: ForDendrite) -> Kernel:
        """The TRANSMIT kernel a fused dendrite stands for: ``for dendrite: <node.body>`` of its projection
        (its names, reductions and random counters are resolved against this kernel)."""
        proj = self.projections[node.proj]
        body = (ForEach(Domain.DENDRITE, node.body),)
        return Kernel(f"{proj.name}.transmit", Phase.TRANSMIT, ObjKind.PROJECTION, proj.id, body)
