"""Single precision (SEMANTICS §14): ``net.config(dtype=float32)`` and ``setup(dtype=float32)``.

Two networks: a LeakyIntegrator reservoir with an input sinusoid, dense recurrent and sparse input
projections, an Oja-learning read-out and a global operation, configured with ``net.config``; and
neurons with exp/tanh/power/sqrt under each numerical method, configured through ``setup()`` before
the network is created. Both simulators compute in float32 but may order operations differently, so
differences are compared against 1e-5 of the largest magnitude (SEMANTICS §0; float32 rounding is 6e-8
per operation, accumulated over 100-200 steps of contracting systems).
"""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import Results

out = Results("float32", rtol=1e-5)
ann = out.ann

Input = ann.Neuron(
    parameters=dict(omega=ann.Parameter(0.1, locality="local")), equations=["r = 0.5 + 0.5 * sin(omega * t)"]
)
Reservoir = ann.Neuron(
    parameters=dict(tau=10.0),
    equations=["tau * dx/dt + x = sum(in) + sum(rec) - 0.1 * mean(r)", "r = tanh(x)"],
)


def methods(method):
    """exp/tanh/power/sqrt under ``method`` (implicit needs a linear ODE)."""
    nonlinear = "+ 0.5 * tanh(a) + exp(-fabs(a)) * I" if method != "implicit" else "+ 0.5 * I"
    return ann.Neuron(
        parameters=dict(tau=ann.Parameter(5.0, locality="local")),
        equations=[
            "I = 0.8 * sin(0.05 * t) + 0.1 * power(t / 100.0, 2) + sqrt(fabs(sin(0.1 * t)))",
            f"tau * da/dt = -a {nonlinear} : {method}, init=0.3",
            "r = a",
        ],
    )


net = ann.Network(dt=1.0, seed=5)
net.config(dtype=ann.float32)
rng = net.default_rng
inp = net.create(20, Input, name="inp")
res = net.create(40, Reservoir, name="res")
read = net.create(3, ann.LeakyIntegrator(tau=4.0, sum="sum(exc)"), name="read")
local = np.random.default_rng(4)
inp.omega = local.uniform(0.05, 0.3, inp.size)
res.x = local.uniform(-0.5, 0.5, res.size)
net.connect(res, res, "rec").all_to_all(weights=ann.Normal(0.0, 1.2 / np.sqrt(40), rng=rng))
net.connect(inp, res, "in").fixed_probability(0.3, weights=ann.Uniform(-0.5, 0.5, rng=rng))
oja = net.connect(res, read, "exc", ann.Oja(eta=0.01, alpha=2.0))
oja.all_to_all(weights=ann.Uniform(0.0, 0.2, rng=rng))
m_res = net.monitor(res[:10], "r")
m_read = net.monitor(read, "r")
out.compile(net, "config")
net.simulate(100.0)
out.value("config.res.r", m_res.get("r"))
out.value("config.read.r", m_read.get("r"))
out.value("config.oja.w", oja.w)
out.value("config.res.x", res.x)
out.same("config.res.x.dtype_bytes", int(np.asarray(res.x).dtype.itemsize))

ann.setup(dtype=ann.float32)
net2 = ann.Network(dt=0.5, seed=6)
mons = {}
for method in ("explicit", "exponential", "implicit", "midpoint", "rk4"):
    pop = net2.create(5, methods(method), name=method)
    pop.tau = np.linspace(2.0, 10.0, pop.size)
    mons[method] = net2.monitor(pop, "a")
out.compile(net2, "setup")
net2.simulate(100.0)
for method, m in mons.items():
    out.value(f"setup.{method}.a", m.get("a"))
out.emit()
