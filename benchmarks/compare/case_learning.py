"""Learning rules: Hebb, Oja, IBCM and a custom rule with global/semiglobal variables (SEMANTICS §8).

Hebb with a uniform delay (synaptic equations read ``pre.r`` one step later than transmission, SEMANTICS §5
(?)), Oja with ``enable_learning(period=3, offset=1)`` (``dt`` becomes ``3*dt``), IBCM with ``period=2``,
a custom rule whose global variable uses ``mean(post.r)``/``max(pre.r)`` and whose semiglobal variable reads
``post.r``, a midpoint synaptic ODE, ``disable_learning`` / ``enable_learning`` during the run and
``proj.reset()``. Recorded: post rates every step, a dendrite's ``w`` every step, all weights and
synaptic variables at the end.
"""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import Results

out = Results("learning")
ann = out.ann

Input = ann.Neuron(
    parameters=dict(omega=ann.Parameter(0.1, locality="local"), phase=ann.Parameter(0.0, locality="local")),
    equations=["r = 0.5 + 0.5 * sin(omega * t + phase)"],
)
Output = ann.Neuron(
    parameters=dict(tau=5.0), equations=["tau * dv/dt + v = sum(exc)", "r = pos(tanh(v)) + 0.1"]
)
Custom = ann.Synapse(
    parameters=dict(eta=0.05, decay=ann.Parameter(0.1, locality="local")),
    equations=[
        ann.Variable("tau_g = 1.0 + mean(post.r) + max(pre.r)", locality="global"),
        ann.Variable("trace = post.r - mean(post.r)", locality="semiglobal"),
        ann.Variable("dw/dt = eta * trace * (pre.r - min(pre.r)) - decay * w / tau_g", min=-1.0, max=1.0),
        "e = w * pre.r",
    ],
)
Midpoint = ann.Synapse(
    parameters=dict(tau=20.0),
    equations=["tau * dw/dt = pre.r * post.r - w * post.r^2 : midpoint", "tau * dx/dt = w - x : midpoint"],
)

net = ann.Network(dt=1.0, seed=9)
rng = net.default_rng
inp = net.create(10, Input, name="inp")
local = np.random.default_rng(8)
inp.omega = local.uniform(0.05, 0.4, inp.size)
inp.phase = local.uniform(0.0, 6.28, inp.size)
rules = {
    "hebb": ann.Hebb(eta=0.01),
    "oja": ann.Oja(eta=0.05, alpha=0.5),
    "ibcm": ann.IBCM(eta=0.05, tau=20.0),
    "custom": Custom,
    "mid": Midpoint,
}
posts = {name: net.create(6, Output, name=f"post_{name}") for name in rules}
proj = {}
for name, syn in rules.items():
    p = net.connect(inp, posts[name], "exc", syn, name=name)
    delays = 3.0 if name == "hebb" else 0.0
    p.fixed_probability(0.6, weights=ann.Uniform(0.0, 0.5, rng=rng), delays=delays)
    proj[name] = p
proj["custom"].decay = ann.Uniform(0.05, 0.2, rng=rng)
mons = {name: net.monitor(pop, "r") for name, pop in posts.items()}
out.compile(net)
dend = {name: net.monitor(proj[name].dendrite(proj[name].post_ranks[0]), "w") for name in ("oja", "custom")}
proj["oja"].enable_learning(period=3.0, offset=1.0)
proj["ibcm"].enable_learning(period=2.0)
net.simulate(20.0)
proj["hebb"].disable_learning()
net.disable_learning([proj["mid"]])
net.simulate(15.0)
proj["hebb"].enable_learning()
net.enable_learning([proj["mid"]])
net.simulate(15.0)
out.value("custom.tau_g", proj["custom"].tau_g)
out.value("custom.trace", proj["custom"].trace)
out.value("ibcm.theta", proj["ibcm"].theta)
proj["custom"].reset()
proj["mid"].reset(attributes=["x"])
net.simulate(10.0)
for name, p in proj.items():
    out.same(f"{name}.pre_ranks", [[int(x) for x in row] for row in p.pre_ranks])
    out.value(f"{name}.w", p.w)
    out.value(f"{name}.post.r", mons[name].get("r"))
for name, m in dend.items():
    out.value(f"{name}.dendrite.w", m.get("w"))
out.value("custom.e", proj["custom"].e)
out.value("mid.x", proj["mid"].x)
out.emit()
