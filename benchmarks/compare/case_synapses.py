"""Synaptic equations beyond the built-in rules: methods, localities and neuron sums (DSL §9.6, §11).

Coupled ``rk4`` ODEs of a synapse (integrated one by one, each seeing the others' current values, DSL
§9.6 (?)), coupled ``implicit`` and ``midpoint`` pairs (solved jointly), an ``exponential`` semiglobal ODE,
a global synaptic ODE reading ``mean(post.r)``, ``post.sum(exc)`` and ``pre.sum(exc)`` inside synaptic
equations, a psp reading a synaptic variable, a ``min``/``max`` given by a parameter, int/bool synaptic
variables. dt = 0.5 ms, 60 steps; recorded: post rates, a dendrite's variables, final synaptic state.
"""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import Results

out = Results("synapses")
ann = out.ann
DT = 0.5

Source = ann.Neuron(
    parameters=dict(omega=ann.Parameter(0.1, locality="local")),
    equations=["r = 0.5 + 0.5 * sin(omega * t) + 0.1 * sum(exc)"],
)
Target = ann.Neuron(parameters=dict(tau=3.0), equations=["tau * dv/dt + v = sum(exc)", "r = tanh(v) + 0.2"])


def coupled(method):
    return ann.Synapse(
        parameters=dict(tau=8.0, wmax=ann.Parameter(0.8, locality="local")),
        equations=[
            f"tau * dx/dt = pre.r - y : {method}",
            f"tau * dy/dt = x - y + 0.1 * post.r : {method}",
            f"tau * dw/dt = x * post.r - w : {method}, min=0.0, max=wmax",
        ],
    )


Mixed = ann.Synapse(
    parameters=dict(tau_s=5.0, eta=0.005, lim=0.5),
    equations=[
        ann.Variable("tau_s * dg/dt + g = mean(post.r)", locality="global", method="exponential"),
        ann.Variable("tau_s * dm/dt + m = post.sum(exc) * g", locality="semiglobal", method="exponential"),
        "dw/dt = eta * (pre.r * m - pre.sum(exc) * w) : min=-lim, max=lim",
        ann.Variable("n = 10.0 * w", type="int"),
        ann.Variable("big = w > 0.2", type="bool"),
    ],
    psp="w * pre.r + 0.05 * n + 0.1 * big",
)

net = ann.Network(dt=DT, seed=17)
rng = net.default_rng
src = net.create(8, Source, name="src")
src.omega = np.linspace(0.05, 0.4, src.size)
net.connect(src, src, "exc", name="src_rec").fixed_probability(0.3, weights=ann.Uniform(0.0, 0.2, rng=rng))
projs, mons = {}, {}
for name, syn in (
    ("rk4", coupled("rk4")),
    ("implicit", coupled("implicit")),
    ("midpoint", coupled("midpoint")),
    ("mixed", Mixed),
):
    post = net.create(5, Target, name=f"post_{name}")
    p = net.connect(src, post, "exc", syn, name=name)
    p.fixed_probability(0.7, weights=ann.Uniform(0.0, 0.4, rng=rng))
    projs[name] = p
    mons[name] = net.monitor(post, "r")
projs["rk4"].wmax = ann.Uniform(0.3, 0.9, rng=rng)
out.compile(net)
dendrites = {name: net.monitor(p.dendrite(p.post_ranks[0]), ["w"]) for name, p in projs.items()}
net.simulate(60 * DT)
for name, p in projs.items():
    out.same(f"{name}.pre_ranks", [[int(x) for x in row] for row in p.pre_ranks])
    out.value(f"{name}.post.r", mons[name].get("r"))
    out.value(f"{name}.dendrite.w", dendrites[name].get("w"))
    out.value(f"{name}.w", p.w)
    for var in ("x", "y") if name != "mixed" else ("m", "n", "big"):
        out.value(f"{name}.{var}", getattr(p, var))
out.value("mixed.g", projs["mixed"].g)
out.emit()
