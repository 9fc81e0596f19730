"""Action selection in a cortex - basal ganglia - thalamus loop (after Gurney, Prescott & Redgrave, 2001).

Five action channels. Cortex carries each action's salience plus the thalamic feedback; the striatum
(D1 and D2 neurons), the subthalamic nucleus (STN), the external globus pallidus (GPe) and the output
nucleus (GPi) are leaky rate neurons ``tau da/dt + a = inputs`` with the piecewise-linear output
``r = clip(a - eps, 0, 1)`` of the GPR model. D1 neurons inhibit GPi channel by channel (selection);
the STN excites every GPe and GPi channel (a diffuse projection, so a strong channel raises the
inhibition of all the others); GPe regulates STN and GPi; GPi tonically inhibits the thalamus, which
feeds back into cortex. The channel with the largest salience silences its own GPi neuron, releases its
thalamic neuron and wins the loop; the others stay inhibited. At 500 ms channel 4's salience rises above
the winner's and the selection switches.

The steady states of the same equations are also found with NumPy (a damped fixed-point iteration of
the map ``a = inputs(r(a))``, the second one started from the first: the loop has several stable
states) and the script prints the largest difference from nnc's values at 500 and 1000 ms.

    python examples/basal_ganglia.py [--quick]   # 1 s at dt = 1 ms (quick as well)
"""

from __future__ import annotations

import numpy as np
from _gallery import options, report

import nnc as ann

args = options(__doc__)
C = 5
salience_1 = np.array([0.2, 0.6, 0.4, 0.1, 0.3])
salience_2 = np.array([0.2, 0.6, 0.4, 0.9, 0.3])  # channel 4 rises at 500 ms

Nucleus = ann.Neuron(
    parameters="""
        tau = 10.0 : population
        eps = 0.0 : population
        drive = 0.0
    """,
    equations=["tau * da/dt + a = drive + sum(exc) - sum(inh)", "r = clip(a - eps, 0.0, 1.0)"],
)
# GPR 2001: thresholds eps (D1, D2: 0.2; STN: -0.25; GPe, GPi: -0.2), dopamine lambda = 0.2; the
# thalamus fires only above 0.3, so a partly released channel does not reach cortex
EPS = {"cortex": 0.0, "d1": 0.2, "d2": 0.2, "stn": -0.25, "gpe": -0.2, "gpi": -0.2, "thalamus": 0.3}
#        pre         post        target  weight  pattern
WIRING = [
    ("cortex", "d1", "exc", 1.2, "one"),  # (1 + lambda)
    ("cortex", "d2", "exc", 0.8, "one"),  # (1 - lambda)
    ("cortex", "stn", "exc", 1.0, "one"),
    ("cortex", "thalamus", "exc", 1.0, "one"),
    ("thalamus", "cortex", "exc", 0.5, "one"),
    ("d1", "gpi", "inh", 1.0, "one"),
    ("d2", "gpe", "inh", 1.0, "one"),
    ("stn", "gpe", "exc", 0.8, "all"),
    ("stn", "gpi", "exc", 0.9, "all"),
    ("gpe", "stn", "inh", 1.0, "one"),
    ("gpe", "gpi", "inh", 0.3, "one"),
    ("gpi", "thalamus", "inh", 1.0, "one"),
]

net = ann.Network(dt=1.0, seed=2001)
pops = {name: net.create(C, Nucleus, name=name) for name in EPS}
for name, eps in EPS.items():
    pops[name].eps = eps
pops["cortex"].drive = salience_1
for pre, post, target, w, pattern in WIRING:
    proj = net.connect(pops[pre], pops[post], target)
    proj.one_to_one(weights=w) if pattern == "one" else proj.all_to_all(
        weights=w, allow_self_connections=True
    )
monitors = {name: net.monitor(pops[name], "r") for name in ("cortex", "gpi", "thalamus")}

net.config(num_threads=args.threads)
net.compile()
net.simulate(500.0)
first = {name: pops[name].r.copy() for name in EPS}
pops["cortex"].drive = salience_2
net.simulate(500.0)
second = {name: pops[name].r.copy() for name in EPS}
traces = {name: m.get("r") for name, m in monitors.items()}


def steady_state(salience: np.ndarray, a: dict[str, np.ndarray] | None = None) -> tuple[dict, dict]:
    """The fixed point of the same equations (activations, rates), by damped iteration from ``a``."""
    a = a if a is not None else {name: np.zeros(C) for name in EPS}
    for _ in range(3000):
        r = {name: np.clip(a[name] - EPS[name], 0.0, 1.0) for name in EPS}
        target = {name: (salience if name == "cortex" else np.zeros(C)).copy() for name in EPS}
        for pre, post, kind, w, pattern in WIRING:
            x = w * (r[pre] if pattern == "one" else np.full(C, r[pre].sum()))
            target[post] += x if kind == "exc" else -x
        a = {name: a[name] + 0.1 * (target[name] - a[name]) for name in EPS}
    return a, {name: np.clip(a[name] - EPS[name], 0.0, 1.0) for name in EPS}


# the loop has several stable states: the second one is reached from the first (as in the simulation)
a_1, ref_1 = steady_state(salience_1)
_, ref_2 = steady_state(salience_2, a_1)
difference = max(
    float(np.max(np.abs(state[n] - ref[n]))) for state, ref in ((first, ref_1), (second, ref_2)) for n in EPS
)


def figure():
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(12, 3.8), sharey=True)
    t = np.arange(1000)
    for ax, name in zip(axes, ("cortex", "gpi", "thalamus"), strict=True):
        for c in range(C):
            ax.plot(t, traces[name][:, c], label=f"channel {c + 1}")
        ax.axvline(500, color="0.5", linestyle=":")
        ax.set_title(name if name != "gpi" else "GPi (output, inhibitory)")
        ax.set_xlabel("time (ms)")
    axes[0].set_ylabel("r")
    axes[0].legend(fontsize="small")
    fig.suptitle("selection: channel 2 wins, then channel 4 after its salience rises (dotted line)")
    fig.tight_layout()
    return fig


report(
    args,
    {
        "selected channel before 500 ms": int(np.argmax(first["thalamus"])) + 1,
        "selected channel after 500 ms": int(np.argmax(second["thalamus"])) + 1,
        "GPi of the winner": float(second["gpi"][3]),
        "lowest GPi of the losers": float(np.delete(second["gpi"], 3).min()),
        "largest difference from the NumPy steady state": difference,
    },
    figure,
)
