"""Where IR names live: the slot of every attribute, input and global operation a kernel touches, and the
element position of each loop level.

A kernel of a population reads its own attributes (global: element 0; local: the current neuron).
A kernel of a projection reads its attributes (global: 0; semiglobal: the current dendrite; local: the
current synapse slot), its pre population's at the synapse's pre rank and its post population's at the
dendrite's post rank (global ones at 0); ``sum(t)`` likewise.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from llvmlite import ir

from nnc.backend.abi import (
    BlockPartialKey,
    ConnField,
    ConnKey,
    ConstantKey,
    GlobalOpKey,
    InputKey,
    MirrorKey,
    QueueKey,
    SlotKey,
    SourceField,
    SourceKey,
    SpikeField,
    SpikeKey,
    StateKey,
    TimedField,
    TimedKey,
    attribute_owner,
    conn_key,
)
from nnc.backend.llvm.access import At
from nnc.backend.llvm.expr import I32
from nnc.backend.llvm.formats import Row
from nnc.diagnostics import BackendError
from nnc.ir.model import (
    DECODING_WINDOW,
    LAST_EVENT,
    LAST_SPIKE,
    REFRACTORY_LEFT,
    SOURCE_COUNTER,
    SOURCE_NEXT,
    Kernel,
    Module,
    PopulationDecl,
    ProjectionDecl,
)
from nnc.ir.nodes import (
    AddInput,
    Assign,
    Clamp,
    ClearInputs,
    ComputeGlobalOp,
    Delayed,
    EventAge,
    Expr,
    ForDendrite,
    ForEach,
    GlobalOpValue,
    Input,
    PushDelayed,
    SourceDue,
    Spike,
    SpikeTime,
    Stmt,
    TimedStep,
    Var,
    stmt_exprs,
    walk,
)
from nnc.ir.types import DelayKind, Domain, DType, Enum, Locality, ObjKind, Scope


class Role(Enum):
    """Which element of the current loop an array is indexed by."""

    SELF = "self"  # the neuron (population kernels) or the synapse slot (projection kernels)
    DENDRITE = "dendrite"
    PRE = "pre"  # pre rank of the current synapse
    POST = "post"  # post rank of the current dendrite
    EVENT = "event"  # position of a delivered synapse in the pre->post index (mirrored attributes)


@dataclass(slots=True)
class Element:
    """The loop level being lowered: element positions per role, temporaries, lanes, random counter."""

    domain: Domain | None
    at: dict[Role, At]
    temps: dict[str, ir.Value] = field(default_factory=dict)
    width: int = 1
    mask: ir.Value | None = None
    counter: tuple[ir.Value, ir.Value] = (I32(0), I32(0))
    row: Row | None = None
    #: lanes whose pre-synaptic neuron lies outside the population (a stencil's padded positions): their
    #: pre-synaptic attributes are not read and take the value ``padding`` instead
    outside: ir.Value | None = None
    padding: float = 0.0

    def inner(
        self, domain: Domain, at: dict[Role, At], counter: tuple[ir.Value, ir.Value], **kw: object
    ) -> Element:
        """The element of a nested loop (sees the enclosing positions and temporaries)."""
        return replace(
            self, domain=domain, at={**self.at, **at}, temps=dict(self.temps), counter=counter, **kw
        )

    def position(self, role: Role | None, what: str) -> At | None:
        """Position for ``role`` (None: element 0 of a one-element array)."""
        if role is None:
            return None
        at = self.at.get(role)
        if at is None:
            level = self.domain.value if self.domain else "kernel top level"
            raise BackendError(f"{what} cannot be read or written at the {level}")
        return at


_PROJ_SELF_ROLE = {Locality.GLOBAL: None, Locality.SEMIGLOBAL: Role.DENDRITE, Locality.LOCAL: Role.SELF}
_NEIGHBOUR_ROLE = {Scope.PRE: Role.PRE, Scope.POST: Role.POST}


class Places:
    """Slot keys and roles of the names a kernel uses."""

    def __init__(self, module: Module, kernel: Kernel):
        self.module = module
        self.kernel = kernel
        owner = kernel.owner_id
        self.projection: ProjectionDecl | None = None
        self.own_population: PopulationDecl | None = None
        if kernel.owner is ObjKind.PROJECTION:
            self.projection = module.projections[owner]
        else:
            self.own_population = module.populations[owner]

    @property
    def population(self) -> PopulationDecl:
        """The population owning the kernel."""
        if self.own_population is None:
            raise BackendError(f"kernel {self.kernel.name}: a population statement in a projection kernel")
        return self.own_population

    @property
    def proj(self) -> ProjectionDecl:
        """The projection owning the kernel."""
        if self.projection is None:
            raise BackendError(f"kernel {self.kernel.name}: a projection statement in a population kernel")
        return self.projection

    def pop_id(self, scope: Scope) -> int:
        """Population seen through ``scope``."""
        if self.projection is None:
            return self.population.id
        match scope:
            case Scope.PRE:
                return self.projection.pre
            case Scope.POST:
                return self.projection.post
        raise BackendError(
            f"kernel {self.kernel.name}: a projection has no population of scope {scope.value}"
        )

    def state(self, v: Var) -> tuple[SlotKey, Role | None]:
        """Slot and position role of attribute ``v``."""
        if v.scope is Scope.NETWORK:
            return ConstantKey(v.name), None
        local = v.locality is not Locality.GLOBAL
        if self.projection is None:
            if v.scope is not Scope.SELF:
                raise BackendError(
                    f"kernel {self.kernel.name}: {v.scope.value}.{v.name} in a population kernel"
                )
            return StateKey(ObjKind.POPULATION, self.population.id, v.name), (Role.SELF if local else None)
        if v.scope is Scope.SELF:
            owner = attribute_owner(self.projection)
            return StateKey(ObjKind.PROJECTION, owner, v.name), _PROJ_SELF_ROLE[v.locality]
        role = _NEIGHBOUR_ROLE[v.scope] if local else None
        return StateKey(ObjKind.POPULATION, self.pop_id(v.scope), v.name), role

    def mirrored(self, v: Var) -> bool:
        """Whether ``v`` is an attribute of the kernel's projection kept in pre->post order too."""
        return self.projection is not None and v.scope is Scope.SELF and v.name in self.projection.mirrored

    def input(self, node: Input) -> tuple[SlotKey, Role]:
        """Slot and role of ``sum(target)``."""
        role = Role.SELF if self.projection is None else _NEIGHBOUR_ROLE.get(node.scope)
        if role is None:
            raise BackendError(
                f"kernel {self.kernel.name}: sum({node.target}) of a projection needs pre. or post."
            )
        return InputKey(self.pop_id(node.scope), node.target), role

    def global_op(self, node: GlobalOpValue) -> SlotKey:
        """Slot of a global operation's result."""
        return GlobalOpKey(self.pop_id(node.scope), node.op, node.var)

    def slots_of(self, body: tuple[Stmt, ...]) -> list[SlotKey]:
        """Every slot the statements use, in first-use order (connectivity first for projections).

        A fused dendrite's statements are resolved against its projection (and add its connectivity).
        """
        keys: dict[SlotKey, None] = {}
        if self.projection is not None:
            for f in ConnField:
                keys[conn_key(self.projection, f)] = None
        self._collect(body, keys)
        return list(keys)

    def _collect(self, body: tuple[Stmt, ...], keys: dict[SlotKey, None]) -> None:
        for s in body:
            if isinstance(s, ForDendrite):
                nested = Places(self.module, self.module.dendrite_kernel(s))
                keys.update(dict.fromkeys(nested.slots_of(s.body)))
                continue
            for k in self._stmt_slots(s):
                keys[k] = None
            for e in stmt_exprs(s):
                for node in walk(e):
                    for k in self._expr_slots(node):
                        keys[k] = None
            if isinstance(s, ForEach):
                for k in self._event_slots(s):
                    keys[k] = None
                self._collect(s.body, keys)
            if isinstance(s, Spike):
                self._collect(s.reset, keys)
                self._collect(s.axon_reset, keys)

    def _event_slots(self, loop: ForEach) -> list[SlotKey]:
        """Spike lists an event loop walks (the pre population's, or the post population's)."""
        if not loop.domain.is_event:
            return []
        pop = self.proj.post if loop.domain is Domain.POST_SPIKE else self.proj.pre
        lists = (
            SpikeField.RING,
            SpikeField.COUNTS,
            SpikeField.AXON,
            SpikeField.AXON_COUNTS,
            SpikeField.CURRENT,
        )
        keys: list[SlotKey] = [SpikeKey(pop, f) for f in lists]
        if loop.domain is Domain.RECENT_SPIKE:
            keys.append(StateKey(ObjKind.PROJECTION, self.proj.id, DECODING_WINDOW))
        return keys

    def _stmt_slots(self, s: Stmt) -> list[SlotKey]:
        match s:
            case Assign(target=t) | Clamp(target=t):
                return [self.state(t)[0]]
            case AddInput(target=t):
                return [InputKey(self.proj.post, t)]
            case ClearInputs(targets=ts):
                return [InputKey(self.population.id, t) for t in ts]
            case ComputeGlobalOp(op=op, var=v):
                pop = self.population.id
                state = StateKey(ObjKind.POPULATION, pop, v)
                return [state, GlobalOpKey(pop, op, v), BlockPartialKey(pop, op, v)]
            case PushDelayed(vars=vs):
                pop = self.population.id
                return [k for v in vs for k in (StateKey(ObjKind.POPULATION, pop, v), QueueKey(pop, v))]
            case TimedStep(var=v):
                pop = self.population.id
                fields = (TimedField.RATES, TimedField.SCHEDULE)
                return [StateKey(ObjKind.POPULATION, pop, v), *(TimedKey(pop, f) for f in fields)]
            case Spike():
                pop = self.population.id
                state = [StateKey(ObjKind.POPULATION, pop, n) for n in (REFRACTORY_LEFT, LAST_SPIKE, "r")]
                return [*state, *(SpikeKey(pop, f) for f in SpikeField)]
        return []

    def _expr_slots(self, node: Expr) -> list[SlotKey]:
        match node:
            case Var() if self.mirrored(node):
                return [self.state(node)[0], MirrorKey(self.proj.id, node.name)]
            case Var():
                return [self.state(node)[0]]
            case Input():
                return [self.input(node)[0]]
            case GlobalOpValue():
                return [self.global_op(node)]
            case Delayed(var=v) if self.proj.delay is not DelayKind.NONE:
                return [QueueKey(self.pop_id(v.scope), v.name)]
            case SpikeTime(scope=scope):
                return [self.state(Var(LAST_SPIKE, DType.INT, Locality.LOCAL, scope))[0]]
            case EventAge():
                return [StateKey(ObjKind.PROJECTION, self.proj.id, LAST_EVENT)]
            case SourceDue():
                pop = self.population.id
                state = [StateKey(ObjKind.POPULATION, pop, n) for n in (SOURCE_NEXT, SOURCE_COUNTER)]
                return [*state, SourceKey(pop, SourceField.TIMES), SourceKey(pop, SourceField.OFFSETS)]
        return []


def slot_name(key: SlotKey) -> str:
    """A readable name for the LLVM argument holding the buffer of ``key`` (``P0.v``, ``sum.P1.exc`` ...)."""
    match key:
        case StateKey(owner=owner, owner_id=i, name=n):
            return f"{'P' if owner is ObjKind.POPULATION else 'J'}{i}.{n}"
        case InputKey(pop=i, target=t):
            return f"sum.P{i}.{t}"
        case GlobalOpKey(pop=i, op=op, var=v):
            return f"{op.value}.P{i}.{v}"
        case BlockPartialKey(pop=i, op=op, var=v):
            return f"partials.{op.value}.P{i}.{v}"
        case ConstantKey(name=n):
            return f"const.{n}"
        case ConnKey(proj=i, field=f):
            return f"J{i}.{f.value}"
        case QueueKey(pop=i, var=v):
            return f"queue.P{i}.{v}"
        case TimedKey(pop=i, field=f):
            return f"timed.P{i}.{f.value}"
        case SpikeKey(pop=i, field=f):
            return f"spikes.P{i}.{f.value}"
        case MirrorKey(proj=i, name=n):
            return f"J{i}.{n}.pre_major"
    return "slot"
