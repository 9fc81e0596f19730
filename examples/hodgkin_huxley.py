"""The Hodgkin-Huxley (1952) squid axon: membrane potential and the firing rate against the current.

The four equations of Hodgkin & Huxley (1952) in today's convention (rest near -65 mV; C = 1 uF/cm2,
gNa = 120, gK = 36, gL = 0.3 mS/cm2, ENa = 50, EK = -77, EL = -54.4 mV), written in the equation language
and integrated with the fourth-order Runge-Kutta method at dt = 0.01 ms (the rate functions are
functions of ``v``, so each Runge-Kutta stage evaluates them at its own ``v``; written as assignments
before the ODEs, they would keep their value of the step's start). A population holds one neuron
per injected current, so one run gives the whole f-I curve: no firing below about 6 uA/cm2, then a jump
to about 55-60 Hz (a type II neuron). The rate is 1000 / the mean inter-spike interval after a 100 ms
transient, and it is checked against SciPy's adaptive integrator (solve_ivp, rtol 1e-9) on the same
equations at a few currents.

    python examples/hodgkin_huxley.py            # 0-20 uA/cm2 in steps of 0.25, 600 ms
    python examples/hodgkin_huxley.py --quick    # steps of 1, 300 ms
"""

from __future__ import annotations

import numpy as np
from _gallery import options, report
from scipy.integrate import solve_ivp

import nnc as ann

args = options(__doc__)
duration, transient = (300.0, 100.0) if args.quick else (600.0, 100.0)
currents = np.arange(0.0, 20.01, 1.0 if args.quick else 0.25)
checked = [10.0] if args.quick else [8.0, 10.0, 15.0]

HH = ann.Neuron(
    parameters="""
        C = 1.0 : population
        gNa = 120.0 : population
        gK = 36.0 : population
        gL = 0.3 : population
        ENa = 50.0 : population
        EK = -77.0 : population
        EL = -54.387 : population
        I = 0.0
    """,
    functions="""
        alpha_n(v) = 0.01 * (v + 55.0) / (1.0 - exp(-(v + 55.0) / 10.0))
        beta_n(v) = 0.125 * exp(-(v + 65.0) / 80.0)
        alpha_m(v) = 0.1 * (v + 40.0) / (1.0 - exp(-(v + 40.0) / 10.0))
        beta_m(v) = 4.0 * exp(-(v + 65.0) / 18.0)
        alpha_h(v) = 0.07 * exp(-(v + 65.0) / 20.0)
        beta_h(v) = 1.0 / (1.0 + exp(-(v + 35.0) / 10.0))
    """,
    equations="""
        prev_v = v
        dn/dt = alpha_n(v) * (1.0 - n) - beta_n(v) * n : init=0.3177, rk4
        dm/dt = alpha_m(v) * (1.0 - m) - beta_m(v) * m : init=0.0529, rk4
        dh/dt = alpha_h(v) * (1.0 - h) - beta_h(v) * h : init=0.5961, rk4
        C * dv/dt = I - gNa * m^3 * h * (v - ENa) - gK * n^4 * (v - EK) - gL * (v - EL) : init=-65.0, rk4
    """,
    spike="(v > 0.0) and (prev_v <= 0.0)",
)

net = ann.Network(dt=0.01, seed=1)
pop = net.create(len(currents), HH)
pop.I = currents
m = net.monitor(pop, "spike")
shown = [int(np.argmin(np.abs(currents - c))) for c in (5.0, 7.0, 15.0)]
mv = net.monitor(pop[shown], "v", period=0.1)

net.config(num_threads=args.threads)
net.compile()
net.simulate(duration)
spikes = m.get("spike")
v = mv.get("v")


def rate_from_times(times_ms: np.ndarray) -> float:
    """1000 / mean inter-spike interval of the spikes after the transient (0 with fewer than 2)."""
    late = times_ms[times_ms >= transient]
    return 1000.0 / float(np.mean(np.diff(late))) if len(late) >= 2 else 0.0


rates = np.array([rate_from_times(np.asarray(spikes[i]) * net.dt) for i in range(len(currents))])


def hh_rhs(_t: float, y: np.ndarray, current: float) -> list[float]:
    """The same equations for SciPy (y = v, n, m, h)."""
    v, n, mm, h = y
    an, bn = 0.01 * (v + 55.0) / (1.0 - np.exp(-(v + 55.0) / 10.0)), 0.125 * np.exp(-(v + 65.0) / 80.0)
    am, bm = 0.1 * (v + 40.0) / (1.0 - np.exp(-(v + 40.0) / 10.0)), 4.0 * np.exp(-(v + 65.0) / 18.0)
    ah, bh = 0.07 * np.exp(-(v + 65.0) / 20.0), 1.0 / (1.0 + np.exp(-(v + 35.0) / 10.0))
    i_ion = 120.0 * mm**3 * h * (v - 50.0) + 36.0 * n**4 * (v + 77.0) + 0.3 * (v + 54.387)
    return [current - i_ion, an * (1 - n) - bn * n, am * (1 - mm) - bm * mm, ah * (1 - h) - bh * h]


def scipy_rate(current: float) -> float:
    """Firing rate of the SciPy solution: upward crossings of 0 mV located by an event function."""

    def crossing(_t, y, _c):
        return y[0]

    crossing.direction = 1.0
    sol = solve_ivp(
        hh_rhs, (0.0, duration), [-65.0, 0.3177, 0.0529, 0.5961], args=(current,),
        method="LSODA", rtol=1e-9, atol=1e-9, events=crossing,
    )  # fmt: skip
    return rate_from_times(sol.t_events[0])


reference = {c: scipy_rate(c) for c in checked}
deviation = max(abs(rates[int(np.argmin(np.abs(currents - c)))] / r - 1.0) for c, r in reference.items())
firing = currents[rates > 0]


def figure():
    import matplotlib.pyplot as plt

    import nnc.plot

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2), width_ratios=[1.6, 1])
    nnc.plot.traces(mv, "v", data=v, ax=left)
    for line, i in zip(left.get_lines(), shown, strict=True):
        line.set_label(f"I = {currents[i]:g} uA/cm2")
    left.legend(loc="upper right", fontsize="small")
    left.set_ylabel("v (mV)")
    left.set_xlim(0.0, 150.0)
    left.set_title("membrane potential (first 150 ms)")
    right.plot(currents, rates, "k.-", label="nnc (rk4, dt = 0.01 ms)")
    right.plot(list(reference), list(reference.values()), "ro", mfc="none", ms=9, label="SciPy solve_ivp")
    right.set_xlabel("injected current (uA/cm2)")
    right.set_ylabel("firing rate (Hz)")
    right.set_title("f-I curve")
    right.legend(loc="lower right", fontsize="small")
    fig.tight_layout()
    return fig


report(
    args,
    {
        "lowest current that fires repetitively (uA/cm2)": float(firing.min())
        if len(firing)
        else float("nan"),
        "rate at 10 uA/cm2 (Hz)": float(rates[int(np.argmin(np.abs(currents - 10.0)))]),
        "SciPy rate at 10 uA/cm2 (Hz)": reference[10.0],
        "largest relative deviation from SciPy": deviation,
    },
    figure,
)
