"""A parameter sweep with ``parallel_run``: f-I curves of integrate-and-fire neurons for several tau.

A ``Network`` subclass holds 60 leaky integrate-and-fire neurons (``tau dv/dt = -v + I``, threshold 1,
reset 0, refractory period 2 ms), one per input current between 0.5 and 4. ``net.parallel_run`` builds
one copy of the compiled network per membrane time constant (each in a worker process, from the cached
machine code), runs ``measure`` on it, and returns the f-I curves in order. Each is compared with the
analytic rate ``1 / (t_ref + tau ln(I / (I - 1)))`` for ``I > 1``; the ``exponential`` method integrates
the membrane exactly between steps, so the only error is the spike time rounded up to the next step.

    python examples/parameter_sweep.py [--quick]   # 8 time constants, 2 processes (quick: 4, 300 ms)
"""

from __future__ import annotations

import numpy as np
from _gallery import options, report

import nnc as ann

LIF = ann.Neuron(
    parameters="""
        tau = 10.0 : population
        I = 1.0
    """,
    equations="tau * dv/dt = -v + I : init=0.0, exponential",
    spike="v > 1.0",
    reset="v = 0.0",
    refractory=2.0,
)
CURRENTS = np.linspace(0.5, 4.0, 60)


class FICurve(ann.Network):
    """60 neurons, one per current (the constructor's arguments must not change the structure)."""

    def __init__(self):
        self.pop = self.create(len(CURRENTS), LIF, name="lif")
        self.pop.I = CURRENTS
        self.m = self.monitor(self.pop, "spike")


def measure(net: FICurve, tau: float, duration: float) -> np.ndarray:
    """The rate (Hz) of each neuron from its mean inter-spike interval, with membrane time constant tau."""
    net.pop.tau = tau
    net.simulate(duration)
    spikes = net.m.get("spike")
    return np.array([1000.0 / (np.mean(np.diff(s)) * net.dt) if len(s) > 1 else 0.0 for s in spikes.values()])


if __name__ == "__main__":
    args = options(__doc__)
    taus = [5.0, 10.0, 20.0, 40.0] if args.quick else [5.0, 7.5, 10.0, 15.0, 20.0, 30.0, 40.0, 60.0]
    duration = 300.0 if args.quick else 1000.0
    net = FICurve(dt=0.01, seed=1)
    net.compile()
    curves = net.parallel_run(method=measure, number=len(taus), max_processes=2, tau=taus, duration=duration)

    t_ref = 2.0
    above = CURRENTS > 1.0
    errors = []
    for tau, rates in zip(taus, curves, strict=True):
        analytic = np.zeros_like(CURRENTS)
        analytic[above] = 1000.0 / (t_ref + tau * np.log(CURRENTS[above] / (CURRENTS[above] - 1.0)))
        fires = rates > 0
        errors.append(np.max(np.abs(rates[fires] / analytic[fires] - 1.0)))
        assert np.array_equal(fires, above), "a neuron fires below threshold or stays silent above it"

    def figure():
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(7, 4.5))
        grid = np.linspace(1.0005, 4.0, 400)
        for i, (tau, rates) in enumerate(zip(taus, curves, strict=True)):
            color = plt.cm.viridis(i / max(1, len(taus) - 1))
            ax.plot(CURRENTS, rates, ".", color=color, label=f"tau = {tau:g} ms")
            ax.plot(
                grid, 1000.0 / (t_ref + tau * np.log(grid / (grid - 1.0))), "-", color=color, linewidth=0.8
            )
        ax.set_xlabel("input I (threshold 1)")
        ax.set_ylabel("rate (Hz)")
        ax.set_title(f"{len(taus)} copies run by parallel_run (dots) and the analytic rates (lines)")
        ax.legend(fontsize="small")
        fig.tight_layout()
        return fig

    report(
        args,
        {
            "copies": len(taus),
            "rate at I = 2, tau = 10 ms (Hz)": float(
                curves[taus.index(10.0)][np.argmin(np.abs(CURRENTS - 2.0))]
            ),
            "largest relative deviation from the analytic rate": float(max(errors)),
        },
        figure,
    )
