"""Random connectors at sizes where nnc takes its fast paths: the connectivity must still be identical.

API.md §7.2. ``fixed_probability`` over more than 2**23 uniform draws runs nnc's JIT Bernoulli kernel on
the PCG64 words (more than 2**24: on two threads), ``fixed_number_post`` and ``all_to_all``/``one_to_one``
build their dendrites as blocks. The COBA layout at N = 20000 (``P[:16000] -> P`` and ``P[16000:] -> P``,
p = 0.004: 3.2e8 draws), then, on the same generator, projections whose draws depend on it being left
exactly where the reference leaves it: a row-by-row ``fixed_probability`` with weights from
``net.default_rng`` (draws interleaved with the rows), ``fixed_number_pre``/``post``, another large
``fixed_probability`` with self-connections excluded and random delays. ``net.default_rng`` is then drawn
from once more.

Compared exactly: per projection the number of synapses and dendrites and a SHA-256 of
``(post rank, pre ranks)`` per dendrite (the lists are too long for the JSON line); numerically: weight
and delay sums and a few dendrites' values, and the draws of ``default_rng`` after compile.
"""

import hashlib
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import Results

out = Results("connectors_large")
ann = out.ann

Cell = ann.Neuron(parameters=dict(tau=10.0), equations="tau * dr/dt + r = sum(exc) - sum(inh)")
net = ann.Network(dt=0.1, seed=20000)
rng = net.default_rng
P = net.create(20000, Cell, name="P")
Q = net.create(3000, Cell, name="Q")
R = net.create(500, Cell, name="R")
projections = {}


def proj(name, pre, post, target):
    p = net.connect(pre, post, target=target, name=name)
    projections[name] = p
    return p


proj("coba_exc", P[:16000], P, "exc").fixed_probability(0.004, weights=0.6)
proj("coba_inh", P[16000:], P, "inh").fixed_probability(0.004, weights=6.7)
proj("shared_w", R, Q, "exc").fixed_probability(0.05, weights=ann.Uniform(0.0, 1.0, rng=rng))
proj("fnpre", R, R, "exc").fixed_number_pre(20, weights=ann.Normal(0.5, 0.1, rng=np.random.default_rng(3)))
proj("fnpost", Q, Q, "inh").fixed_number_post(30, weights=ann.Uniform(0.0, 1.0, rng=np.random.default_rng(4)))
proj("q_self", Q, Q, "inh").fixed_probability(
    0.01,
    weights=ann.Uniform(0.0, 1.0, rng=np.random.default_rng(5)),
    delays=ann.Uniform(0.1, 4.0, rng=np.random.default_rng(6)),
)
proj("o2o", Q[:500], R, "inh").one_to_one(weights=ann.Uniform(1.0, 2.0, rng=np.random.default_rng(7)))
proj("a2a", R[:100], R, "inh").all_to_all(weights=ann.Normal(0.0, 1.0, rng=np.random.default_rng(8)))
out.compile(net)
for name, p in projections.items():
    h = hashlib.sha256()
    for post, row in zip(p.post_ranks, p.pre_ranks, strict=True):
        h.update(np.asarray([post, len(row)], dtype=np.int64).tobytes())
        h.update(np.asarray(row, dtype=np.int64).tobytes())
    out.same(f"{name}.sha256", h.hexdigest())
    out.same(f"{name}.nb_synapses", int(p.nb_synapses))
    out.same(f"{name}.dendrites", len(p.post_ranks))
    w = p.w
    if np.isscalar(w):
        out.value(f"{name}.w", float(w))
    else:
        out.value(f"{name}.w_sum", float(sum(np.sum(row) for row in w)))
        out.value(f"{name}.w_first_rows", [list(row) for row in w[:3]])
    d = p.delay
    out.value(f"{name}.delay_sum", float(d) if np.isscalar(d) else float(sum(np.sum(row) for row in d)))
out.value("default_rng_after", rng.random(4))
out.emit()
