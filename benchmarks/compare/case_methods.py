"""Every numerical method on linear, non-linear and coupled rate-coded neurons (DSL.md §9), dt = 0.5 ms.

Each population is driven by its own sinusoid ``I = a*sin(omega*t) + b`` with per-neuron parameters drawn
with a seeded NumPy generator, so no simulator random number is involved. Recorded: ``r`` (and ``u`` for
coupled systems) every step for 200 steps.
"""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import Results

out = Results("methods")
ann = out.ann
N, STEPS, DT = 6, 200, 0.5
DRIVE = dict(
    a=ann.Parameter(1.0, locality="local"),
    b=ann.Parameter(0.0, locality="local"),
    omega=ann.Parameter(0.1, locality="local"),
    tau=ann.Parameter(10.0, locality="local"),
)


def linear(method):
    return ann.Neuron(
        parameters=DRIVE,
        equations=[
            "I = a * sin(omega * t) + b",
            f"tau * dv/dt + v = I : {method}, init=0.2",
            "r = v",
        ],
    )


def nonlinear(method):
    return ann.Neuron(
        parameters=DRIVE,
        equations=[
            "I = a * sin(omega * t) + b",
            f"tau * dv/dt = -v + 1.5 * tanh(v) + I : {method}, init=0.3",
            "r = v",
        ],
    )


def cubic(method):
    return ann.Neuron(
        parameters=DRIVE,
        equations=[
            "I = a * sin(omega * t) + b",
            f"tau * dv/dt = v - v^3 / 3.0 + I : {method}, init=-1.0",
            "r = v",
        ],
    )


def coupled(method):
    """SEMANTICS.md §19 #23: tau dv/dt = -v - u + I, tau du/dt = -u + I."""
    return ann.Neuron(
        parameters=DRIVE,
        equations=[
            "I = a * sin(omega * t) + b",
            f"tau * dv/dt = -v - u + I : {method}",
            f"tau * du/dt = -u + I : {method}",
            "r = v",
        ],
    )


def fitzhugh(method):
    """FitzHugh-Nagumo: non-linear coupled system."""
    return ann.Neuron(
        parameters=DRIVE,
        equations=[
            "I = a * sin(omega * t) + b",
            f"du/dt = u - u^3/3.0 - v + I : {method}, init=-1.0",
            f"tau * dv/dt = u + 0.7 - 0.8 * v : {method}, init=1.0",
            "r = u",
        ],
    )


FAMILIES = {
    "linear": (linear, ["explicit", "implicit", "semiimplicit", "midpoint", "rk4", "exponential"]),
    "nonlinear": (nonlinear, ["explicit", "midpoint", "rk4", "exponential", "semiimplicit"]),
    "cubic": (cubic, ["explicit", "midpoint", "rk4"]),
    "coupled": (coupled, ["explicit", "implicit", "midpoint", "rk4", "exponential"]),
    "fitzhugh": (fitzhugh, ["explicit", "midpoint", "rk4"]),
}

rng = np.random.default_rng(12)
net = ann.Network(dt=DT, seed=1)
monitors = {}
for family, (model, methods) in FAMILIES.items():
    for method in methods:
        pop = net.create(N, model(method), name=f"{family}_{method}")
        pop.a = rng.uniform(0.5, 2.0, N)
        pop.b = rng.uniform(-0.5, 0.5, N)
        pop.omega = rng.uniform(0.05, 0.3, N)
        pop.tau = rng.uniform(2.0, 20.0, N)
        variables = ["r", "u"] if family in ("coupled", "fitzhugh") else ["r"]
        monitors[pop.name] = (net.monitor(pop, variables), variables)
out.compile(net)
net.simulate(STEPS * DT)
for name, (m, variables) in monitors.items():
    data = m.get(variables, force_dict=True)
    for v in variables:
        out.value(f"{name}.{v}", data[v])
out.emit()
