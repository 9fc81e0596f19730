"""Izhikevich (2003) pulse-coupled network: 800 excitatory and 200 inhibitory neurons, all-to-all.

Each neuron follows ``v' = 0.04 v^2 + 5 v + 140 - u + I`` and ``u' = a (b v - u)`` with the reset
``v = c, u += d`` when ``v`` reaches 30 mV. Excitatory neurons are regular spiking to chattering
(``c = -65 + 15 re^2``, ``d = 8 - 6 re^2``), inhibitory ones fast spiking to low-threshold spiking
(``a = 0.02 + 0.08 ri``, ``b = 0.25 - 0.05 ri``), with ``re``, ``ri`` uniform in [0, 1] per neuron.
Random thalamic input (Gaussian, SD 5 for excitatory and 2 for inhibitory neurons, drawn every 1 ms
step) and the random all-to-all weights (uniform in [0, 0.5] excitatory, [0, 1] inhibitory) make the
network fire in rhythms in the alpha and gamma bands, as in the paper's Fig. 3. The paper integrates
``v`` in two half steps of 0.5 ms within each 1 ms step; this script uses one Euler step of 1 ms.

    python examples/izhikevich_network.py            # 1 s
    python examples/izhikevich_network.py --quick    # 1 s as well (it takes about a second)
"""

from __future__ import annotations

import numpy as np
from _gallery import options, report

import nnc as ann

args = options(__doc__, lambda p: p.add_argument("--duration", type=float, default=1000.0, help="ms"))
duration = 1000.0 if args.quick else args.duration

Izhikevich = ann.Neuron(
    parameters="""
        a = 0.02
        b = 0.2
        c = -65.0
        d = 8.0
        noise = 5.0
    """,
    equations=[
        "I = noise * Normal(0.0, 1.0) + g_exc - g_inh",
        "dv/dt = 0.04 * v^2 + 5.0 * v + 140.0 - u + I : init=-65.0",
        "du/dt = a * (b * v - u) : init=-13.0",
    ],
    spike="v >= 30.0",
    reset="v = c\nu += d",
)

Ne, Ni = 800, 200
rng = np.random.default_rng(2003)
re, ri = rng.random(Ne), rng.random(Ni)

net = ann.Network(dt=1.0, seed=42)
P = net.create(Ne + Ni, Izhikevich)
exc, inh = P[:Ne], P[Ne:]
exc.c, exc.d, exc.noise = -65.0 + 15.0 * re**2, 8.0 - 6.0 * re**2, 5.0
inh.a, inh.b, inh.noise = 0.02 + 0.08 * ri, 0.25 - 0.05 * ri, 2.0
inh.d = 2.0
P.v = -65.0
P.u = P.b * -65.0
# The paper's weights: uniform [0, 0.5] from excitatory, [0, 1] from inhibitory neurons (all-to-all).
net.connect(exc, P, "exc").all_to_all(weights=ann.Uniform(0.0, 0.5, rng=rng), allow_self_connections=True)
net.connect(inh, P, "inh").all_to_all(weights=ann.Uniform(0.0, 1.0, rng=rng), allow_self_connections=True)
m = net.monitor(P, "spike")
mv = net.monitor(P[0], "v")

net.config(num_threads=args.threads)
net.compile()
net.simulate(duration)

spikes = m.get("spike")
v = mv.get("v")
counts = np.array([len(spikes[i]) for i in range(Ne + Ni)])
seconds = duration / 1000.0

# Dominant rhythm: the peak of the power spectrum of the excitatory population's spike count (1 ms bins).
steps_per_ms = round(1.0 / net.dt)
bins = np.zeros(int(duration))
for r in range(Ne):
    np.add.at(bins, np.asarray(spikes[r], dtype=np.int64) // steps_per_ms, 1.0)
power = np.abs(np.fft.rfft(bins - bins.mean())) ** 2
freqs = np.fft.rfftfreq(len(bins), d=1e-3)
band = (freqs >= 4.0) & (freqs <= 80.0)
peak = float(freqs[band][np.argmax(power[band])])


def figure():
    import matplotlib.pyplot as plt

    import nnc.plot

    fig = plt.figure(figsize=(9, 7))
    grid = fig.add_gridspec(2, 2, height_ratios=[3, 1.2], width_ratios=[2.2, 1])
    top, trace, spectrum = (
        fig.add_subplot(grid[0, :]),
        fig.add_subplot(grid[1, 0]),
        fig.add_subplot(grid[1, 1]),
    )
    nnc.plot.raster(m, spikes=spikes, ax=top, bin_ms=1.0)
    top.axhline(Ne - 0.5, color="r", linewidth=0.8)
    top.set_title("Izhikevich (2003): 800 excitatory, 200 inhibitory neurons (above the red line)")
    nnc.plot.traces(mv, "v", data=v, ax=trace)
    trace.set_ylabel("v (mV)")
    trace.set_title("neuron 0 (regular spiking)")
    spectrum.semilogy(freqs[band], power[band], "k", linewidth=0.8)
    spectrum.axvline(peak, color="r", linewidth=0.8)
    spectrum.set_xlabel("frequency (Hz)")
    spectrum.set_title(f"spectrum of the rate: peak {peak:.0f} Hz")
    fig.tight_layout()
    return fig


report(
    args,
    {
        "excitatory rate (Hz)": counts[:Ne].mean() / seconds,
        "inhibitory rate (Hz)": counts[Ne:].mean() / seconds,
        "rhythm peak (Hz)": peak,
    },
    figure,
)
