"""NormProjection (``extensions.bold``): spikes of a ``SpikeSourceArray`` through a NormProjection and an
ordinary projection onto the same spiking population; the post variable counts the delivered spikes
divided by each post neuron's number of afferent synapses (over both projections), and decays. 40 ms."""

import importlib
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import Results

out = Results("bold_norm", rtol=1e-12)
ann = out.ann
bold = importlib.import_module(f"{out.sim}.extensions.bold")

rng = np.random.default_rng(5)
times = [sorted(rng.choice(np.arange(1, 35), size=5, replace=False).astype(float).tolist()) for _ in range(8)]
mask = rng.random((5, 8)) < 0.5
other = rng.random((5, 8)) < 0.3
w = rng.uniform(0.1, 1.0, (5, 8))

net = ann.Network(dt=1.0, seed=1)
src = net.create(ann.SpikeSourceArray(spike_times=times))
post = net.create(
    5,
    ann.Neuron(
        equations="dnorm/dt = -norm / 10.0\ndx/dt = (g_exc + g_inh - x) / 5.0", spike="x > 1000", reset=""
    ),
)
norm = net.connect(bold.NormProjection(src, post, "exc", variable="norm"))
norm.from_matrix(np.where(mask, w, None).astype(object))
plain = net.connect(src, post, "inh")
plain.from_matrix(np.where(other, 1.0, None).astype(object))
m = net.monitor(post, ["norm", "g_exc", "g_inh"])
out.compile(net)
net.simulate(40.0)
for name in ("norm", "g_exc", "g_inh"):
    out.value(name, m.get(name))
out.value("x", post.x)
out.emit()
