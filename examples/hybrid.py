"""A hybrid network: rates turned into spikes and spikes back into rates.

Eight rate-coded neurons carry slow oscillations ``r = A (1 + sin(2 pi t / T + phase))`` (A = 40 Hz,
T = 500 ms, phases an eighth of a cycle apart in turn). Each drives 200 neurons of a
``PoissonPopulation(target='exc')``, which spike with probability ``sum(exc) dt / 1000`` per step:
the rate code becomes a population spike code. A ``DecodingProjection`` with a 20 ms window reads each
group of 200 back into one rate-coded neuron ``r = sum(exc)``: the mean rate of the group's spikes
in the last 20 ms.

Three checks, one per stage:

* decoding (exact): the decoded rates equal the window's spike counts recomputed from the recorded
  spikes, ``count(k-W .. k-1) / W * 1000 / dt / 200`` (API.md, ``DecodingProjection``);
* encoding (statistics): the group's spike count at step m is binomial with probability
  ``lambda(m-1) dt / 1000`` (a projection transmits the previous step's rate), so the squared
  z-scores of the counts average 1, and the total count is within a few standard deviations;
* the loop: the decoded rate follows the window's mean of the input rate two steps earlier with the
  root-mean-square error that Poisson noise predicts (ratio near 1).

    python examples/hybrid.py [--quick]    # 2 s of biological time at dt = 1 ms (quick: 1 s)
"""

from __future__ import annotations

import numpy as np
from _gallery import options, report

import nnc as ann

args = options(__doc__)
duration = 1000.0 if args.quick else 2000.0
C, N, A, T, WINDOW, dt = 8, 200, 40.0, 500.0, 20.0, 1.0
W = int(WINDOW / dt)

net = ann.Network(dt=dt, seed=7)
Oscillator = ann.Neuron(
    parameters=f"A = {A} : population\nT = {T} : population\nphase = 0.0",
    equations="r = A * (1.0 + sin(2.0 * pi * t / T + phase))",
)
rates = net.create(C, Oscillator, name="rates")
rates.phase = 2.0 * np.pi * np.arange(C) / C
spikes = net.create(ann.PoissonPopulation(C * N, target="exc"))
groups = np.arange(C * N) // N  # the channel of every Poisson neuron
encode = np.full((C * N, C), None, dtype=object)  # post x pre; None: no synapse
encode[np.arange(C * N), groups] = 1.0
net.connect(rates, spikes, "exc").from_matrix(encode)
decoded = net.create(C, ann.Neuron(equations="r = sum(exc)"), name="decoded")
net.connect(ann.DecodingProjection(spikes, decoded, "exc", window=WINDOW)).from_matrix(encode.T.copy())
m_rates = net.monitor(rates, "r")
m_decoded = net.monitor(decoded, "r")
m_spikes = net.monitor(spikes, "spike")

net.config(num_threads=args.threads)
net.compile()
net.simulate(duration)

r_in = m_rates.get("r")
r_out = m_decoded.get("r")
spike_steps = m_spikes.get("spike")
steps = r_out.shape[0]
k = np.arange(steps)


def lam(step: np.ndarray) -> np.ndarray:
    """The input rates (Hz) at the given steps, one column per channel (t = step * dt)."""
    return A * (1.0 + np.sin(2.0 * np.pi * step[:, None] * dt / T + rates.phase[None, :]))


# the group spike counts per step
counts = np.zeros((steps, C))
for rank, times in spike_steps.items():
    np.add.at(counts[:, groups[rank]], np.asarray(times, dtype=np.int64), 1.0)

# decoding: the window of steps k-W .. k-1, recomputed from the recorded spikes
cumulative = np.vstack([np.zeros((1, C)), np.cumsum(counts, axis=0)])
window_counts = cumulative[k] - cumulative[np.maximum(k - W, 0)]
decoding_error = float(np.max(np.abs(r_out - window_counts / W * 1000.0 / dt / N)))

# encoding: binomial counts with the previous step's rate
p = lam(k - 1) * dt / 1000.0
mean, var = N * p, N * p * (1.0 - p)
some = var[1:] > 0.0  # (at the troughs lambda is 0: no spike)
z2 = float(np.mean((counts[1:][some] - mean[1:][some]) ** 2 / var[1:][some]))
silent_spikes = int(counts[1:][~some].sum())
total_z = float((counts[1:].sum() - mean[1:].sum()) / np.sqrt(var[1:].sum()))

# the loop: the window's mean of lambda(m - 1) over m = k-W .. k-1, and the noise it predicts
expected = np.mean([lam(k - j - 1) for j in range(1, W + 1)], axis=0)
window_p = [lam(k - j - 1) * dt / 1000.0 for j in range(1, W + 1)]
noise = np.sqrt(np.sum([N * q * (1.0 - q) for q in window_p], axis=0)) * 1000.0 / dt / (W * N)
settled = slice(W + 2, None)
rmse = float(np.sqrt(np.mean((r_out[settled] - expected[settled]) ** 2)))
predicted = float(np.sqrt(np.mean(noise[settled] ** 2)))


def figure():
    import matplotlib.pyplot as plt

    import nnc.plot

    fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 7), height_ratios=[1.2, 1], sharex=True)
    shown = [0, 2, 4]  # three channels, a quarter of a cycle apart in turn
    rows = {}
    for i, c in enumerate(shown):  # the first 40 neurons of each shown channel
        for j in range(40):
            rows[40 * i + j] = spike_steps[c * N + j]
    nnc.plot.raster(m_spikes, spikes=rows, ax=top, rate=False)
    top.set_xlabel("")
    top.set_title("spikes of 40 Poisson neurons in each of three channels")
    colours = ["tab:blue", "tab:orange", "tab:green"]
    t = k * dt
    for i, c in enumerate(shown):
        top.axhspan(40 * i - 0.5, 40 * i + 39.5, color=colours[i], alpha=0.08)
        bottom.plot(t, r_out[:, c], color=colours[i], linewidth=0.7, alpha=0.8)
        bottom.plot(t, expected[:, c], color=colours[i], linewidth=1.5, linestyle="--")
        bottom.plot(t, r_in[:, c], color="k", linewidth=0.6, linestyle=":")
    bottom.plot([], [], "k", linewidth=0.7, label="decoded (20 ms window)")
    bottom.plot([], [], "k--", linewidth=1.5, label="window mean of the input")
    bottom.plot([], [], "k:", linewidth=0.6, label="input rate")
    bottom.legend(loc="upper center", fontsize=8, ncol=3)
    bottom.set_ylim(-2.0, 2.7 * A)
    bottom.set_xlabel("time (ms)")
    bottom.set_ylabel("rate (Hz)")
    bottom.set_title(f"decoded rates: RMS error {rmse:.2f} Hz (Poisson: {predicted:.2f} Hz)")
    fig.tight_layout()
    return fig


report(
    args,
    {
        "largest decoding difference from the spike counts": decoding_error,
        "mean squared z-score of the spike counts": z2,
        "z-score of the total spike count": total_z,
        "spikes at zero rate": silent_spikes,
        "RMS error of the decoded rates (Hz)": rmse,
        "RMS error predicted by Poisson noise (Hz)": predicted,
        "RMS error / Poisson prediction": rmse / predicted,
        "mean decoded rate (Hz)": float(r_out[settled].mean()),
    },
    figure,
)
