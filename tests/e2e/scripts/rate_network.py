"""A rate-coded network with projections for the dump-ir golden files (tests/golden/network/).

An input population, a LeakyIntegrator reservoir with a dense recurrent projection (no self-connections),
a sparse input projection with non-uniform delays, a read-out learning with Oja's rule and a custom
synapse with a semiglobal variable, a global operation and a bounded variable.
"""

import numpy as np

import nnc as ann

Input = ann.Neuron(
    parameters=dict(omega=ann.Parameter(0.1, locality="local")),
    equations=["r = 0.5 + 0.5 * sin(omega * t)"],
)
Readout = ann.Neuron(
    parameters=dict(tau=5.0),
    equations=["tau * dv/dt + v = sum(exc) - 0.1 * mean(r) : min=-1.0", "r = pos(v)"],
)
Trace = ann.Synapse(
    parameters=dict(eta=0.01),
    equations=[
        ann.Variable("s = post.r - mean(post.r)", locality="semiglobal"),
        "dw/dt = eta * s * pre.r : min=0.0",
    ],
)

net = ann.Network(dt=1.0, seed=5)
inp = net.create(8, Input, name="inp")
res = net.create(12, ann.LeakyIntegrator(tau=10.0, sum="sum(exc) + sum(rec)"), name="res")
out = net.create(3, Readout, name="out")
inp.omega = np.linspace(0.05, 0.4, 8)
net.connect(res, res, "rec", name="rec").all_to_all(ann.Normal(0.0, 0.3, rng=net.default_rng))
net.connect(inp, res, "exc", name="ff").fixed_probability(
    0.5, ann.Uniform(0.0, 0.5, rng=net.default_rng), delays=ann.Uniform(1.0, 3.0, rng=net.default_rng)
)
net.connect(res, out, "exc", ann.Oja(eta=0.01), name="oja").all_to_all(0.1)
net.connect(inp, out, "exc", Trace, name="trace").one_to_one(0.5)
net.compile()
