"""``Pooling`` (API.md §11): max, min or mean of the pre-synaptic neurons in each post neuron's box.

The box of post neuron ``i`` starts at ``i · extent`` in each post-synaptic dimension (at 0 in the
pre-synaptic dimensions the post population lacks) and spans ``extent``; positions outside the
population are skipped. ``mean`` divides by the box size.
"""

from __future__ import annotations

import numpy as np

from nnc.diagnostics import ModelError
from nnc.extensions.convolution.anchors import pooling_anchors
from nnc.extensions.convolution.shared import SharedProjection
from nnc.ir.model import Stencil
from nnc.ir.types import Padding
from nnc.runtime.stencil import StencilConnectivity


class Pooling(SharedProjection):
    """Pooling of the pre-synaptic population (``operation``: ``'max'``, ``'min'`` or ``'mean'``).

    Connect it with :meth:`pooling` (or :meth:`connect_pooling`).
    """

    _kind = "Pooling"

    def __init__(
        self,
        pre: object,
        post: object,
        target: str,
        psp: str = "pre.r",
        operation: str = "max",
        name: str | None = None,
        **kwargs: object,
    ):
        if operation not in ("max", "mean", "min"):
            raise ModelError("Pooling: the operation must be either 'max', 'mean' or 'min'.")
        super().__init__(pre, post, target, psp, operation, name, **kwargs)
        self.__dict__["psp"] = psp

    def connect_pooling(self, extent: tuple[int, ...] | None = None, delays: float = 0.0) -> Pooling:
        """Same as :meth:`pooling`."""
        return self.pooling(extent, delays)

    def pooling(self, extent: tuple[int, ...] | None = None, delays: float = 0.0) -> Pooling:
        """Connect: each post neuron pools a box of ``extent`` pre-synaptic neurons (by default the ratio of
        the populations' geometries, which must then have the same number of dimensions)."""
        pre, post = self.pre.geometry, self.post.geometry
        if extent is None:
            if len(pre) != len(post):
                raise ModelError(
                    "Pooling: If you do not provide the extent parameter, the two populations must have the "
                    "same number of dimensions."
                )
            if any(p % q for p, q in zip(pre, post, strict=True)):
                raise ModelError(
                    "Pooling: Unable to compute the extent of the pooling area: the number of neurons do not "
                    "match."
                )
            box = tuple(p // q for p, q in zip(pre, post, strict=True))
        elif not isinstance(extent, tuple) or len(extent) < len(pre):
            raise ModelError("Pooling: You must provide a tuple for the extent of the pooling operation.")
        else:
            box = tuple(int(e) for e in extent[: len(pre)])
        self.__dict__["extent"] = box
        anchors = pooling_anchors(pre, post, box)
        stencil = Stencil(box, (0,) * len(pre), Padding.SKIP)
        rows = np.zeros(self.post.size, dtype=np.int32)
        conn = StencilConnectivity(pre, self.post.size, stencil, anchors, rows, stencil.size,
                                   self._delay_steps(delays))  # fmt: skip
        self._set_stencil(conn, None)
        return self
