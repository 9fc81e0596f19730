"""A dynamic neural field tracks one of two moving stimuli (Amari, 1977; Rougier & Vitay, 2006).

A 2-D field of rate neurons, ``tau du/dt + u = stimulus + lateral`` with ``r = clip(u, 0, 1)``, is
connected to itself by a difference of Gaussians (the ``dog`` connector: local excitation, broad
inhibition). Two Gaussian stimuli circle around the centre on opposite sides; stimulus A starts 10 %
stronger. The field forms one bump of activity on A, suppresses B through the lateral inhibition and
follows A around the circle. Halfway through, B becomes 10 % stronger than A: the bump stays on A (the
field keeps its choice -- a short-term memory of the selection). The script prints the mean distance
between the bump and stimulus A (in neurons: the bump trails the moving stimulus by about two neurons,
the way a low-pass filter lags) and the field's largest activity at stimulus B after the first 100 ms.

    python examples/neural_field.py [--quick]   # two turns of the stimuli, 2 s (quick: one turn, 1 s)
"""

from __future__ import annotations

import numpy as np
from _gallery import options, report

import nnc as ann

args = options(__doc__)
duration = 1000.0 if args.quick else 2000.0
n, period = 24, 1000.0  # field width (neurons), time of one turn (ms)

# Each stimulus neuron knows its normalised coordinates (px, py) and computes both blobs from t.
Stimulus = ann.Neuron(
    parameters=f"""
        px = 0.0
        py = 0.0
        radius = 0.3 : population
        sigma = 0.1 : population
        period = {period} : population
        amp_a = 1.0 : population
        amp_b = 0.9 : population
    """,
    equations="""
        phase = 2.0 * pi * t / period
        da = (px - 0.5 - radius * cos(phase))^2 + (py - 0.5 - radius * sin(phase))^2
        db = (px - 0.5 + radius * cos(phase))^2 + (py - 0.5 + radius * sin(phase))^2
        r = amp_a * exp(-da / (2.0 * sigma^2)) + amp_b * exp(-db / (2.0 * sigma^2))
    """,
)
Field = ann.Neuron(
    parameters="tau = 10.0 : population",
    equations=["tau * du/dt + u = sum(stim) + sum(lat)", "r = clip(u, 0.0, 1.0)"],
)

net = ann.Network(dt=1.0, seed=1977)
stim = net.create((n, n), Stimulus, name="stimulus")
field = net.create((n, n), Field, name="field")
coords = np.stack(np.meshgrid(np.arange(n), np.arange(n), indexing="ij"), axis=-1) / (n - 1)
stim.px, stim.py = coords[..., 0], coords[..., 1]
net.connect(stim, field, "stim").one_to_one(weights=1.0)
lateral = net.connect(field, field, "lat")
lateral.dog(amp_pos=0.25, sigma_pos=0.1, amp_neg=0.12, sigma_neg=0.5)
m_field = net.monitor(field, "r", period=10.0)
m_stim = net.monitor(stim, "r", period=10.0)

net.config(num_threads=args.threads)
net.compile()
net.simulate(duration / 2)
stim.amp_a, stim.amp_b = 1.0, 1.1  # B becomes the stronger stimulus
net.simulate(duration / 2)
r, s = m_field.get("r"), m_stim.get("r")

t = (np.arange(r.shape[0]) + 1) * 10.0
phase = 2 * np.pi * t / period
centre_a = 0.5 + 0.3 * np.stack([np.cos(phase), np.sin(phase)], axis=1)
centre_b = 1.0 - centre_a
grid = coords.reshape(-1, 2)
flat = r.reshape(len(t), -1)
mass = flat.sum(axis=1)
bump = (flat @ grid) / np.maximum(mass, 1e-12)[:, None]
settled = t > 100.0  # after the first 100 ms
distance_a = np.linalg.norm(bump - centre_a, axis=1)[settled] * (n - 1)
near_b = np.linalg.norm(grid[None, :, :] - centre_b[:, None, :], axis=2) < 0.1
activity_b = float(np.max((flat * near_b)[settled]))


def figure():
    import matplotlib.pyplot as plt

    snapshots = [int(k) for k in np.linspace(10, len(t) - 1, 4)]
    fig, axes = plt.subplots(2, 4, figsize=(12, 6))
    for col, k in enumerate(snapshots):
        axes[0, col].imshow(s[k].T, origin="lower", vmin=0, vmax=1.1, cmap="gray_r")
        axes[0, col].set_title(
            f"stimuli at {t[k]:.0f} ms\n" + ("B stronger" if t[k] > duration / 2 else "A stronger")
        )
        axes[1, col].imshow(r[k].T, origin="lower", vmin=0, vmax=1, cmap="viridis")
        axes[1, col].plot(*(centre_a[k] * (n - 1)), "r+", markersize=12, mew=2)
        axes[1, col].set_title("field (+: stimulus A)")
        for ax in axes[:, col]:
            ax.set_xticks([])
            ax.set_yticks([])
    fig.tight_layout()
    return fig


report(
    args,
    {
        "mean distance bump - stimulus A (neurons)": float(distance_a.mean()),
        "largest distance bump - stimulus A (neurons)": float(distance_a.max()),
        "largest activity at stimulus B": activity_b,
        "active neurons at the end": int(np.sum(flat[-1] > 0.1)),
    },
    figure,
)
