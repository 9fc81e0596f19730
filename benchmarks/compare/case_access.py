"""Attribute access during a run: the values written from Python must act like the reference's.

API §4-§7: an ``init`` naming a parameter and a global ``Constant``; ``pop.set({'v': 'v0'})`` (copy of
another attribute after compile); an array of the geometry's shape assigned after compile (the reference
fails on a ``RandomDistribution`` for a 2-D population, anchors.md); single
neurons (``pop.neuron(i)``), views and ``IndividualNeuron`` writes; dendrite and single-synapse writes;
semiglobal and global synaptic writes; ``net.time`` set mid-run (equations see the new ``t``); a global
``Constant`` changed with ``set()``; ``pop.sum(target)``; ``connectivity_matrix()``.
"""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import Results

out = Results("access")
ann = out.ann
gain = ann.Constant("gain", 1.5)

Cell = ann.Neuron(
    parameters=dict(
        v0=ann.Parameter(0.3, locality="local"), tau=4.0, shift=ann.Parameter(0.0, locality="local")
    ),
    equations=["tau * dv/dt + v = gain * sum(exc) + shift + 0.1 * sin(0.2 * t) : init=v0", "r = tanh(v)"],
)
Syn = ann.Synapse(
    parameters=dict(eta=0.02, k=ann.Parameter(1.0, locality="semiglobal")),
    equations=["dw/dt = eta * k * pre.r * post.r : min=-1.0, max=1.0", "y = w * pre.r"],
)

net = ann.Network(dt=1.0, seed=21)
local = np.random.default_rng(11)
a = net.create(9, Cell, name="a")
b = net.create((2, 3), Cell, name="b")
a.v0 = local.uniform(-0.5, 0.5, a.size)
a.shift = local.uniform(-0.2, 0.2, a.size)
p = net.connect(a, b, "exc", Syn, name="p")
p.fixed_probability(0.6, weights=ann.Uniform(-0.5, 0.5, rng=net.default_rng))
q = net.connect(b, a, "exc", name="q")
q.all_to_all(weights=ann.Normal(0.0, 0.3, rng=net.default_rng))
m = net.monitor(b, ["v", "r", "sum(exc)"])
out.compile(net)
out.value("initial.a.v", a.v)
net.simulate(5.0)
a.set({"v": "v0"})
b.v = np.random.default_rng(3).uniform(-1.0, 1.0, b.geometry)  # the reference fails on a distribution
a.neuron(2).v = 0.9
a[4:7].shift = [0.3, -0.3, 0.1]
b.neuron(1, 2).shift = -0.4
net.simulate(3.0)
post0 = p.post_ranks[0]
p.dendrite(post0).w = [0.25] * len(p.dendrite(post0))
p.synapse(p.pre_ranks[-1][0], p.post_ranks[-1]).w = -0.6
p.k = [float(i) / 4.0 for i in range(len(p.post_ranks))]
p.eta = 0.05
net.simulate(3.0)
net.time = 40.0
out.value("time_after_set", net.time)
gain.set(0.5)
net.simulate(4.0)
out.value("a.v", a.v)
out.value("b.v", b.v)
out.value("b.sum(exc)", b.sum("exc"))
out.value("a.sum(exc)", a.sum("exc"))
out.value("p.w", p.w)
out.value("p.y", p.y)
out.value("p.k", p.k)
out.value("p.matrix", p.connectivity_matrix())
out.value("q.matrix", q.connectivity_matrix(fill=-9.0))
data = m.get(["v", "r", "sum(exc)"], force_dict=True)
for key, values in data.items():
    out.value(f"b.trace.{key}", values)
out.value("dendrite.w", p.dendrite(post0).w)
out.emit()
