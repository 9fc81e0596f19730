"""Short-term plasticity: depressing and facilitating synapses (Tsodyks & Markram 1997; Markram et al. 1998).

A train of 10 spikes at 20 Hz followed by a recovery spike 500 ms later reaches two neurons through the
built-in ``STP`` synapse with two parameter sets: a depressing one (U = 0.5, tau_rec = 800 ms, no
facilitation) whose responses shrink as the resources ``x`` are used up, and a facilitating one
(U = 0.1, tau_rec = 100 ms, tau_facil = 1000 ms) whose responses grow as the utilisation ``u`` builds up.
Each spike adds ``w * u * x`` to the post neuron's conductance, then ``x *= 1 - u`` and
``u += U * (1 - u)``; between spikes ``x`` recovers to 1 with ``tau_rec`` and ``u`` decays to ``U`` with
``tau_facil``. The script checks the recorded amplitudes against this recursion computed by hand
(including nnc's and the reference's convention that the recovery before a delivered spike counts one
step less, docs/spec DSL.md 9.7), and draws the membrane potentials the two synapses drive.

    python examples/stp.py [--quick]     # both run 1.1 s of biological time (a fraction of a second)
"""

from __future__ import annotations

import numpy as np
from _gallery import options, report

import nnc as ann

args = options(__doc__)
dt = 0.1
train = [20.0 + 50.0 * i for i in range(10)] + [20.0 + 50.0 * 9 + 500.0]
SETS = {
    "depressing": dict(U=0.5, tau_rec=800.0, tau_facil=0.01),
    "facilitating": dict(U=0.1, tau_rec=100.0, tau_facil=1000.0),
}

net = ann.Network(dt=dt, seed=1)
pre = net.create(ann.SpikeSourceArray([train, train]))
# the amplitudes: a neuron whose conductance has no equation holds exactly the step's input
Counter = ann.Neuron(equations="dv/dt = 0.0", spike="v > 1.0")
counters = net.create(2, Counter)
# the membrane: a leaky integrator driven by an exponentially decaying synaptic current
Membrane = ann.Neuron(
    parameters=dict(tau_m=20.0, tau_s=3.0),
    equations=["tau_m * dv/dt = -v + g_exc", "tau_s * dg_exc/dt = -g_exc"],
    spike="v > 1000.0",
)
membranes = net.create(2, Membrane)
for i, params in enumerate(SETS.values()):
    for post in (counters, membranes):
        net.connect(pre[i], post[i], "exc", synapse=ann.STP(**params)).all_to_all(weights=1.0)
mg = net.monitor(counters, "g_exc")
mv = net.monitor(membranes, "v")
net.compile()
net.simulate(train[-1] + 100.0)
g = mg.get("g_exc")
v = mv.get("v")


def recursion(U: float, tau_rec: float, tau_facil: float) -> np.ndarray:  # noqa: N803 - the model's name
    """Amplitudes w*u*x of the model's update rule, by hand (w = 1; delivered one step after the spike)."""
    steps = [round(t / dt) + 1 for t in train]  # delivery steps (the minimum delay: one step)
    x, u, last, out = 1.0, U, None, []
    for k in steps:
        if last is not None:
            age = ((k - 1) - last) * dt
            x = 1.0 - (1.0 - x) * np.exp(-age / tau_rec)
            u = U + (u - U) * np.exp(-age / tau_facil)
        out.append(u * x)
        x, u, last = x * (1.0 - u), u + U * (1.0 - u), k
    return np.array(out)


measured = {name: g[g[:, i] > 0, i] for i, name in enumerate(SETS)}
expected = {name: recursion(**p) for name, p in SETS.items()}
error = max(float(np.max(np.abs(measured[n] - expected[n]))) for n in SETS)


def figure():
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(10, 5.5), width_ratios=[2, 1])
    t = np.arange(v.shape[0]) * dt
    for i, name in enumerate(SETS):
        trace, bars = axes[i, 0], axes[i, 1]
        trace.plot(t, v[:, i], "k", linewidth=0.8)
        trace.set_ylabel("v")
        trace.set_title(f"{name}: U={SETS[name]['U']}, tau_rec={SETS[name]['tau_rec']:g} ms, "
                        f"tau_facil={SETS[name]['tau_facil']:g} ms", fontsize="medium")  # fmt: skip
        n = np.arange(1, len(train) + 1)
        bars.bar(n, measured[name] / measured[name][0], color="0.6", label="nnc")
        bars.plot(n, expected[name] / expected[name][0], "r_", markersize=14, mew=2, label="recursion")
        bars.set_xticks(n, [*map(str, n[:-1]), "R"])
        bars.set_ylabel("amplitude / first")
        bars.legend(fontsize="small")
    axes[1, 0].set_xlabel("time (ms)")
    axes[1, 1].set_xlabel("spike (R: recovery, 500 ms later)")
    fig.tight_layout()
    return fig


dep, fac = measured["depressing"], measured["facilitating"]
report(
    args,
    {
        "depressing: 10th / 1st amplitude": float(dep[9] / dep[0]),
        "depressing: recovery / 1st": float(dep[10] / dep[0]),
        "facilitating: 10th / 1st amplitude": float(fac[9] / fac[0]),
        "facilitating: recovery / 1st": float(fac[10] / fac[0]),
        "largest difference from the recursion": error,
    },
    figure,
)
