"""The CUBA network of Vogels & Abbott (2005): 4000 current-based integrate-and-fire neurons.

As COBA, 3200 excitatory and 800 inhibitory neurons connected with probability 0.02, but each spike adds
a fixed jump to an exponentially decaying synaptic current (1.62 mV excitatory, -9 mV inhibitory) and
the resting potential (-49 mV) lies above the threshold (-50 mV): without inhibition every neuron would
fire regularly, and the balance of excitation and inhibition makes the firing sparse and irregular.

    python examples/cuba.py                 # 1 s of biological time
    python examples/cuba.py --quick         # 500 ms
"""

from __future__ import annotations

import numpy as np
from _gallery import options, report

import nnc as ann

args = options(__doc__, lambda p: p.add_argument("--duration", type=float, default=1000.0, help="ms"))
duration = 500.0 if args.quick else args.duration

CUBA = ann.Neuron(
    parameters=dict(El=-49.0, Vr=-60.0, Vt=-50.0, tau=20.0, tau_exc=5.0, tau_inh=10.0),
    equations=[
        "tau * dv/dt = (El - v) + g_exc - g_inh",
        "tau_exc * dg_exc/dt = - g_exc",
        "tau_inh * dg_inh/dt = - g_inh",
    ],
    spike="v > Vt",
    reset="v = Vr",
    refractory=5.0,
)

net = ann.Network(dt=0.1, seed=42)
P = net.create(4000, CUBA)
P.v = ann.Uniform(-60.0, -50.0, rng=net.default_rng)
net.connect(P[:3200], P, "exc").fixed_probability(weights=1.62, probability=0.02)
net.connect(P[3200:], P, "inh").fixed_probability(weights=9.0, probability=0.02)
m = net.monitor(P, "spike")
mv = net.monitor(P[:3], "v")

net.config(num_threads=args.threads)
net.compile()
net.simulate(duration)

spikes = m.get("spike")
v = mv.get("v")
counts = np.array([len(spikes[i]) for i in range(4000)])
seconds = duration / 1000.0
cv = np.mean(m.coefficient_of_variation(spikes))


def figure():
    import matplotlib.pyplot as plt

    import nnc.plot

    fig, (top, bottom) = plt.subplots(2, 1, figsize=(8, 7), height_ratios=[3, 1.3])
    ranks = [*range(0, 320), *range(3200, 3280)]
    nnc.plot.raster(m, spikes={i: spikes[r] for i, r in enumerate(ranks)}, ax=top, bin_ms=2.0)
    top.axhline(319.5, color="r", linewidth=0.8)
    top.set_title(f"CUBA: 320 excitatory and 80 inhibitory neurons (above the red line), {duration:g} ms")
    nnc.plot.traces(mv, "v", data=v, ax=bottom)
    bottom.set_ylabel("v (mV)")
    bottom.set_title("membrane potential of three excitatory neurons")
    fig.tight_layout()
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
