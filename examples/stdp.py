"""Spike-timing-dependent plasticity makes a neuron's input weights bimodal (Song, Miller & Abbott, 2000).

One conductance-based integrate-and-fire neuron (tau_m = 20 ms, threshold -54 mV, reset -60 mV)
receives 1000 excitatory Poisson inputs at 15 Hz (``--rate``) through plastic synapses and 200
inhibitory ones at 10 Hz through fixed synapses. The built-in ``STDP`` synapse (nearest-neighbour
traces, tau = 20 ms, A+ = 0.01, depression 5 % stronger than potentiation, weights clipped to
[0, gmax]) starts from uniform weights. Inputs that often fire just before the neuron are potentiated
and the others depressed: the weights drift to the bounds (a bimodal distribution) and the output
rate falls from about 80 Hz and settles near 15 Hz whatever the input rate -- the competition and
rate normalisation of the paper's Fig. 2 and 3.

    python examples/stdp.py            # 100 s of biological time at dt = 0.1 ms
    python examples/stdp.py --quick    # 20 s
"""

from __future__ import annotations

import numpy as np
from _gallery import options, report

import nnc as ann


def more(parser):
    parser.add_argument("--duration", type=float, default=100_000.0, help="ms")
    parser.add_argument("--rate", type=float, default=15.0, help="rate of the excitatory inputs (Hz)")


args = options(__doc__, more)
duration = 20_000.0 if args.quick else args.duration
gmax = 0.015

LIF = ann.Neuron(
    parameters=dict(tau_m=20.0, E_rest=-70.0, E_exc=0.0, E_inh=-70.0, tau_exc=5.0, tau_inh=5.0),
    equations=[
        "tau_m * dv/dt = (E_rest - v) + g_exc * (E_exc - v) + g_inh * (E_inh - v) : init=-60.0",
        "tau_exc * dg_exc/dt = -g_exc",
        "tau_inh * dg_inh/dt = -g_inh",
    ],
    spike="v > -54.0",
    reset="v = -60.0",
)

net = ann.Network(dt=0.1, seed=2000)
exc_in = net.create(ann.PoissonPopulation(1000, rates=args.rate))
inh_in = net.create(ann.PoissonPopulation(200, rates=10.0))
neuron = net.create(1, LIF)
stdp = ann.STDP(tau_plus=20.0, tau_minus=20.0, A_plus=0.01, A_minus=0.01 * 1.05, w_min=0.0, w_max=gmax)
plastic = net.connect(exc_in, neuron, "exc", synapse=stdp)
plastic.all_to_all(weights=ann.Uniform(0.0, gmax, rng=np.random.default_rng(1)))
net.connect(inh_in, neuron, "inh").all_to_all(weights=0.05)
m = net.monitor(neuron, "spike")

net.config(num_threads=args.threads)
net.compile()
w0 = np.array(plastic.w[0])
net.simulate(duration)
w = np.array(plastic.w[0])
times = np.asarray(m.get("spike")[0]) * net.dt

window = min(10_000.0, duration / 5)
first = np.sum(times < window) / (window / 1000.0)
last = np.sum(times >= duration - window) / (window / 1000.0)


def figure():
    import matplotlib.pyplot as plt

    fig, (hist, rate) = plt.subplots(1, 2, figsize=(10, 4))
    bins = np.linspace(0.0, gmax, 31)
    hist.hist(w0 / gmax, bins / gmax, color="0.75", label="initial")
    hist.hist(
        w / gmax, bins / gmax, histtype="step", color="k", linewidth=1.5, label=f"after {duration / 1000:g} s"
    )
    hist.set_xlabel("w / gmax")
    hist.set_ylabel("synapses")
    hist.set_title("weights of the 1000 excitatory inputs")
    hist.legend()
    edges = np.arange(0.0, duration + 1.0, 1000.0)
    counts, _ = np.histogram(times, edges)
    rate.plot(edges[:-1] / 1000.0 + 0.5, counts, "k.-")
    rate.set_xlabel("time (s)")
    rate.set_ylabel("output rate (Hz)")
    rate.set_title("the output rate settles")
    rate.set_ylim(bottom=0.0)
    fig.tight_layout()
    return fig


report(
    args,
    {
        "output rate, first window (Hz)": float(first),
        "output rate, last window (Hz)": float(last),
        "weights below 0.2 gmax (fraction)": float(np.mean(w < 0.2 * gmax)),
        "weights above 0.8 gmax (fraction)": float(np.mean(w > 0.8 * gmax)),
        "mean weight / gmax": float(w.mean() / gmax),
    },
    figure,
)
