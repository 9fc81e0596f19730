"""The COBA network of Vogels & Abbott (2005): 4000 conductance-based integrate-and-fire neurons.

3200 excitatory and 800 inhibitory neurons, connected with probability 0.02 (weights 0.6 and 6.7),
receive a constant drive and settle into asynchronous irregular firing near 20 Hz. The script prints
the mean rates of both groups (the reference simulator gives the same spikes for seed 42: 19.85 and
20.34 Hz over 1 s) and the mean coefficient of variation of the inter-spike intervals, and draws a
raster of 400 neurons with the population rate under it.

    python examples/coba.py                 # 1 s of biological time
    python examples/coba.py --duration 10000 --threads 2
    python examples/coba.py --quick         # 500 ms
"""

from __future__ import annotations

import numpy as np
from _gallery import options, report

import nnc as ann

args = options(__doc__, lambda p: p.add_argument("--duration", type=float, default=1000.0, help="ms"))
duration = 500.0 if args.quick else args.duration

COBA = ann.Neuron(
    parameters=dict(
        El=-60.0,
        Vr=-60.0,
        Erev_exc=0.0,
        Erev_inh=-80.0,
        Vt=-50.0,
        tau=20.0,
        tau_exc=5.0,
        tau_inh=10.0,
        I=20.0,
    ),
    equations=[
        "tau * dv/dt = (El - v) + g_exc * (Erev_exc - v) + g_inh * (Erev_inh - v) + I",
        "tau_exc * dg_exc/dt = - g_exc",
        "tau_inh * dg_inh/dt = - g_inh",
    ],
    spike="v > Vt",
    reset="v = Vr",
    refractory=5.0,
)

net = ann.Network(dt=0.1, seed=42)
P = net.create(4000, COBA)
P.v = ann.Normal(-55.0, 5.0, rng=net.default_rng)
P.g_exc = ann.Normal(4.0, 1.5, rng=net.default_rng)
P.g_inh = ann.Normal(20.0, 12.0, rng=net.default_rng)
net.connect(P[:3200], P, "exc").fixed_probability(weights=0.6, probability=0.02)
net.connect(P[3200:], P, "inh").fixed_probability(weights=6.7, probability=0.02)
m = net.monitor(P, "spike")

net.config(num_threads=args.threads)
net.compile()
net.simulate(duration)

spikes = m.get("spike")
counts = np.array([len(spikes[i]) for i in range(4000)])
seconds = duration / 1000.0
cv = np.mean(m.coefficient_of_variation(spikes)) if counts.sum() else float("nan")


def figure():
    import matplotlib.pyplot as plt

    import nnc.plot

    fig, ax = plt.subplots(figsize=(8, 5))
    ranks = [*range(0, 320), *range(3200, 3280)]  # 10 % of each group, drawn as rows 0-399
    nnc.plot.raster(m, spikes={i: spikes[r] for i, r in enumerate(ranks)}, ax=ax, bin_ms=2.0)
    ax.axhline(319.5, color="r", linewidth=0.8)
    ax.set_title(f"COBA: 320 excitatory and 80 inhibitory neurons (above the red line), {duration:g} ms")
    return fig


report(
    args,
    {
        "excitatory rate (Hz)": counts[:3200].mean() / seconds,
        "inhibitory rate (Hz)": counts[3200:].mean() / seconds,
        "mean CV of the ISIs": float(cv),
        "spikes": int(counts.sum()),
    },
    figure,
)
