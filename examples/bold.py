"""BOLD monitoring: the haemodynamic response to a block of stimulation (balloon model, Stephan et al. 2007).

A population of 400 leaky integrate-and-fire neurons receives 200 Poisson inputs firing at 10 Hz, raised
to 20 Hz for two seconds (the stimulation block, from 2 s to 4 s). A BOLD monitor
(``nnc.extensions.bold``, the default ``balloon_RN`` model: revised coefficients and the non-linear BOLD
equation of Stephan et al., 2007) reads the population's mean excitatory conductance ``g_exc`` -- the
synaptic input, which the BOLD signal follows more closely than the spikes (Logothetis et al. 2001) --
as its blood-flow-inducing signal ``I_CBF``. With ``normalize_input=2000`` the monitor first measures
the input's mean over 2 s and then feeds its relative change from that baseline.

The balloon model's four ODEs (vasodilatory signal ``s``, inflow ``f_in``, deoxyhaemoglobin ``q``,
volume ``v``) and the BOLD signal are also integrated in NumPy with the classical Runge-Kutta method
(4 sub-steps per ms) from the recorded ``I_CBF``; the script prints the largest difference relative to
the peak (nnc integrates with explicit Euler at dt = 1 ms, so it is of order dt over the model's time
constants, about 1e-3). It also prints the latency of the peak after the stimulus onset (a few
seconds) and the post-stimulus undershoot.

    python examples/bold.py            # 20 s of biological time at dt = 1 ms
    python examples/bold.py --quick    # 14 s
"""

from __future__ import annotations

import numpy as np
from _gallery import options, report

import nnc as ann
from nnc.extensions.bold import balloon_RN

args = options(__doc__)
duration = 14_000.0 if args.quick else 20_000.0
ON, OFF, BASELINE = 2000.0, 4000.0, 2000.0

net = ann.Network(dt=1.0, seed=5)
LIF = ann.Neuron(
    parameters=dict(tau=20.0, tau_exc=5.0, v_rest=-65.0, v_thresh=-50.0, v_reset=-65.0, E_exc=0.0),
    equations=[
        "tau * dv/dt = v_rest - v + g_exc * (E_exc - v)",
        "tau_exc * dg_exc/dt = -g_exc",
    ],
    spike="v > v_thresh",
    reset="v = v_reset",
    refractory=2.0,
)
inputs = net.create(ann.PoissonPopulation(200, rates=f"ite(t >= {ON}, ite(t < {OFF}, 20.0, 10.0), 10.0)"))
pop = net.create(400, LIF)
pop.v = ann.Uniform(-65.0, -50.0, rng=net.default_rng)
net.connect(inputs, pop, "exc").fixed_probability(probability=0.1, weights=0.2)
spikes = net.monitor(pop, "spike")
bold = net.boldmonitor(
    populations=pop,
    bold_model=balloon_RN(),
    mapping={"I_CBF": "g_exc"},
    normalize_input=BASELINE,
    recorded_variables=["I_CBF", "s", "f_in", "q", "v"],
)

net.config(num_threads=args.threads)
net.compile()
bold.start()  # from the first step: the baseline of the input, then the relative change
net.simulate(duration)

signal = {name: np.asarray(bold.get(name))[:, 0] for name in ("BOLD", "I_CBF", "s", "f_in", "q", "v")}
spike_data = spikes.get("spike")
dt = net.dt
t = np.arange(signal["BOLD"].shape[0]) * dt  # ms

# the same balloon model integrated independently: the classical Runge-Kutta method, 4 sub-steps per
# step of the network, the recorded input held constant over each step
p = dict(kappa=1 / 1.54, gamma=1 / 2.46, E_0=0.34, tau=0.98, alpha=0.33, V_0=0.02, v_0=40.3)
p |= dict(TE=0.04, epsilon=1.43, r_0=25.0)
k1 = 4.3 * p["v_0"] * p["E_0"] * p["TE"]
k2 = p["epsilon"] * p["r_0"] * p["E_0"] * p["TE"]
k3 = 1.0 - p["epsilon"]


def balloon(y: np.ndarray, drive: float) -> np.ndarray:
    """d(s, f_in, q, v)/dt in 1/s (Stephan et al. 2007, eqs. of balloon_RN)."""
    s, f, q, v = y
    extraction = 1.0 - (1.0 - p["E_0"]) ** (1.0 / f)
    f_out = v ** (1.0 / p["alpha"])
    return np.array(
        [
            drive - p["kappa"] * s - p["gamma"] * (f - 1.0),
            s,
            (f * extraction / p["E_0"] - q / v * f_out) / p["tau"],
            (f - f_out) / p["tau"],
        ]
    )


h = dt / 1000.0 / 4.0  # s
y = np.array([0.0, 1.0, 1.0, 1.0])
states = np.empty((len(t), 4))
for k, i_cbf in enumerate(signal["I_CBF"]):
    for _ in range(4):
        a1 = balloon(y, i_cbf)
        a2 = balloon(y + h / 2 * a1, i_cbf)
        a3 = balloon(y + h / 2 * a2, i_cbf)
        a4 = balloon(y + h * a3, i_cbf)
        y = y + h / 6 * (a1 + 2 * a2 + 2 * a3 + a4)
    states[k] = y
q_ref, v_ref = states[:, 2], states[:, 3]
bold_ref = p["V_0"] * (k1 * (1.0 - q_ref) + k2 * (1.0 - q_ref / v_ref) + k3 * (1.0 - v_ref))
peak = float(np.max(signal["BOLD"]))
deviation = float(np.max(np.abs(signal["BOLD"] - bold_ref)) / peak)
latency = float(t[np.argmax(signal["BOLD"])] - ON) / 1000.0
after = t > OFF
undershoot = float(np.min(signal["BOLD"][after]))
counts = np.zeros(len(t))
for times in spike_data.values():
    np.add.at(counts, np.asarray(times, dtype=np.int64), 1.0)
rate = counts.reshape(-1, 100).sum(axis=1) / (400 * 0.1)  # Hz in bins of 100 ms
baseline_rate = float(rate[: int(ON / 100)].mean())
stimulated_rate = float(rate[int(ON / 100) : int(OFF / 100)].mean())


def figure():
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(3, 1, figsize=(9, 7), sharex=True, height_ratios=[1, 1, 1.4])
    centres = (np.arange(len(rate)) + 0.5) * 0.1
    axes[0].step(centres, rate, "k", where="mid", linewidth=1.0)
    axes[0].set_ylabel("rate (Hz)")
    axes[0].set_title("the population's firing rate (bins of 100 ms)")
    axes[1].plot(t / 1000.0, signal["I_CBF"], "tab:blue", linewidth=0.8)
    axes[1].set_ylabel("I_CBF")
    axes[1].set_title("relative change of the mean g_exc from its 2 s baseline (the monitor's input)")
    axes[2].plot(t / 1000.0, 100.0 * signal["BOLD"], "k", linewidth=2.0, label="nnc (explicit Euler, 1 ms)")
    axes[2].plot(t / 1000.0, 100.0 * bold_ref, "r--", linewidth=1.0, label="Runge-Kutta 4 (NumPy)")
    axes[2].axhline(0.0, color="0.5", linewidth=0.5)
    axes[2].set_ylabel("BOLD (%)")
    axes[2].set_xlabel("time (s)")
    axes[2].set_title(
        f"BOLD signal: peak {100 * peak:.2f} % at {latency:.1f} s after the onset, then an undershoot"
    )
    axes[2].legend(loc="upper right", fontsize=8)
    for ax in axes:
        ax.axvspan(ON / 1000.0, OFF / 1000.0, color="gold", alpha=0.25, linewidth=0)
    fig.tight_layout()
    return fig


report(
    args,
    {
        "firing rate before the stimulus (Hz)": baseline_rate,
        "firing rate during the stimulus (Hz)": stimulated_rate,
        "BOLD peak (%)": 100.0 * peak,
        "peak latency after the onset (s)": latency,
        "undershoot (%)": 100.0 * undershoot,
        "largest difference from Runge-Kutta / peak": deviation,
    },
    figure,
)
