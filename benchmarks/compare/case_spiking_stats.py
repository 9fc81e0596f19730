"""Statistics of random spiking networks (SEMANTICS §0, §10, §15; API §7.2, §10).

* COBA (anchors-bench/coba.py, 4000 neurons, 1 s, dt = 0.1 ms) for several seeds: connectivity from
  ``fixed_probability`` is identical for a seed (``exact``), so are the initial values (``Normal`` with
  ``rng=net.default_rng``). The network is deterministic from there, but chaotic: the spike trains are
  identical only while every summation is done in the same order. Compared: the mean rate over seeds
  within 5 %; informational (``rtol`` 1e9, never failing; the report shows whether they differ): per-seed
  spike counts, rates and the population spike count per 1 ms bin (the first differing bin tells how long
  the two simulators stay identical).
* Poisson inputs (dt = 1 ms and 0.5 ms, 2 s): ``PoissonPopulation`` with one rate, per-neuron rates, a rate
  equation of ``t``, a refractory period, and a ``TimedPoissonPopulation``. Random numbers drawn inside
  the simulation differ by design (SEMANTICS §0): compared statistically only, mean rate and mean CV of the
  inter-spike intervals within 5 %.
"""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import Results

out = Results("spiking_stats", rtol=1e-9)
ann = out.ann
INFO = 1e9  # informational quantities: reported, never failing
STAT = 0.05

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
        "tau * dv/dt = (El - v) + g_exc * (Erev_exc - v) + g_inh * (Erev_inh - v ) + I",
        "tau_exc * dg_exc/dt = - g_exc",
        "tau_inh * dg_inh/dt = - g_inh",
    ],
    spike="v > Vt",
    reset="v = Vr",
    refractory=5.0,
)
N, NE, DURATION = 4000, 3200, 1000.0
SEEDS = (42, 7, 2024)

rates = []
for seed in SEEDS:
    net = ann.Network(dt=0.1, seed=seed)
    P = net.create(geometry=N, neuron=COBA, name="P")
    rng = net.default_rng
    P.v = ann.Normal(-55.0, 5.0, rng=rng)
    P.g_exc = ann.Normal(4.0, 1.5, rng=rng)
    P.g_inh = ann.Normal(20.0, 12.0, rng=rng)
    Ce = net.connect(pre=P[:NE], post=P, target="exc", name="Ce")
    Ce.fixed_probability(weights=0.6, probability=0.02)
    Ci = net.connect(pre=P[NE:], post=P, target="inh", name="Ci")
    Ci.fixed_probability(weights=6.7, probability=0.02)
    m = net.monitor(P, "spike")
    out.compile(net, f"coba{seed}")
    out.same(f"coba{seed}.nb_synapses", [int(Ce.nb_synapses), int(Ci.nb_synapses)])
    out.same(
        f"coba{seed}.connectivity_digest",
        [
            int(sum(sum(int(r) * (i + 1) for r in row) for i, row in enumerate(proj.pre_ranks)) % 1000003)
            for proj in (Ce, Ci)
        ],
    )
    out.value(f"coba{seed}.v0", P.v[:20])
    net.simulate(DURATION)
    spikes = m.get("spike")
    counts = np.array([len(spikes[i]) for i in range(N)])
    rate = counts.sum() / N / (DURATION / 1000.0)
    rates.append(rate)
    out.value(f"coba{seed}.n_spikes", counts.sum(), rtol=INFO)
    seconds = DURATION / 1000.0
    out.value(
        f"coba{seed}.rate_exc_inh",
        [counts[:NE].sum() / NE / seconds, counts[NE:].sum() / (N - NE) / seconds],
        rtol=INFO,
    )
    steps = np.concatenate([np.asarray(spikes[i], dtype=np.int64) for i in range(N)])
    out.value(f"coba{seed}.per_ms", np.bincount(steps // 10, minlength=int(DURATION)), rtol=INFO)
    out.value(f"coba{seed}.rate", rate, rtol=0.15)
out.value("coba.mean_rate", float(np.mean(rates)), rtol=STAT)


def isi_stats(spikes, dt):
    """Mean rate (Hz) and mean coefficient of variation of the ISIs over neurons with >= 3 spikes."""
    counts = [len(s) for s in spikes.values()]
    cvs = []
    for s in spikes.values():
        if len(s) >= 3:
            isi = np.diff(np.asarray(s, dtype=float)) * dt
            cvs.append(isi.std() / isi.mean())
    return float(np.sum(counts)), float(np.mean(cvs)) if cvs else 0.0


for tag, dt in (("poisson1", 1.0), ("poisson05", 0.5)):
    net = ann.Network(dt=dt, seed=99)
    n = 1000
    pops = {
        "single": net.create(ann.PoissonPopulation(n, rates=20.0, name="single")),
        "array": net.create(ann.PoissonPopulation(n, rates=np.linspace(5.0, 80.0, n), name="array")),
        "equation": net.create(
            ann.PoissonPopulation(n, rates="30.0 * (1.0 + sin(2*pi*t/250.0))", name="equation")
        ),
        "refractory": net.create(ann.PoissonPopulation(n, rates=60.0, refractory=8.0, name="refractory")),
        "timed": net.create(
            ann.TimedPoissonPopulation(
                n, rates=[10.0, 50.0, 25.0], schedule=[0.0, 500.0, 1200.0], name="timed"
            )
        ),
    }
    mons = {name: net.monitor(pop, "spike") for name, pop in pops.items()}
    out.compile(net, tag)
    T = 2000.0
    net.simulate(T)
    for name, mon in mons.items():
        total, cv = isi_stats(mon.get("spike"), dt)
        out.value(f"{tag}.{name}.rate", total / n / (T / 1000.0), rtol=STAT)
        out.value(f"{tag}.{name}.cv", cv, rtol=STAT)
out.emit()
