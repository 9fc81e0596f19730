"""``DecodingProjection`` (API.md §11): spikes of a sliding window turned into a rate-coded input.

Each step, for post neuron i with ``n_i`` synapses: ``sum(target)_i += Σ w_ij / W · 1000/dt / n_i`` over
the spikes of the pre-synaptic population in the last ``W = int(window/dt)`` steps (steps k-1 .. k-W;
delays are ignored, there is no synapse model). Network assembly gives it a TRANSMIT kernel of its own
(``ProjectionDecl.decoding``): a loop over the window's spikes accumulating the weights per dendrite,
then the dendrite loop that adds the rate.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nnc.api.projection import Projection
from nnc.backend.abi import StateKey
from nnc.diagnostics import ModelError
from nnc.ir.model import DECODING_WINDOW
from nnc.ir.types import ObjKind

if TYPE_CHECKING:
    from nnc.ir.model import ProjectionDecl
    from nnc.runtime.buffers import Buffers


class DecodingProjection(Projection):
    """Spiking pre, rate-coded post; connect with any connector; ``window`` in ms (default ``dt``)."""

    _decoding = True

    def __init__(
        self,
        pre: object,
        post: object,
        target: str,
        window: float = 0.0,
        name: str | None = None,
        **kw: object,
    ):
        super().__init__(pre, post, target, None, name, **kw)
        if not self.pre.population.is_spiking:
            raise ModelError("DecodingProjection: the pre-synaptic population must be spiking")
        if self.post.population.is_spiking:
            raise ModelError("DecodingProjection: the post-synaptic population must be rate-coded")
        dt = self.network.dt
        self.__dict__["window"] = float(window) if window > 0.0 else dt
        self.__dict__["_window_steps"] = max(1, int(self.window / dt))

    def _bind(self, buffers: Buffers, decl: ProjectionDecl) -> None:
        super()._bind(buffers, decl)
        buffers.array(StateKey(ObjKind.PROJECTION, self.id, DECODING_WINDOW))[0] = self._window_steps
