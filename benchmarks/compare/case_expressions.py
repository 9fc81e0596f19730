"""Conditionals, functions, bounds, global operations, constants and built-ins in rate-coded neurons.

DSL.md §5-§8, §13 and SEMANTICS.md §7: block conditionals and ``ite``, local and global functions, ``min``/
``max`` bounds given by numbers, parameters and expressions, ``mean/max/min/norm1/norm2`` (neurons see the
previous step's value), a network constant changed with ``set()`` during the run, integer and bool
variables, global neuron variables (ODE and assignment, recorded as ``(T,)``),
``modulo``/``power``/``clip``/``pos``/``neg``/``round``. 60 steps of 1 ms.
"""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import Results

out = Results("expressions")
ann = out.ann
N = 7
ann.add_function("soft(x) = log(1.0 + exp(x))")

Driven = dict(a=ann.Parameter(1.0, locality="local"), omega=ann.Parameter(0.1, locality="local"))

conditional = ann.Neuron(
    parameters=dict(**Driven, thr=0.2),
    equations=[
        "I = a * sin(omega * t)",
        """x = if I > thr:
            I - thr
        else:
            if I < -thr: I + thr else: 0.0""",
        "dy/dt = if (I > 0.0) and (x == 0.0): 0.1 else: -0.05 * y",
        "z = ite(I > 0.5, 1.0, ite(I < -0.5, -1.0, 0.0)) + ite(x <= 0.0, 0.5, 0.0)",
        "r = x + y + z",
    ],
)

functions = ann.Neuron(
    parameters=Driven,
    equations=[
        "I = a * sin(omega * t)",
        "s = sigmoid(3.0 * I, 2.0)",
        "g = soft(I) + soft(-2.0 * I)",
        "h = cube(I) + power(I, 3) + pos(I) - neg(I) + clip(4.0 * I, -1.0, 1.0)",
        "k = modulo(t, 7) + round(2.5 * I) + fabs(I) + sqrt(a) + atan2(I, a) + fmax(I, 0.2) + log10(a + 1.0)",
        "r = s + g + h + k",
    ],
    functions="""
    sigmoid(x, k) = 1.0 / (1.0 + exp(-k * x))
    cube(x) = x * x * x
""",
)

bounds = ann.Neuron(
    parameters=dict(**Driven, lo=ann.Parameter(-0.3, locality="local"), hi=0.4, tau=5.0),
    equations=[
        "I = a * sin(omega * t)",
        "dv/dt = I : min=lo, max=hi",
        "w = 2.0 * I : min=-0.5, max=hi + 0.1",
        "tau * dq/dt + q = I : min=0.0, exponential",
        "r = v + w + q",
    ],
)

globalops = ann.Neuron(
    parameters=Driven,
    equations=[
        "I = a * sin(omega * t)",
        "r = I + 0.1 * mean(r) - 0.05 * max(r)",
        "m1 = mean(r)",
        "m2 = max(I) - min(I)",
        "m3 = norm1(I)",
        "m4 = norm2(r)",
    ],
)

globalvars = ann.Neuron(
    parameters=dict(**Driven, tau_g=3.0),
    equations=[
        ann.Variable("tau_g * dg/dt = mean(v) - g", locality="global", method="exponential"),
        ann.Variable("h = max(v) - min(v) + g", locality="global"),
        "I = a * sin(omega * t) + 0.5 * g",
        ann.Variable("5.0 * dv/dt = I - v * (1.0 + tanh(h))", method="midpoint"),
        "r = v + 0.1 * h",
    ],
)

typed = ann.Neuron(
    parameters=dict(**Driven, flag=ann.Parameter(True, type="bool")),
    equations=[
        "I = a * sin(omega * t)",
        ann.Variable("n = 10.0 * I", type="int"),
        ann.Variable("b = I > 0.0", type="bool"),
        ann.Variable("c = c + 1", type="int", init=2),
        "r = n + b + c + ite(flag, 0.5, -0.5) + scale * I + offset",
    ],
)

net = ann.Network(dt=1.0, seed=2)
net.constant("scale", 2.0)
net.constant("offset", -1.0)
rng = np.random.default_rng(21)
pops = {}
for name, model in [
    ("conditional", conditional),
    ("functions", functions),
    ("bounds", bounds),
    ("globalops", globalops),
    ("globalvars", globalvars),
    ("typed", typed),
]:
    pop = net.create(N, model, name=name)
    pop.a = rng.uniform(0.5, 2.0, N)
    pop.omega = rng.uniform(0.05, 0.3, N)
    pops[name] = pop
pops["bounds"].lo = rng.uniform(-0.5, -0.1, N)
RECORD = {
    "conditional": ["x", "y", "z", "r"],
    "functions": ["s", "g", "h", "k"],
    "bounds": ["v", "w", "q"],
    "globalops": ["r", "m1", "m2", "m3", "m4"],
    "globalvars": ["g", "h", "r"],
    "typed": ["n", "b", "c", "r"],
}
mons = {name: net.monitor(pops[name], variables) for name, variables in RECORD.items()}
out.compile(net)
net.simulate(30.0)
net.get_constant("scale").set(-0.5)
pops["bounds"].hi = 0.2
net.simulate(30.0)
for name, variables in RECORD.items():
    # global variables: the reference cannot reshape (T,) records to the geometry (API §9 (?))
    data = mons[name].get(variables, force_dict=True, reshape=name != "globalvars")
    for v in variables:
        out.value(f"{name}.{v}", data[v])
out.value("functions.sigmoid(pop call)", pops["functions"].sigmoid([0.1, -0.3, 2.0], [1.0, 2.0, 3.0]))
out.emit()
