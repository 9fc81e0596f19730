"""select-format: choose each projection's storage format from its connectivity's shape.

Pre: every projection has ``stats`` (its connector ran). Post: every projection has ``format``, a
human-readable ``format_reason`` (printed by ``nnc dump-ir`` as a comment) and, for DENSE, the variant
``holes`` (``Holes.SELF``: rows lack their own post rank, as ``all_to_all`` of a population onto itself).
Kernels are unchanged: one kernel builder per backend consumes the format descriptor.

The candidates are tried in order; the first whose predicate accepts the connectivity wins (GeNN's
``isCompatible`` idea). A user's ``storage_format`` hint wins over the automatic order when the format can
represent the connectivity; otherwise the choice and the reason are shown, never silently changed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import ClassVar

from nnc.ir.model import ConnectivityStats, Module, ProjectionDecl
from nnc.ir.nodes import Assign, Clamp, ForEach, Var, stmt_exprs, walk, walk_stmts
from nnc.ir.types import Domain, Format, Holes, Locality, NeuronKind, ObjKind, Scope
from nnc.options import CompileOptions
from nnc.passes.registry import register

#: The structure of every projection from a spiking population (shown by ``nnc dump-ir``).
SPIKING_REASON = (
    "spiking: delivered through a pre->post index sorted by (delay, post rank), post-partitioned "
    "between threads; post->pre rows in csr"
)

#: The structure of every rate-coded projection of a network with structural plasticity.
DYNAMIC_REASON = "structural plasticity: synapses are created and pruned at run time, rows in csr"

#: ELL pads every row to the longest one; accept it while padding wastes at most this fraction of slots.
ELL_MAX_PADDING = 0.25


def _dense(st: ConnectivityStats) -> str | None:
    match st.dense_holes():
        case Holes.NONE:
            return f"every dendrite reads the same {st.max_row} contiguous pre ranks"
        case Holes.SELF:
            return (
                f"every dendrite reads the same {st.box} contiguous pre ranks except its own post rank "
                f"(no self-connections: holes=self)"
            )
    return None


def _ell(st: ConnectivityStats) -> str | None:
    if not st.n_synapses:
        return None
    slots = st.n_dendrites * st.max_row
    padding = 1.0 - st.n_synapses / slots
    if padding <= ELL_MAX_PADDING:
        return f"row lengths in [{st.min_row}, {st.max_row}], padding {padding:.0%} <= {ELL_MAX_PADDING:.0%}"
    return None


def _csr(st: ConnectivityStats) -> str | None:
    if not st.n_synapses:
        return "no synapses"
    return f"row lengths in [{st.min_row}, {st.max_row}] vary too much for ell"


#: (format, predicate returning the reason when the format suits the connectivity), in order of preference
CANDIDATES: tuple[tuple[Format, Callable[[ConnectivityStats], str | None]], ...] = (
    (Format.DENSE, _dense),
    (Format.ELL, _ell),
    (Format.CSR, _csr),
)

#: what each format can represent at all (the user's hint is honoured when this holds)
_REPRESENTS: dict[Format, Callable[[ConnectivityStats], bool]] = {
    Format.DENSE: lambda st: st.dense_holes() is not None,
    Format.ELL: lambda st: True,
    Format.CSR: lambda st: True,
}


def _mirrored(module: Module, proj: ProjectionDecl) -> tuple[str, ...]:
    """Local attributes of ``proj`` read by delivered spikes and assigned by no kernel."""
    kernels = [k for k in module.kernels if k.owner is ObjKind.PROJECTION and k.owner_id == proj.id]
    assigned = {
        s.target.name
        for k in kernels
        for s in walk_stmts(k.body)
        if isinstance(s, Assign | Clamp) and s.target.scope is Scope.SELF
    }
    local = {a.name for a in proj.attributes if a.locality is Locality.LOCAL}
    read: list[str] = []
    for k in kernels:
        for loop in k.body:
            if isinstance(loop, ForEach) and loop.domain in (
                Domain.PRE_SPIKE,
                Domain.AXON_SPIKE,
                Domain.RECENT_SPIKE,
            ):
                for s in walk_stmts(loop.body):
                    for e in stmt_exprs(s):
                        for n in walk(e):
                            if isinstance(n, Var) and n.scope is Scope.SELF and n.name in local:
                                read.append(n.name)
    return tuple(n for n in dict.fromkeys(read) if n not in assigned)


def _shared(projections: tuple[ProjectionDecl, ...], proj: ProjectionDecl) -> ProjectionDecl:
    """A projection that reads another's synapses: TRANSPOSED (its pre->post index), or the other's
    format and variant (a copy)."""
    if proj.shares is None:
        return proj
    owner = projections[proj.shares]
    if proj.format is Format.TRANSPOSED:
        reason = f"the synapses of {owner.name} read from post to pre (its pre->post index)"
        return replace(proj, format_reason=reason, holes=Holes.NONE)
    reason = f"the synapses of {owner.name}, in its format"
    return replace(proj, format=owner.format, holes=owner.holes, stencil=owner.stencil, format_reason=reason)


def _stencil_reason(proj: ProjectionDecl, default_hint: Format | None) -> str:
    """Why a convolution or pooling projection is stored as a stencil (a hint cannot change it)."""
    st = proj.stencil
    assert st is not None
    box = "x".join(str(e) for e in st.extent)
    reason = f"every dendrite reads a {box} box of pre-synaptic coordinates around its anchor"
    hint = proj.format_hint or default_hint
    if hint is not None:
        reason += f" (storage_format '{hint.value}' does not apply to convolution and pooling)"
    return reason


def choose(stats: ConnectivityStats, hint: Format | None) -> tuple[Format, str]:
    """The format of a projection with connectivity ``stats`` and the user's ``hint``, with the reason."""
    if hint is not None:
        if _REPRESENTS[hint](stats):
            return hint, "storage_format requested by the user"
        auto, why = choose(stats, None)
        return auto, (
            f"storage_format '{hint.value}' requested, but it cannot hold this connectivity "
            f"(dendrites differ in their pre ranks); {auto.value}: {why}"
        )
    for fmt, accepts in CANDIDATES:
        reason = accepts(stats)
        if reason is not None:
            return fmt, reason
    raise AssertionError("csr accepts every connectivity")


@register("select-format", default=True)
@dataclass(frozen=True, slots=True)
class SelectFormat:
    """Set ``format`` and ``format_reason`` of every projection.

    ``default_hint`` is the network-wide ``sparse_matrix_format`` hint, used for projections without one.
    """

    name: ClassVar[str] = "select-format"
    default_hint: Format | None = None

    @classmethod
    def from_options(cls, options: CompileOptions) -> SelectFormat:
        """The pass as a network's options configure it (the network-wide format hint)."""
        return cls(options.storage_format)

    def __call__(self, module: Module) -> Module:
        projections = tuple(
            self._spiking(module, p)
            if module.populations[p.pre].kind is NeuronKind.SPIKE and not p.specific and p.stencil is None
            else self._select(p)
            for p in module.projections
        )
        return replace(module, projections=tuple(_shared(projections, p) for p in projections))

    def _spiking(self, module: Module, proj: ProjectionDecl) -> ProjectionDecl:
        """Spikes travel pre→post: an index of each pre neuron's synapses, sorted by (delay, post rank)
        so that a thread finds the synapses of its own post neurons by bisection; the post→pre rows
        (post-synaptic events, continuous psp, synaptic equations) are CSR. Local attributes that
        delivered spikes read and nothing assigns (``w`` of a synapse without plasticity) are mirrored
        in pre->post order, so that delivery reads them in sequence instead of gathering them."""
        proj = replace(proj, mirrored=_mirrored(module, proj))
        reason = SPIKING_REASON
        hint = proj.format_hint or self.default_hint
        if hint not in (None, Format.CSR):
            reason += f" (storage_format '{hint.value}' does not apply to spiking projections)"
        return replace(proj, format=Format.CSR, format_reason=reason, holes=Holes.NONE)

    def _select(self, proj: ProjectionDecl) -> ProjectionDecl:
        if proj.dynamic:
            return replace(proj, format=Format.CSR, format_reason=DYNAMIC_REASON, holes=Holes.NONE)
        if proj.shares is not None:
            return proj  # decided by _shared, from the projection it reads
        if proj.stencil is not None:
            return replace(
                proj, format=Format.STENCIL, format_reason=_stencil_reason(proj, self.default_hint)
            )
        if proj.stats is None:
            return replace(proj, format=Format.CSR, format_reason="connectivity unknown at compile time")
        fmt, reason = choose(proj.stats, proj.format_hint or self.default_hint)
        holes = proj.stats.dense_holes() if fmt is Format.DENSE else None
        return replace(proj, format=fmt, format_reason=reason, holes=holes or Holes.NONE)
