"""Gap junctions synchronise neurons with different intrinsic rates.

Two groups of 50 regular-spiking Izhikevich (2003) neurons receive constant currents spread between 4
and 10, so on their own they fire regularly at different rates. In the second group every pair is
coupled by an electrical synapse: a continuous current ``w * (pre.v - post.v)`` (the ``psp`` of a
spiking synapse is transmitted every step, not at spikes) added to the conductance ``g_gap``. The
coupling pulls the membrane potentials together -- each spike depolarises the coupled neurons through
the junctions -- and the neurons lock to one common rate. Golomb's synchrony measure ``chi`` (the
standard deviation of the group's mean potential over the mean standard deviation of single
potentials) goes from near ``1/sqrt(N)`` (independent neurons) to near 1 (synchronous ones).

    python examples/gap_junctions.py [--quick]   # 1 s (quick: 500 ms)
"""

from __future__ import annotations

import numpy as np
from _gallery import options, report

import nnc as ann

args = options(__doc__, lambda p: p.add_argument("--coupling", type=float, default=1.0))
duration = 500.0 if args.quick else 1000.0
N = 50

Izhikevich = ann.Neuron(
    parameters="I = 5.0",
    equations=[
        "dv/dt = 0.04 * v^2 + 5.0 * v + 140.0 - u + I + g_gap : init=-65.0",
        "du/dt = 0.02 * (0.2 * v - u) : init=-13.0",
    ],
    spike="v >= 30.0",
    reset="v = -65.0\nu += 8.0",
)
Gap = ann.Synapse(psp="w * (pre.v - post.v)")

net = ann.Network(dt=0.05, seed=7)
uncoupled = net.create(N, Izhikevich, name="uncoupled")
coupled = net.create(N, Izhikevich, name="coupled")
currents = np.linspace(4.0, 10.0, N)
uncoupled.I = currents
coupled.I = currents
net.connect(coupled, coupled, "gap", synapse=Gap).all_to_all(weights=args.coupling / N)
m_u, m_c = net.monitor(uncoupled, ["spike", "v"]), net.monitor(coupled, ["spike", "v"])

net.config(num_threads=args.threads)
net.compile()
net.simulate(duration)
data_u, data_c = m_u.get(), m_c.get()


def chi(v: np.ndarray) -> float:
    """Golomb's synchrony measure over the second half of the run."""
    late = v[v.shape[0] // 2 :]
    return float(np.std(late.mean(axis=1)) / np.sqrt(np.mean(np.var(late, axis=0))))


def rates(spikes: dict[int, list[int]]) -> np.ndarray:
    """1000 / mean inter-spike interval of each neuron over the second half."""
    half = duration / 2 / net.dt
    return np.array(
        [1000.0 / (np.mean(np.diff([s for s in spikes[i] if s >= half])) * net.dt) for i in range(N)]
    )


rate_u, rate_c = rates(data_u["spike"]), rates(data_c["spike"])


def figure():
    import matplotlib.pyplot as plt

    import nnc.plot

    fig, axes = plt.subplots(2, 2, figsize=(11, 6.5), width_ratios=[2, 1])
    for row, (name, mon, data, r) in enumerate(
        [("uncoupled", m_u, data_u, rate_u), ("gap-coupled", m_c, data_c, rate_c)]
    ):
        nnc.plot.raster(mon, spikes=data["spike"], ax=axes[row, 0], bin_ms=5.0, markersize=2.0)
        axes[row, 0].set_title(f"{name}: chi = {chi(data['v']):.2f}")
        axes[row, 1].plot(currents, r, "k.", label="measured")
        axes[row, 1].set_xlabel("I")
        axes[row, 1].set_ylabel("rate (Hz)")
        axes[row, 1].set_ylim(0.0, 1.1 * max(rate_u.max(), rate_c.max()))
        axes[row, 1].set_title("rate of each neuron")
    fig.tight_layout()
    return fig


report(
    args,
    {
        "chi uncoupled": chi(data_u["v"]),
        "chi coupled": chi(data_c["v"]),
        "rate spread uncoupled (Hz)": float(np.ptp(rate_u)),
        "rate spread coupled (Hz)": float(np.ptp(rate_c)),
    },
    figure,
)
