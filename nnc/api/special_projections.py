"""Specific projections of API.md §11: ``CurrentInjection``.

A current injection adds, every step, the rate ``r`` of each neuron of a rate-coded population to the
conductance ``g_<target>`` of the neuron of the same rank of a spiking population (SEMANTICS.md §10,
phase 2; weights are ignored, there is no delay). Network assembly gives it a TRANSMIT kernel of its own
(``ProjectionDecl.current``).
"""

from __future__ import annotations

from nnc.api.projection import Projection
from nnc.diagnostics import ModelError


class CurrentInjection(Projection):
    """``post.g_target[i] += pre.r[i]`` every step: pre rate-coded, post spiking, of the same size.

    Connect it with :meth:`connect_current` (``one_to_one`` with weight 1). Pass it to
    ``net.connect(...)``; constructed alone it joins the default network.
    """

    _current = True

    def __init__(self, pre: object, post: object, target: str, name: str | None = None, **kwargs: object):
        super().__init__(pre, post, target, None, name, **kwargs)
        pre_pop, post_pop = self.pre.population, self.post.population
        if pre_pop.is_spiking:
            raise ModelError(
                f"CurrentInjection: the pre-synaptic population {pre_pop.name} must be rate-coded"
            )
        if not post_pop.is_spiking:
            raise ModelError(
                f"CurrentInjection: the post-synaptic population {post_pop.name} must be spiking"
            )
        if self.pre.size != self.post.size:
            raise ModelError(
                f"CurrentInjection: {pre_pop.name} ({self.pre.size} neurons) and {post_pop.name} "
                f"({self.post.size}) must have the same size"
            )

    def connect_current(self) -> CurrentInjection:
        """Connect neuron i of pre to neuron i of post (weights are not used)."""
        self.one_to_one(weights=1.0)
        return self
