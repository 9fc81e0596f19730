"""Every connector with a network seed: connectivity must be identical, weights and delays too.

API.md §7.2: ``all_to_all``, ``one_to_one``, ``fixed_probability``, ``fixed_number_pre``,
``fixed_number_post`` (each on another population, on itself with and without self-connections, and on
views), ``gaussian`` and ``dog`` on 2-D populations, ``from_matrix`` (with ``None`` entries, and delays),
``from_sparse``, ``from_function`` (a ``LILConnectivity`` with per-synapse delays on half-way values,
rounded by the builder, API §7.3 (?)). Weights and delays are drawn with ``rng=net.default_rng`` so
their values are shared with the random connectors' stream in the documented order.

Compared exactly: ``post_ranks``, ``pre_ranks``, ``nb_synapses``; numerically: ``w``, ``delay`` and six
steps of every recorded ``sum(target)``. Gaussian/DoG weights are computed in float32 by the reference
(API.md §7.2 (?)): compared at 1e-6.
"""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import Results

out = Results("connectors")
ann = out.ann

Pre = ann.Neuron(
    parameters=dict(omega=ann.Parameter(0.1, locality="local")),
    equations=["r = 0.5 + 0.5 * sin(omega * t + 0.3)"],
)
Post = ann.Neuron(equations=["r = 0.0"])

net = ann.Network(dt=1.0, seed=4242)
rng = net.default_rng
a = net.create((4, 5), Pre, name="a")
b = net.create(17, Pre, name="b")
grid = net.create((3, 6), Pre, name="grid")
post = net.create((4, 5), Post, name="post")
a.omega = np.linspace(0.05, 0.3, a.size)
b.omega = np.linspace(0.1, 0.2, b.size)
grid.omega = np.linspace(0.2, 0.4, grid.size)

projections = {}


def proj(name, pre, target_pop=None):
    p = net.connect(pre, post if target_pop is None else target_pop, target=name, name=name)
    projections[name] = p
    return p


proj("ata", b).all_to_all(weights=ann.Normal(0.0, 0.5, rng=rng))
proj("ata_self", a, a).all_to_all(weights=ann.Uniform(0.0, 1.0, rng=rng))
proj("ata_self_allowed", a, a).all_to_all(weights=0.25, allow_self_connections=True)
proj("ata_view", b[2:12], post[3:15]).all_to_all(weights=ann.Uniform(-1.0, 1.0, rng=rng))
proj("o2o", a).one_to_one(weights=ann.Uniform(0.0, 2.0, rng=rng))
proj("o2o_view", b[5:15], post[0:10]).one_to_one(weights=0.5)
proj("fp", b).fixed_probability(
    0.3, weights=ann.Normal(0.2, 0.1, rng=rng), delays=ann.Uniform(1.0, 5.0, rng=rng)
)
proj("fp_self", a, a).fixed_probability(0.4, weights=ann.Uniform(0.0, 1.0, rng=rng))
proj("fp_self_allowed", a, a).fixed_probability(0.4, weights=1.0, allow_self_connections=True)
proj("fp_view", a[2:18], post[1:19]).fixed_probability(0.25, weights=ann.Uniform(0.0, 1.0, rng=rng))
proj("fnpre", b).fixed_number_pre(5, weights=ann.Uniform(0.0, 1.0, rng=rng), delays=3.0)
proj("fnpre_self", a, a).fixed_number_pre(4, weights=ann.LogNormal(0.0, 0.3, rng=rng))
proj("fnpost", b).fixed_number_post(3, weights=ann.Uniform(0.0, 1.0, rng=rng))
proj("fnpost_self", a, a).fixed_number_post(6, weights=0.1)
proj("fnpost_view", b[1:16], post[0:12]).fixed_number_post(2, weights=ann.Gamma(2.0, 0.5, rng=rng))
proj("gauss", grid).gaussian(amp=1.0, sigma=0.3)
proj("gauss_self", a, a).gaussian(amp=0.5, sigma=0.4, limit=0.1)
proj("dog", grid).dog(amp_pos=1.0, sigma_pos=0.2, amp_neg=0.5, sigma_neg=0.6)
dense = np.random.default_rng(5).uniform(-1.0, 1.0, (post.size, b.size))
matrix = dense.tolist()
for i in range(post.size):
    matrix[i][(3 * i) % b.size] = None
delays = np.random.default_rng(6).integers(1, 4, (post.size, b.size)).astype(float)
proj("from_matrix", b).from_matrix(matrix)
proj("from_matrix_delays", b).from_matrix(dense, delays=delays)
proj("from_matrix_view", b[3:9], post[2:6]).from_matrix(dense[:4, :6].T, pre_post=True)
try:
    from scipy import sparse
except ImportError:  # pragma: no cover - both simulators depend on scipy
    sparse = None
local = np.random.default_rng(7)
mask = local.random((a.size, post.size)) < 0.2
values = local.uniform(1.0, 2.0, (a.size, post.size))
proj("from_sparse", a).from_sparse(sparse.csr_matrix(np.where(mask, values, 0.0)))


def band(pre, post, dt, width, weight):
    """A LILConnectivity: each post rank i reads pre ranks i-width..i+width; delays with half-way cases."""
    lil = ann.LILConnectivity(dt=dt)
    for i in range(post.size):
        ranks = [j for j in range(i - width, i + width + 1) if 0 <= j < pre.size]
        delays = [1.0 + 0.5 * ((i + j) % 4) for j in ranks]  # 1.0, 1.5, 2.0, 2.5 ms
        lil.add(i, ranks, [weight * (1.0 + 0.1 * j) for j in ranks], delays)
    return lil


proj("from_function", b).from_function(band, width=2, weight=0.3)
RECORDED = ["ata", "fp", "fnpre", "from_matrix_delays", "gauss", "from_function"]
m = net.monitor(post, [f"sum({t})" for t in RECORDED])
out.compile(net)
for name, p in projections.items():
    out.same(f"{name}.post_ranks", [int(x) for x in p.post_ranks])
    out.same(f"{name}.pre_ranks", [[int(x) for x in row] for row in p.pre_ranks])
    out.same(f"{name}.nb_synapses", int(p.nb_synapses))
    gaussian = name.startswith(("gauss", "dog"))
    out.value(f"{name}.w", p.w, rtol=1e-6 if gaussian else None)
    out.value(f"{name}.delay", p.delay)
net.simulate(6.0)
data = m.get(force_dict=True)
for t in RECORDED:
    out.value(f"sum({t})", data[f"sum({t})"], rtol=1e-6 if t == "gauss" else None)
out.emit()
