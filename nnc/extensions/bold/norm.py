"""``NormProjection``: a spiking projection that also counts its spikes, normalised, in a post variable.

Each spike that reaches post neuron ``i`` through synapse ``ij`` does what the default spiking synapse
does (``g_target += w``) and adds ``1 / nb_aff_synapse[i]`` to the post-synaptic variable ``variable``,
where ``nb_aff_synapse[i]`` is the number of synapses that neuron ``i`` receives from *all* the
projections onto its population (this one included). A BOLD model can then read the normalised synaptic
activity of a population (the reference's ``NormProjection``).

The projection is an ordinary spiking projection: its synapse model is the default one plus the
semiglobal parameter ``nb_aff_synapse`` (filled in when the network is built), and its ``pre_spike``
event gets the statement ``post.<variable> += 1 / nb_aff_synapse`` in IR (the DSL lets a synapse
assign only its own attributes; this projection is the one place that writes another post variable
than its conductance, in the same loop and at the same moment as ``g_target``). Both engines run it as
any spiking projection, in every format. As in the reference, synaptic delays are ignored (a
warning says so): a spike arrives one step after it was emitted.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from nnc.api.projection import Projection
from nnc.descriptions.models import Synapse
from nnc.diagnostics import ModelError
from nnc.frontend.assemble import ProjectionSpec
from nnc.ir.nodes import Assign, Binary, BinaryOp, Const, Var
from nnc.ir.types import DelayKind, DType, Locality, Scope

if TYPE_CHECKING:
    from nnc.ir.model import ProjectionDecl
    from nnc.runtime.buffers import Buffers

#: The semiglobal parameter holding the number of afferent synapses of each post neuron.
NB_AFF = "nb_aff_synapse"


class NormProjection(Projection):
    """Spiking pre and post; each delivered spike adds ``w`` to ``g_target`` and ``1/nb_aff_synapse`` to
    ``post.<variable>``. Connect it with any connector; a custom ``synapse`` is not allowed."""

    def __init__(
        self,
        pre: object,
        post: object,
        target: str,
        variable: str,
        synapse: object = None,
        name: str | None = None,
        **kwargs: object,
    ):
        if synapse is not None:
            raise ModelError("NormProjection does not allow the usage of customized spiking synapses yet.")
        model = Synapse(
            parameters=f"{NB_AFF} = 1.0 : postsynaptic",
            pre_spike="g_target += w",
            name="NormProjection",
            description="Spiking synapse that also adds 1/nb_aff_synapse to a post-synaptic variable",
        )
        super().__init__(pre, post, target, model, name, **kwargs)
        for side, pop in (("pre", self.pre.population), ("post", self.post.population)):
            if not pop.is_spiking:
                raise ModelError(f"The {side}-synaptic population of a NormProjection must be spiking.")
        attribute = self.post.population.neuron_model.attribute(variable)
        if attribute is None or attribute.kind.value != "var" or attribute.locality is not Locality.LOCAL:
            raise ModelError(
                f"NormProjection: variable `{variable}` might be invalid. Please check the neuron model "
                f"of population {self.post.population.name} (a per-neuron variable is needed)"
            )
        self.__dict__["_variable"] = attribute

    def _prepare(self, rng: object, aux_rng: object, env: object) -> ProjectionSpec:
        spec = super()._prepare(rng, aux_rng, env)  # type: ignore[arg-type]
        a = self._variable
        target = Var(a.name, a.dtype, Locality.LOCAL, Scope.POST)
        share = Binary(BinaryOp.DIV, Const(1.0), Var(NB_AFF, DType.REAL, Locality.SEMIGLOBAL, Scope.SELF))
        count = Assign(target, Binary(BinaryOp.ADD, target, share))
        model = replace(spec.model, pre_spike=(*spec.model.pre_spike, count))
        return replace(spec, model=model, post_writes=(a.name,))

    def _delay_kind(self) -> DelayKind:
        """The reference delivers the spikes of the last step whatever the delays: so does nnc."""
        if self._conn.max_delay > 1:
            self._warn(
                f"NormProjection {self.name}: synaptic delays are ignored (spikes arrive after one step)"
            )
        return DelayKind.NONE

    def _bind(self, buffers: Buffers, decl: ProjectionDecl) -> None:
        super()._bind(buffers, decl)
        post = self.post.population
        total = np.zeros(post.size, dtype=np.float64)
        for proj in self.network.get_projections():
            if proj.post.population is post and getattr(proj, "_conn", None) is not None:
                np.add.at(total, proj._conn.post_ranks, proj._conn.row_lengths)
        self._values.write(NB_AFF, total[self._conn.post_ranks])
