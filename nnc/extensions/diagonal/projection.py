"""``DiagonalProjection``: shared weights applied along the diagonals of a 2D (or 4D) pre-synaptic map.

The rules are those of the reference's source (ANNarchy 5.0.4.1, ``extensions/diagonal``), whose class
no longer builds there (its code generation fails). A rate-coded projection; the psp is ``w * pre.r``.

* ``connect(weights, delays=0, offset=0, slope=1)``, pre and post 2D: post neuron ``(a, x)`` receives,
  for every pre row ``i``, the filter ``weights`` (centre ``len(weights) // 2``) around the pre column
  ``c_i = x - offset + slope * i`` (``x + offset + slope * i`` for a negative slope):
  ``sum_i sum_f weights[f] * pre.r[i, c_i + f - centre]``, terms out of
  the map (``c_i`` or ``c_i + f - centre``) left out. Every post row ``a`` gets the same value. ``slope``
  is an integer. (The reference's loop runs the pre rows over ``range(pre.geometry[1])``: the same for a
  square map; nnc takes the map's rows, ``range(pre.geometry[0])``.)
* ``connect_gaussian(amp, sigma, min_val, max_distance=0.0)``, pre and post 4D: post neuron
  ``(a, b, x, y)`` receives ``sum val(dw, dh) * pre.r[i, j, k, l]`` with ``dw = x - (i + k) + ow``,
  ``dh = y - (j + l) + oh``, ``ow = (pre.geometry[0] - pre.geometry[0] % 2) / 2`` (``oh`` likewise with
  ``geometry[1]``), ``val = amp * exp(-(dw²/sigma_w² + dh²/sigma_h²))``,
  ``sigma_w = sigma * (post.geometry[2] - post.geometry[2] % 2)`` (``sigma_h`` with ``geometry[3]``),
  over the terms with ``val > min_val`` (and ``|dw|, |dh| < max_distance`` when it is not 0).

nnc stores the resulting pattern as ordinary synapses (one per non-zero term, weights from the shared
values), so every format, engine and thread count runs it; changing ``weights`` after connecting does
not change the synapses (nor does it in the reference after compile).
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

from nnc.api.projection import Projection
from nnc.diagnostics import ModelError


class DiagonalProjection(Projection):
    """Diagonal projection based on shared weights (rate-coded; ``psp = w * pre.r``)."""

    def __init__(self, pre: object, post: object, target: str, name: str | None = None, **kwargs: object):
        super().__init__(pre, post, target, None, name, **kwargs)
        for side, pop in (("pre", self.pre), ("post", self.post)):
            if pop.population.is_spiking:
                raise ModelError(f"DiagonalProjection: the {side}-synaptic population must be rate-coded")

    def _dimensions(self, n: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
        pre, post = tuple(self.pre.geometry), tuple(self.post.geometry)
        if len(pre) != n or len(post) != n:
            raise ModelError(
                f"The diagonal projection only works when both populations have {n} dimensions "
                f"(pre {pre}, post {post})."
            )
        return pre, post

    def connect(
        self, weights: object, delays: float = 0.0, offset: int = 0, slope: int = 1
    ) -> DiagonalProjection:
        """The diagonal pattern between 2D populations: the filter ``weights`` (list or 1D array) on
        each pre row, around the column ``x - offset + slope * row`` for post column ``x`` (``x + offset +
        slope * row`` when the slope is negative)."""
        pre, post = self._dimensions(2)
        w = np.asarray(weights, dtype=np.float64)
        if w.ndim != 1 or w.size == 0:
            raise ModelError("DiagonalProjection.connect(): weights must be a non-empty list or 1D array")
        if int(slope) != slope or int(offset) != offset:
            raise ModelError("DiagonalProjection.connect(): offset and slope must be integers")
        self.__dict__.update(_filter=w, offset=int(offset), slope=int(slope))
        rows_pre, cols_pre = pre
        rows_post, cols_post = post
        centre = w.size // 2
        pre_idx, post_col, values = [], [], []
        for x in range(cols_post):
            start = x - int(offset) if slope >= 0 else x + int(offset)
            for i in range(rows_pre):
                c = start + int(slope) * i
                if not 0 <= c < cols_pre:
                    continue
                for f in range(w.size):
                    col = c + f - centre
                    if 0 <= col < cols_pre:
                        pre_idx.append(i * cols_pre + col)
                        post_col.append(x)
                        values.append(w[f])
        pre_idx_a, post_col_a, values_a = np.array(pre_idx, int), np.array(post_col, int), np.array(values)
        rows = np.repeat(np.arange(rows_post), pre_idx_a.size)
        post_idx = rows * cols_post + np.tile(post_col_a, rows_post)
        matrix = sparse.coo_matrix(
            (np.tile(values_a, rows_post), (np.tile(pre_idx_a, rows_post), post_idx)),
            shape=(self.pre.size, self.post.size),
        )
        self.from_sparse(matrix.tocsr(), delays=delays)
        return self

    def connect_gaussian(
        self, amp: float, sigma: float, min_val: float, max_distance: float = 0.0
    ) -> DiagonalProjection:
        """The Gaussian diagonal pattern between 4D populations (see the module's description)."""
        pre, post = self._dimensions(4)
        offset_w = (pre[0] - pre[0] % 2) / 2.0
        offset_h = (pre[1] - pre[1] % 2) / 2.0
        sigma_w = sigma * (post[2] - post[2] % 2)
        sigma_h = sigma * (post[3] - post[3] % 2)
        self.__dict__.update(
            amp=amp, sigma=sigma, min_val=min_val, max_distance=max_distance,
            offset_w=offset_w, offset_h=offset_h, sigma_w=sigma_w, sigma_h=sigma_h,
        )  # fmt: skip
        q = np.indices(pre).reshape(4, -1)  # pre coordinates, in rank order
        x, y = np.indices(post[2:]).reshape(2, -1)  # the last two post coordinates
        dw = x[:, None] - (q[0] + q[2])[None, :] + int(offset_w)
        dh = y[:, None] - (q[1] + q[3])[None, :] + int(offset_h)
        val = amp * np.exp(-(dw * dw / sigma_w / sigma_w + dh * dh / sigma_h / sigma_h))
        keep = val > min_val
        if max_distance != 0.0:
            keep &= (np.abs(dw) < max_distance) & (np.abs(dh) < max_distance)
        block, pre_idx = np.nonzero(keep)  # (x, y) block rank, pre rank
        n_block = post[2] * post[3]
        copies = post[0] * post[1]
        post_idx = (np.arange(copies)[:, None] * n_block + block[None, :]).ravel()
        matrix = sparse.coo_matrix(
            (np.tile(val[keep], copies), (np.tile(pre_idx, copies), post_idx)),
            shape=(self.pre.size, self.post.size),
        )
        self.from_sparse(matrix.tocsr(), delays=0.0)
        return self
