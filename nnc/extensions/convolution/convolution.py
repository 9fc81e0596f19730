"""``Convolution`` (API.md §11): a filter, or a bank of filters, correlated with the pre-synaptic population.

The operation is a cross-correlation centred on each post neuron's anchor:
``sum(target)_i = Σ_c psp(pre[anchor_i + c - centre], w[c])`` over the filter positions ``c``. Out of the
population, ``padding`` is the value the pre-synaptic population is virtually extended with (0.0 by
default), or ``'border'`` to repeat its border neurons; with ``operation='max'`` or ``'min'`` such positions
are skipped. Sub-sampling follows the populations' geometries or an explicit ``subsampling`` list.

Where nnc and the reference (ANNarchy 5.0.4.1) differ, nnc follows the documented semantics:

* a constant ``padding`` p contributes ``psp`` with ``pre.r = p`` at every position outside (so
  ``p * w[c]`` with the default psp; scipy.ndimage's ``mode='constant', cval=p``); the reference adds
  ``p`` itself once per skipped filter row. Both agree for the default ``padding=0.0``;
* ``max``/``min`` start from the first position inside (the reference starts both from 0.0, so a
  max of negative values is 0 and a min of positive values is 0 there).
"""

from __future__ import annotations

import numpy as np

from nnc.diagnostics import ModelError
from nnc.extensions.convolution.anchors import bank_anchors, center_filter, filter_anchors
from nnc.extensions.convolution.shared import SharedProjection
from nnc.ir.model import Stencil
from nnc.ir.types import Padding
from nnc.runtime.stencil import StencilConnectivity


class Convolution(SharedProjection):
    """Convolution (cross-correlation) of the pre-synaptic population with a filter (API.md §11).

    Connect it with :meth:`connect_filter` (one filter) or :meth:`connect_filters` (a bank: one filter
    per index of the last post-synaptic dimension).
    """

    _kind = "Convolution"

    def __init__(
        self,
        pre: object,
        post: object,
        target: str,
        psp: str = "pre.r * w",
        operation: str = "sum",
        name: str | None = None,
        **kwargs: object,
    ):
        super().__init__(pre, post, target, psp, operation, name, **kwargs)

    def _padding(self, padding: object) -> tuple[Padding, float]:
        if self._operation in ("max", "min"):
            return Padding.SKIP, 0.0
        if isinstance(padding, str):
            if padding != "border":
                raise ModelError(f"Convolution: padding must be a number or 'border', not {padding!r}")
            return Padding.BORDER, 0.0
        return Padding.VALUE, float(padding)  # type: ignore[arg-type]

    def connect_filter(
        self,
        weights: object,
        delays: float = 0.0,
        keep_last_dimension: bool = False,
        padding: float | str = 0.0,
        subsampling: object = None,
    ) -> Convolution:
        """Apply one filter (``weights``: an array of up to the pre-synaptic dimensions).

        A filter with fewer dimensions than the populations is applied to each index of their last
        dimension (``keep_last_dimension=True``; both populations then have the same last dimension).
        """
        w = np.array(weights, dtype=np.float64)
        pre, post = self.pre.geometry, self.post.geometry
        if w.ndim > len(pre):
            raise ModelError(
                "Convolution: If the kernel has more dimensions than the pre-synaptic population, you need "
                "to use the connect_filters() method."
            )
        if w.ndim < len(pre):
            if not keep_last_dimension:
                raise ModelError(
                    "Convolution: If the kernel has less dimensions than the pre-synaptic population, you "
                    "need to set the flag keep_last_dimension to True."
                )
            if pre[-1] != post[-1]:
                raise ModelError(
                    "Convolution: If the kernel has fewer dimensions than the two populations "
                    "(keep_last_dimension=True), these must have the same number of neurons in the last "
                    "dimension."
                )
        if len(post) < len(pre) and w.shape[-1] != pre[-1]:
            raise ModelError(
                "Convolution: If the post-synaptic population has less dimensions than the pre-synaptic "
                "one, the last dimension of the filter must be equal to the last of the pre-synaptic "
                "population."
            )
        kernel = tuple(w.shape) + (1,) * (len(pre) - w.ndim)
        anchors = filter_anchors(pre, post, kernel, keep_last_dimension, subsampling)
        stencil = self._stencil(kernel, padding)
        rows = np.zeros(self.post.size, dtype=np.int32)
        conn = StencilConnectivity(
            pre, self.post.size, stencil, anchors, rows, w.size, self._delay_steps(delays)
        )
        self._set_stencil(conn, w)
        return self

    def connect_filters(
        self,
        weights: object,
        delays: float = 0.0,
        keep_last_dimension: bool = False,
        padding: float | str = 0.0,
        subsampling: object = None,
    ) -> Convolution:
        """Apply a bank of filters: ``weights[f]`` is filter ``f``, whose results form index ``f`` of the
        last post-synaptic dimension (``weights`` has one dimension more than the pre-synaptic
        population)."""
        w = np.array(weights, dtype=np.float64)
        pre, post = self.pre.geometry, self.post.geometry
        if w.ndim != len(pre) + 1:
            raise ModelError(
                "Convolution: connect_filters() needs weights with one dimension more than the pre-synaptic "
                f"population (the filter index first): {len(pre) + 1} dimensions, not {w.ndim}"
            )
        if keep_last_dimension:
            raise NotImplementedError(
                "Convolution.connect_filters(keep_last_dimension=True): a bank of filters applied to "
                "each index of the last dimension is not built"
            )
        if w.shape[0] != post[-1]:
            raise ModelError(
                "Convolution: For multiple filters, the last dimension of the post-synaptic population must "
                "have as many neurons as there are filters."
            )
        kernel = tuple(w.shape[1:])
        n_filters = w.shape[0]
        anchors = bank_anchors(pre, post, kernel, n_filters, subsampling)
        stencil = self._stencil(kernel, padding)
        rows = (np.arange(self.post.size, dtype=np.int32) % n_filters) * stencil.size
        conn = StencilConnectivity(
            pre, self.post.size, stencil, anchors, rows, w.size, self._delay_steps(delays)
        )
        self._set_stencil(conn, w)
        return self

    def _stencil(self, kernel: tuple[int, ...], padding: object) -> Stencil:
        mode, value = self._padding(padding)
        origin = tuple(-center_filter(n) for n in kernel)
        return Stencil(kernel, origin, mode, value)
