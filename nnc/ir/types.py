"""Closed sets of the IR: value types, localities, scopes, numerical methods, loop domains, phases."""

from __future__ import annotations

import enum


class Enum(enum.Enum):
    """The enumerations of the IR and the backends: members hash by identity.

    A member is equal only to itself (plain ``enum.Enum`` semantics), so its identity is a valid hash;
    ``enum.Enum.__hash__`` hashes the member's name in Python code on every call, and the compiler hashes
    enum-keyed buffer and slot keys a few hundred thousand times per compile of a large network (15 % of
    a cached compile of 200 populations). Hashes of strings differ between processes anyway, so nothing
    relies on them being stable.
    """

    __hash__ = object.__hash__


class DType(Enum):
    """Type of an IR value. ``REAL`` is the model float type (f64 or f32, see :class:`Precision`)."""

    REAL = "real"
    INT = "int"
    BOOL = "bool"


class Precision(Enum):
    """What ``DType.REAL`` means for a whole module."""

    F64 = "f64"
    F32 = "f32"


class Locality(Enum):
    """How many values an attribute has (DSL.md §3.3)."""

    GLOBAL = "global"
    SEMIGLOBAL = "semiglobal"
    LOCAL = "local"


class Scope(Enum):
    """Whose attribute a name refers to."""

    SELF = "self"
    PRE = "pre"
    POST = "post"
    NETWORK = "const"


class AttrKind(Enum):
    """Parameters are never assigned by equations; variables are."""

    PARAMETER = "param"
    VARIABLE = "var"


class Method(Enum):
    """Numerical method of an ODE (DSL.md §9)."""

    EXPLICIT = "explicit"
    IMPLICIT = "implicit"
    SEMIIMPLICIT = "semiimplicit"
    EXPONENTIAL = "exponential"
    MIDPOINT = "midpoint"
    RK4 = "rk4"
    EVENT_DRIVEN = "event-driven"


class NeuronKind(Enum):
    """Rate-coded or spiking (DSL.md §1)."""

    RATE = "rate"
    SPIKE = "spike"


class Domain(Enum):
    """The element a loop runs over.

    The spike domains are the events of a step (SEMANTICS.md §4, §9): ``PRE_SPIKE`` runs over the
    pre-synaptic spikes a projection delivers this step, ``AXON_SPIKE`` over the axonal ones,
    ``POST_SPIKE`` over the post-synaptic neurons that fired this step; each holds a ``SYNAPSE`` loop over
    the synapses the event touches. ``RECENT_SPIKE`` runs over every spike of the pre-synaptic
    population in the last ``_window`` steps (the projection's hidden global int; ages 0 .. W-1, most
    recent first), each over all its synapses (a decoding projection's sliding window).
    """

    NEURON = "neuron"
    DENDRITE = "dendrite"
    SYNAPSE = "synapse"
    PRE_SPIKE = "pre_spike"
    AXON_SPIKE = "axon_spike"
    POST_SPIKE = "post_spike"
    RECENT_SPIKE = "recent_spike"  # every pre spike of the last _window steps (DecodingProjection)

    @property
    def is_event(self) -> bool:
        """Whether the loop runs over the events of the step."""
        return self in (Domain.PRE_SPIKE, Domain.AXON_SPIKE, Domain.POST_SPIKE, Domain.RECENT_SPIKE)


class ObjKind(Enum):
    """The kind of network object that owns a kernel."""

    POPULATION = "population"
    PROJECTION = "projection"


class Phase(Enum):
    """Phases of one simulation step, in execution order (SEMANTICS.md §2)."""

    CLEAR_INPUTS = 1
    TRANSMIT = 2
    RECORD_INPUTS = 3
    NEURON = 5
    DELAY = 6
    GLOBAL_OPS = 7
    SYNAPSE = 8
    POST_EVENTS = 9
    STRUCTURAL = 10
    RECORD = 11


class Format(Enum):
    """Storage format of a projection's connectivity (chosen by the select-format pass).

    ``STENCIL``: the synapses of a dendrite are the positions of a box of pre-synaptic coordinates
    around the dendrite's anchor (convolution, pooling; :class:`nnc.ir.model.Stencil`); pre ranks are
    computed, not stored, and the local attributes (the filter weights) are shared between dendrites.
    ``TRANSPOSED``: the synapses of another projection read backwards (``ProjectionDecl.shares``):
    dendrite ``d`` holds that projection's synapses from pre rank ``d``, through its pre->post index.
    """

    DENSE = "dense"
    CSR = "csr"
    ELL = "ell"
    STENCIL = "stencil"
    TRANSPOSED = "transposed"


#: The formats that store a connector's list of synapses (every one can hold any connectivity DENSE
#: can, and gives the same results); STENCIL and TRANSPOSED describe access patterns of their own.
LIST_FORMATS = (Format.DENSE, Format.CSR, Format.ELL)


class Padding(Enum):
    """What a stencil position outside the pre-synaptic population reads (:class:`nnc.ir.model.Stencil`)."""

    VALUE = "value"  # pre-synaptic attributes read the stencil's padding value there
    BORDER = "border"  # the coordinates are clamped to the population: the border neuron is read
    SKIP = "skip"  # the position takes no part in the dendrite's reduction


class Holes(Enum):
    """Which synapses a DENSE row lacks in its box of pre ranks ``[PRE_OFFSET, PRE_OFFSET + ROW_STRIDE)``.

    ``SELF``: the row of post rank ``i`` lacks exactly pre rank ``i`` where ``i`` lies in the box: the
    self-connection that connectors drop (API.md §7.2: "Self-connection exclusion removes the synapse
    whose pre rank equals the post rank"; for ``all_to_all`` when "the underlying populations are the
    same object and ``allow_self_connections`` is False").
    """

    NONE = "none"  # every row is the whole box
    SELF = "self"  # every row is the whole box minus its own post rank (where that rank is in the box)


class DelayKind(Enum):
    """How a projection delays what it reads from its pre-synaptic population (SEMANTICS.md §5)."""

    NONE = "none"  # at most one step: read the live arrays
    UNIFORM = "uniform"  # one delay (steps, a run-time value) for every synapse
    NONUNIFORM = "nonuniform"  # one delay per synapse
