"""The COBA network of Vogels & Abbott (2005): 4000 conductance-based integrate-and-fire neurons.

3200 excitatory and 800 inhibitory neurons, connected with probability 0.02 (weights 0.6 and 6.7),
receive a constant drive and settle into asynchronous irregular firing near 20 Hz. The script prints
the mean rates of both groups (the reference simulator gives the same spikes for seed 42: 19.85 and
20.34 Hz over 1 s) and the mean coefficient of variation of the inter-spike intervals.

    python examples/coba.py                 # 1 s of biological time
    python examples/coba.py --duration 10000 --threads 2
"""

from __future__ import annotations

import argparse

import numpy as np

import nnc as ann

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--duration", type=float, default=1000.0, help="biological time (ms)")
parser.add_argument("--threads", type=int, default=1)
args = parser.parse_args()

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
net.simulate(args.duration)

spikes = m.get("spike")
counts = np.array([len(spikes[i]) for i in range(4000)])
seconds = args.duration / 1000.0
cv = np.mean(m.coefficient_of_variation(spikes)) if counts.sum() else float("nan")
print(f"excitatory rate: {counts[:3200].mean() / seconds:.2f} Hz")
print(f"inhibitory rate: {counts[3200:].mean() / seconds:.2f} Hz")
print(f"CV of the inter-spike intervals: {cv:.2f}")
