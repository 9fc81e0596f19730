"""Firing patterns of the adaptive exponential integrate-and-fire neuron (Naud et al., 2008).

The AdEx model (Brette & Gerstner, 2005) in the units of Naud et al. (pF, nS, mV, pA, ms)::

    C dv/dt = -gL (v - EL) + gL DeltaT exp((v - VT) / DeltaT) - w + I
    tau_w dw/dt = a (v - EL) - w
    v > 0 mV:  v = Vr,  w += b

produces tonic spiking, adaptation, initial and regular bursting, delayed firing, transient and
irregular spiking with only these nine parameters changed. Each pattern of Naud et al.'s Table 1 is one
neuron of a population (its parameters are local); they all receive their step current from t = 0.
The script prints the number of spikes of each pattern and the adaptation index of the first ones
(the mean of (ISI[k+1] - ISI[k]) / (ISI[k+1] + ISI[k]): 0 for regular firing, > 0 for adaptation).

    python examples/adex.py             # 500 ms at dt = 0.01 ms
    python examples/adex.py --quick     # 300 ms
"""

from __future__ import annotations

import numpy as np
from _gallery import options, report

import nnc as ann

args = options(__doc__)
duration = 300.0 if args.quick else 500.0

# Naud, Marcille, Clopath & Gerstner (2008), Table 1:
#            C    gL   EL    VT  DeltaT   a   tau_w   b    Vr    I
PATTERNS = {
    "tonic": (200, 10, -70, -50, 2, 2, 30, 0, -58, 500),
    "adapting": (200, 12, -70, -50, 2, 2, 300, 60, -58, 500),
    "initial burst": (130, 18, -58, -50, 2, 4, 150, 120, -50, 400),
    "regular bursting": (200, 10, -58, -50, 2, 2, 120, 100, -46, 210),
    "delayed accelerating": (200, 12, -70, -50, 2, -10, 300, 0, -58, 300),
    "delayed regular bursting": (100, 10, -65, -50, 2, -10, 90, 30, -47, 110),
    "transient": (100, 10, -65, -50, 2, 10, 90, 100, -47, 180),
    "irregular": (100, 12, -60, -50, 2, -11, 130, 30, -48, 160),
}
NAMES = ["C", "gL", "EL", "VT", "DeltaT", "a", "tau_w", "b", "Vr", "I"]

AdEx = ann.Neuron(
    parameters="\n".join(f"{name} = 0.0" for name in NAMES),
    equations=[
        "C * dv/dt = -gL * (v - EL) + gL * DeltaT * exp((v - VT) / DeltaT) - w + I : init=-70.0",
        "tau_w * dw/dt = a * (v - EL) - w",
    ],
    spike="v > 0.0",
    reset="v = Vr\nw += b",
)

net = ann.Network(dt=0.01, seed=1)
pop = net.create(len(PATTERNS), AdEx)
table = np.array(list(PATTERNS.values()), dtype=float)
for column, name in enumerate(NAMES):
    setattr(pop, name, table[:, column])
pop.v = table[:, NAMES.index("EL")]
m = net.monitor(pop, "spike")
mv = net.monitor(pop, "v", period=0.1)

net.config(num_threads=args.threads)
net.compile()
net.simulate(duration)
spikes = m.get("spike")
v = mv.get("v")


def adaptation_index(steps: list[int]) -> float:
    """Naud et al.'s adaptation index over the inter-spike intervals (NaN with fewer than 3 spikes)."""
    isi = np.diff(np.asarray(steps, dtype=float))
    return float(np.mean(np.diff(isi) / (isi[1:] + isi[:-1]))) if len(isi) >= 2 else float("nan")


numbers: dict[str, float] = {}
for i, name in enumerate(PATTERNS):
    numbers[f"spikes: {name}"] = len(spikes[i])
numbers["adaptation index: tonic"] = adaptation_index(spikes[0])
numbers["adaptation index: adapting"] = adaptation_index(spikes[1])
numbers["first spike (ms): delayed accelerating"] = spikes[4][0] * net.dt if spikes[4] else float("nan")


def figure():
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(4, 2, figsize=(10, 8), sharex=True)
    t = np.arange(v.shape[0]) * mv.period
    for i, (name, ax) in enumerate(zip(PATTERNS, axes.T.ravel(), strict=True)):
        trace = v[:, i].copy()
        for s in spikes[i]:  # draw each spike as a stroke up to 0 mV (the recorded v is already reset)
            k = min(int(s * net.dt / mv.period), len(trace) - 1)
            trace[k] = 0.0
        ax.plot(t, trace, "k", linewidth=0.7)
        ax.set_title(f"{name} ({len(spikes[i])} spikes)", fontsize="medium")
        ax.set_ylim(-80, 5)
    for ax in axes[-1]:
        ax.set_xlabel("time (ms)")
    for ax in axes[:, 0]:
        ax.set_ylabel("v (mV)")
    fig.suptitle("AdEx firing patterns (parameters of Naud et al. 2008, Table 1)")
    fig.tight_layout()
    return fig


report(args, numbers, figure)
