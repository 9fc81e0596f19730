"""Connectivity from user data: dense matrices, scipy sparse matrices, saved files, Matrix Market files.

Each loader takes the :class:`~nnc.api.patterns.ConnectContext` of the projection and maps matrix indices
(relative to the pre/post populations or views) to population ranks.
"""

from __future__ import annotations

import numpy as np

from nnc.api.patterns import ConnectContext
from nnc.runtime.connectivity import Connectivity, round_half_even


def present_entries(m: np.ndarray) -> np.ndarray:
    """Mask of the entries that are synapses: not None, not NaN."""
    if m.dtype != object:
        return ~np.isnan(m.astype(np.float64))
    return np.vectorize(
        lambda v: v is not None and not (isinstance(v, float) and np.isnan(v)), otypes=[bool]
    )(m)


def from_matrix(ctx: ConnectContext, weights: np.ndarray, delays: object) -> Connectivity:
    present = present_entries(weights)
    post_idx, pre_idx = np.nonzero(present)
    post = np.asarray(ctx.post.ranks, dtype=np.int64)[post_idx]  # type: ignore[attr-defined]
    pre = np.asarray(ctx.pre.ranks, dtype=np.int64)[pre_idx]  # type: ignore[attr-defined]
    w = weights[post_idx, pre_idx].astype(np.float64)
    if isinstance(delays, np.ndarray):
        steps = round_half_even(delays[post_idx, pre_idx].astype(np.float64) / ctx.dt).astype(np.int64)
        return Connectivity.from_synapses(ctx.sizes, post, pre, w, steps)
    return Connectivity.from_synapses(ctx.sizes, post, pre, w, round(float(delays) / ctx.dt))


def from_sparse(ctx: ConnectContext, matrix: object, delays: float) -> Connectivity:
    coo = matrix.tocoo()  # type: ignore[attr-defined]
    pre = np.asarray(ctx.pre.ranks, dtype=np.int64)[coo.row]  # type: ignore[attr-defined]
    post = np.asarray(ctx.post.ranks, dtype=np.int64)[coo.col]  # type: ignore[attr-defined]
    return Connectivity.from_synapses(
        ctx.sizes, post, pre, coo.data.astype(np.float64), round(delays / ctx.dt)
    )


def from_saved(ctx: ConnectContext, data: dict[str, object]) -> Connectivity:
    post = [int(p) for p in np.asarray(data["post_ranks"]).reshape(-1)]
    pre = [np.asarray(r, dtype=np.int64).reshape(-1) for r in data["pre_ranks"]]  # type: ignore[attr-defined]
    w = data["w"]
    if np.ndim(w) == 0 or (isinstance(w, np.ndarray) and w.dtype != object and w.size == 1):
        weights = [np.full(len(r), float(np.asarray(w).reshape(-1)[0])) for r in pre]
    else:
        weights = [np.asarray(row, dtype=np.float64).reshape(-1) for row in w]  # type: ignore[attr-defined]
    delay = data.get("delay")
    uniform = int(np.asarray(data.get("uniform_delay", 0)).reshape(-1)[0])
    if uniform != -1 or delay is None:
        return Connectivity.from_rows(ctx.sizes, post, pre, weights, max(uniform, 0))
    rows = [round_half_even(np.asarray(d, dtype=np.float64) / ctx.dt).astype(np.int64) for d in delay]  # type: ignore[attr-defined]
    return Connectivity.from_rows(ctx.sizes, post, pre, weights, rows)


def from_matrix_market(ctx: ConnectContext, filename: str) -> Connectivity:
    from scipy import sparse
    from scipy.io import mmread

    m = mmread(filename)
    if sparse.issparse(m):
        coo = sparse.coo_matrix(m)
        return Connectivity.from_synapses(ctx.sizes, coo.row, coo.col, coo.data.astype(np.float64), 0)
    dense = np.asarray(m, dtype=np.float64)
    post, pre = np.indices(dense.shape)
    return Connectivity.from_synapses(ctx.sizes, post.reshape(-1), pre.reshape(-1), dense.reshape(-1), 0)
