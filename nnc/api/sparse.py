"""Random sparse weight and delay matrices for ``Projection.from_sparse`` (API.md §1 utilities).

Both return ``scipy.sparse.lil_matrix`` of shape ``(pre, post)``, the orientation ``from_sparse`` reads.
Like every Python-side random draw in the reference, they use a fresh unseeded generator unless ``rng``
is given (e.g. ``rng=net.default_rng`` or ``np.random.default_rng(seed)``).
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import lil_matrix

from nnc.descriptions.random import RandomDistribution
from nnc.diagnostics import ModelError


def _size(obj: object) -> int:
    return int(obj) if isinstance(obj, int | np.integer) else int(obj.size)  # type: ignore[attr-defined]


def sparse_random_matrix(
    pre: object,
    post: object,
    proba: float,
    weights: float | RandomDistribution,
    rng: np.random.Generator | None = None,
) -> lil_matrix:
    """Connect each (pre, post) pair with probability ``proba``; weights are a number or a distribution.

    ``pre``/``post`` are populations or sizes. Per pre neuron, the number of targets is drawn from
    ``Binomial(n_post, proba)`` and the targets uniformly without replacement (sorted).
    """
    if not 0.0 <= proba <= 1.0:
        raise ModelError(f"sparse_random_matrix: proba must be in [0, 1], got {proba}")
    n_pre, n_post = _size(pre), _size(post)
    gen = rng if rng is not None else np.random.default_rng()
    matrix = lil_matrix((n_pre, n_post))
    for i in range(n_pre):
        k = int(gen.binomial(n_post, proba))
        cols = np.sort(gen.choice(n_post, size=k, replace=False))
        values = (
            weights.get_values(k, rng=gen) if isinstance(weights, RandomDistribution) else np.full(k, weights)
        )
        matrix.rows[i] = cols.tolist()
        matrix.data[i] = np.asarray(values, dtype=np.float64).tolist()
    return matrix


def sparse_delays_from_weights(
    weights: lil_matrix, delays: float | RandomDistribution, rng: np.random.Generator | None = None
) -> lil_matrix:
    """A delay matrix (ms) with the same non-zero structure as ``weights``."""
    source = lil_matrix(weights)
    gen = rng if rng is not None else np.random.default_rng()
    out = lil_matrix(source.shape)
    for i, cols in enumerate(source.rows):
        n = len(cols)
        values = (
            delays.get_values(n, rng=gen) if isinstance(delays, RandomDistribution) else np.full(n, delays)
        )
        out.rows[i] = list(cols)
        out.data[i] = np.asarray(values, dtype=np.float64).tolist()
    return out
