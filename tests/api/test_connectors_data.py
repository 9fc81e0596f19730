"""Connectors from user data: matrices, sparse matrices, functions, files; LILConnectivity; save/load."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse
from test_projection import STATIC, _net, bind

from nnc.api.lil import LILConnectivity
from nnc.diagnostics import ModelError


def test_from_matrix_pre_post_and_nan_holes():
    net, a, b = _net(3, 2)
    m = np.array([[1.0, np.nan], [0.0, 2.0], [np.nan, 3.0]])  # (pre, post)
    p = net.connect(a, b, "exc", synapse=STATIC).from_matrix(m, pre_post=True)
    bind(net)
    assert p.pre_ranks == [[0, 1], [1, 2]]
    assert p.w == [[1.0, 0.0], [2.0, 3.0]]


def test_from_matrix_shape_errors_and_views():
    net, a, b = _net(4, 3)
    p = net.connect(a, b, "exc", synapse=STATIC)
    with pytest.raises(ModelError, match="shape"):
        p.from_matrix(np.ones((4, 3)))
    with pytest.raises(ModelError, match="shape"):
        p.from_matrix(np.ones((3, 4)), delays=np.ones((2, 2)))
    net._projections.remove(p)
    q = net.connect(a[[3, 1]], b[1:3], "inh", synapse=STATIC).from_matrix([[1, 2], [None, 4]])
    bind(net)
    # indices are relative to the views and mapped to their ranks; rows sorted by post rank
    assert q.post_ranks == [1, 2]
    assert q.pre_ranks == [[1, 3], [1]]
    assert q.w == [[2.0, 1.0], [4.0]]


def test_from_sparse_is_pre_by_post():
    net, a, b = _net(3, 2)
    w = sparse.lil_matrix((3, 2))
    w[2, 0] = 0.5
    w[0, 0] = 0.25
    w[1, 1] = 1.0
    p = net.connect(a, b, "exc", synapse=STATIC).from_sparse(w.tocsr(), delays=2.0)
    q = net.connect(a, b, "exc", synapse=STATIC)
    with pytest.raises(ModelError, match="lil, csr and csc"):
        q.from_sparse(np.ones((3, 2)))
    with pytest.raises(ModelError, match="constant delays"):
        q.from_sparse(w, delays=[1.0])
    with pytest.raises(ModelError, match="shape"):
        q.from_sparse(sparse.csc_matrix((2, 3)))
    net._projections.remove(q)
    bind(net)
    assert p.pre_ranks == [[0, 2], [1]]
    assert p.w == [[0.25, 0.5], [1.0]]
    assert p.delay == 2.0


def test_lil_connectivity_rules(capsys):
    lil = LILConnectivity(dt=0.5)
    lil.add(2, [3, 1], 0.5, [1.0])
    lil.push_back(0, [0], [2.0], 1.0)
    assert "ascending order" in capsys.readouterr().err
    assert (lil.size, lil.nb_synapses, lil.uniform_delay, lil.max_delay) == (2, 3, 2, 2)
    assert lil.w == [[0.5, 0.5], [2.0]]
    lil.add(1, [], 1.0)  # empty rows are ignored
    assert lil.size == 2
    lil.add(3, [0, 1], [1, 2], [0.75, 1.25])  # per-synapse delays: 1.5 -> 2, 2.5 -> 2 (half to even)
    assert lil.uniform_delay == -1
    assert lil.delay[-1] == [2, 2]
    assert lil.max_delay == 2  # round(1.25 / 0.5) = round(2.5) = 2 in Python
    conn = lil.connectivity(4, 4)
    assert conn.post_ranks.tolist() == [0, 2, 3]
    assert conn.delays.tolist() == [2, 2, 2, 2, 2]
    assert conn.max_delay == 2
    with pytest.raises(ModelError, match="weights"):
        lil.add(1, [0, 1], [1, 2, 3])


def test_lil_validate_merges_rows_and_rejects_duplicates():
    lil = LILConnectivity()
    lil.add(1, [0], 1.0)
    lil.add(1, [2], 2.0)
    lil.validate()
    assert (lil.post_rank, lil.pre_rank, lil.w) == ([1], [[0, 2]], [[1.0, 2.0]])
    lil.add(1, [2], 3.0)
    with pytest.raises(ModelError, match="multiple times"):
        lil.validate()


def test_from_function():
    def pattern(pre, post, dt, weight):
        lil = LILConnectivity(dt)
        for i in range(post.size):
            lil.add(i, [j for j in range(pre.size) if j != i], weight, dt)
        return lil

    net, a, b = _net(3, 3)
    p = net.connect(a, b, "exc", synapse=STATIC).from_function(pattern, weight=0.7)
    q = net.connect(a, b, "inh", synapse=STATIC).from_function(lambda pre, post, dt: [1, 2])
    with pytest.raises(ModelError, match="must return a LILConnectivity"):
        bind(net)
    net._projections.remove(q)
    bind(net)
    assert p.pre_ranks == [[1, 2], [0, 2], [0, 1]]
    assert p.w == [[0.7, 0.7]] * 3


@pytest.mark.parametrize("ext", [".npz", ".gz", ".data"])
def test_save_connectivity_then_from_file(tmp_path, ext):
    net, a, b = _net(5, 4, seed=2)
    p = net.connect(a, b, "exc", synapse=STATIC).fixed_probability(
        0.5, 0.0, delays=2.0, force_multiple_weights=True
    )
    bind(net)
    p.w = [list(np.arange(n) + 10 * i) for i, n in enumerate(p.nb_synapses_per_dendrite)]
    path = str(tmp_path / "sub" / f"conn{ext}")
    p.save_connectivity(path)

    net2, a2, b2 = _net(5, 4, seed=99)
    q = net2.connect(a2, b2, "exc", synapse=STATIC).from_file(path)
    bind(net2)
    assert q.post_ranks == p.post_ranks
    assert q.pre_ranks == p.pre_ranks
    assert q.w == p.w
    assert q.delay == 2.0


def test_from_file_nonuniform_delays_and_single_weight(tmp_path):
    net, a, b = _net(3, 3)
    p = net.connect(a, b, "exc", synapse=STATIC).from_matrix(
        np.where(np.eye(3) > 0, 1.0, np.nan), delays=np.diag([1.0, 3.0, 4.0])
    )
    s = net.connect(a, b, "inh", synapse=STATIC).one_to_one(0.5)
    bind(net)
    p.save_connectivity(str(tmp_path / "p.npz"))
    s.save_connectivity(str(tmp_path / "s.npz"))
    net2, a2, b2 = _net(3, 3)
    q = net2.connect(a2, b2, "exc", synapse=STATIC).from_file(str(tmp_path / "p.npz"))
    r = net2.connect(a2, b2, "inh", synapse=STATIC).from_file(str(tmp_path / "s.npz"))
    bind(net2)
    assert q.delay == [[1.0], [3.0], [4.0]]
    assert r.w == 0.5  # a saved scalar weight stays a single weight


def test_save_and_load_projection(tmp_path, capsys):
    net, a, b = _net(4, 3, seed=5)
    p = net.connect(a, b, "exc", synapse=STATIC).fixed_number_pre(2, 1.0, force_multiple_weights=True)
    bind(net)
    p.w = [[1, 2], [3, 4], [5, 6]]
    path = str(tmp_path / "proj.npz")
    p.save(path)
    data = p._data()
    assert (data["pre"], data["post"], data["target"], data["delays"]) == (a.name, b.name, "exc", 1.0)
    assert data["pre_ranks"].shape == (3, 2)
    p.w = 0.0
    p.load(path)
    assert p.w == [[1, 2], [3, 4], [5, 6]]
    # another network with other connectivity: rebuilt from the file
    net2, a2, b2 = _net(4, 3, seed=6)
    q = net2.connect(a2, b2, "exc", synapse=STATIC).one_to_one(1.0, force_multiple_weights=True)
    bind(net2)
    q.load(path)
    assert q.pre_ranks == p.pre_ranks
    assert q.w == p.w
    assert "loaded from the saved data" in capsys.readouterr().err


def test_receptive_fields_tile_post_geometry():
    net = _net()[0]
    from test_projection import RATE

    pre = net.create(geometry=(2, 2), neuron=RATE)
    post = net.create(geometry=(1, 2), neuron=RATE)
    p = net.connect(pre, post, "exc", synapse=STATIC).from_matrix([[1, 2, 3, 4], [5, None, 7, 8]])
    bind(net)
    rf = p.receptive_fields()
    assert rf.tolist() == [[1, 2, 5, 0], [3, 4, 7, 8]]
    assert p.dendrite(1).receptive_field(fill=-1).tolist() == [[5, -1], [7, 8]]
