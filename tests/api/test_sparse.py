"""Random sparse matrices for from_sparse (API.md §1 utilities)."""

from __future__ import annotations

import numpy as np
import pytest

import nnc as ann
from nnc.diagnostics import ModelError


def test_sparse_random_matrix_structure_and_density() -> None:
    w = ann.sparse_random_matrix(200, 300, 0.1, 0.5, rng=np.random.default_rng(1))
    assert w.shape == (200, 300)
    assert set(w.tocsr().data.tolist()) == {0.5}
    # nnz ~ Binomial(60000, 0.1): mean 6000, sd ~73; 6 sd band
    assert abs(w.nnz - 6000) < 6 * np.sqrt(60000 * 0.1 * 0.9)
    assert all(list(row) == sorted(row) for row in w.rows)
    again = ann.sparse_random_matrix(200, 300, 0.1, 0.5, rng=np.random.default_rng(1))
    assert (w != again).nnz == 0


def test_distribution_weights_and_delays() -> None:
    w = ann.sparse_random_matrix(20, 10, 0.5, ann.Uniform(1.0, 2.0), rng=np.random.default_rng(2))
    values = w.tocsr().data
    assert np.all((values >= 1.0) & (values < 2.0))
    d = ann.sparse_delays_from_weights(w, ann.DiscreteUniform(1, 3), rng=np.random.default_rng(3))
    assert d.rows.tolist() == w.rows.tolist()
    assert set(d.tocsr().data.tolist()) <= {1.0, 2.0, 3.0}
    assert ann.sparse_delays_from_weights(w, 2.0).tocsr().data.tolist() == [2.0] * w.nnz
    with pytest.raises(ModelError):
        ann.sparse_random_matrix(2, 2, 1.5, 1.0)


def test_matrix_connects_through_from_sparse(make_net) -> None:
    net = make_net()
    pre = net.create(6, ann.Neuron(parameters="r = 0.0"))
    post = net.create(4, ann.Neuron(equations="r = sum(exc)"))
    w = ann.sparse_random_matrix(pre, post, 0.5, ann.Uniform(0.0, 1.0), rng=np.random.default_rng(4))
    net.connect(pre, post, "exc").from_sparse(w)
    pre.r = np.arange(6.0)
    net.compile()
    net.step()
    np.testing.assert_allclose(post.r, w.toarray().T @ np.arange(6.0), rtol=1e-12)
