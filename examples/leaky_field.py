"""A 10x10 field of leaky integrators driven by a constant input, compared with the analytic solution.

Each neuron integrates ``tau * dv/dt + v = I`` from ``v = 0`` with explicit Euler (dt = 0.1 ms), so
``v(t)`` follows ``I * (1 - exp(-t/tau))`` within Euler's error (about ``dt / (2 e tau)`` here).

    python examples/leaky_field.py            # LLVM JIT (default)
    python examples/leaky_field.py --interp   # the NumPy reference interpreter
"""

from __future__ import annotations

import sys

import numpy as np

import nnc as ann

net = ann.Network(dt=0.1, seed=42)
if "--interp" in sys.argv:
    net.config(engine="interp")

LI = ann.Neuron(
    parameters=dict(tau=10.0, I=1.0),
    equations=["tau * dv/dt + v = I : init=0.0", "r = pos(v)"],
)
pop = net.create((10, 10), LI, name="field")
m = net.monitor(pop, ["v", "r"])

net.compile()
net.simulate(100.0)

v = m.get("v")  # shape (1000, 10, 10): sample s is the state after step s
t = (np.arange(v.shape[0]) + 1) * net.dt
analytic = pop.I * (1.0 - np.exp(-t / pop.tau))
error = np.max(np.abs(v - analytic[:, None, None]))

print(f"recorded v: shape {v.shape}")
print(f"v(100 ms) = {v[-1, 0, 0]:.6f}   analytic {analytic[-1]:.6f}")
print(f"largest deviation from I*(1 - exp(-t/tau)) over the field: {error:.2e}")
assert error < 0.002, "the field does not follow the analytic solution"
