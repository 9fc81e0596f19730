"""Bar learning: sparse codes from Hebbian and anti-Hebbian learning (Foldiak, 1990).

An 8x8 input sees random combinations of horizontal and vertical bars (each of the 16 bars present
with probability 1/8, pixels where bars cross are 1, as elsewhere on a bar). Sixteen rate-coded feature
neurons read the input through plastic excitatory synapses and inhibit each other through plastic
lateral synapses, with the three rules of Foldiak's network, written in the equation language:

    tau dmp/dt + mp = sum(exc) - sum(inh) - theta,    r = 1 / (1 + exp(-slope * mp))
    tau_t dtheta/dt = r - p                               (each neuron fires a fraction p of the time)
    tau_h dw/dt = post.r * (pre.r - w)                    (Hebbian: a neuron's weights move to its inputs)
    tau_a dw/dt = pre.r * post.r - p^2,  w >= 0           (anti-Hebbian: inhibition between co-active
                                                           neurons grows until they decorrelate)

The inputs come from a ``TimedArray`` (one image per 20 ms), so the whole training is a handful of
``simulate`` calls. The features become the bars: each neuron ends up answering one bar and none of
the others, although no image in training shows a bar alone. The script tests this after training:
with learning off and the thresholds frozen, each bar is shown alone for 50 ms (after 50 ms of a blank
input) and the script counts
the bars that drive exactly one neuron, a neuron that answers no other bar (16 of 16 when the code is
complete).

    python examples/bar_learning.py [--quick]   # 20000 images (quick: 10000)
"""

from __future__ import annotations

import numpy as np
from _gallery import options, report

import nnc as ann

args = options(__doc__)
SIDE, FEATURES, P, PRESENT, TEST = 8, 16, 1.0 / 8.0, 20.0, 50.0
images = 10_000 if args.quick else 20_000
chunks = 20

rng = np.random.default_rng(1)
bars = np.zeros((2 * SIDE, SIDE, SIDE))
for i in range(SIDE):
    bars[i, i, :] = 1.0  # horizontal bars 0-7
    bars[SIDE + i, :, i] = 1.0  # vertical bars 8-15
present = rng.random((images, 2 * SIDE)) < P
training = np.minimum(np.tensordot(present, bars, axes=1), 1.0)
test = np.zeros((4 * SIDE, SIDE, SIDE))
test[1::2] = bars  # each bar alone after a blank (which lets the previous winner fall silent)
schedule = np.concatenate([training, test])

net = ann.Network(dt=1.0, seed=3)
starts = np.concatenate([np.arange(images) * PRESENT, images * PRESENT + np.arange(4 * SIDE) * TEST])
inputs = net.create(ann.TimedArray(rates=schedule, schedule=starts.tolist()))
Feature = ann.Neuron(
    parameters=dict(tau=5.0, slope=10.0, tau_t=200.0, p=P),
    equations=[
        "tau * dmp/dt + mp = sum(exc) - sum(inh) - theta",
        "r = 1.0 / (1.0 + exp(-slope * mp))",
        "tau_t * dtheta/dt = r - p",
    ],
)
features = net.create((4, 4), Feature)  # a 4x4 grid: the receptive fields are drawn tiled that way
Hebbian = ann.Synapse(parameters=dict(tau=1000.0), equations="tau * dw/dt = post.r * (pre.r - w) : min=0.0")
AntiHebbian = ann.Synapse(
    parameters=dict(tau=100.0, p=P), equations="tau * dw/dt = pre.r * post.r - p * p : min=0.0"
)
feedforward = net.connect(inputs, features, "exc", Hebbian).all_to_all(weights=ann.Uniform(0.0, 0.3, rng=rng))
lateral = net.connect(features, features, "inh", AntiHebbian).all_to_all(weights=0.0)
m = net.monitor(features, "r", start=False)

net.config(num_threads=args.threads)
net.compile()


def preferences() -> tuple[int, float]:
    """Weights only: how many bars are some neuron's strongest feedforward drive, and the mean contrast
    of the receptive fields (mean weight on the neuron's preferred bar minus the mean weight elsewhere)."""
    w = np.asarray(feedforward.w)  # (features, 64)
    on = bars.reshape(2 * SIDE, -1)  # (bars, 64)
    drive = on @ w.T / SIDE  # the mean weight on each bar
    best = drive.argmax(axis=0)  # each neuron's preferred bar
    elsewhere = (w.sum(axis=1) - drive[best, np.arange(FEATURES)] * SIDE) / (SIDE * SIDE - SIDE)
    contrast = float(np.mean(drive[best, np.arange(FEATURES)] - elsewhere))
    return len(set(best.tolist())), contrast


progress = [preferences()]
for _ in range(chunks):
    net.simulate(images * PRESENT / chunks)
    progress.append(preferences())

net.disable_learning()
features.tau_t = 1e12  # frozen thresholds
m.start()
net.simulate(4 * SIDE * TEST)
ends = (np.arange(2, 4 * SIDE + 1, 2) * TEST / net.dt).astype(int) - 1
response = m.get("r").reshape(-1, FEATURES)[ends]  # the rates at the end of each bar's 50 ms
m.stop()

answers = response > 0.5
represented = [
    b for b in range(2 * SIDE) if answers[b].sum() == 1 and answers[:, answers[b].argmax()].sum() == 1
]


def figure():
    import matplotlib.pyplot as plt

    import nnc.plot

    fig = plt.figure(figsize=(11, 4.2))
    grid = fig.add_gridspec(1, 3, width_ratios=[1.15, 1.0, 0.9])
    ax = nnc.plot.receptive_fields(feedforward, ax=fig.add_subplot(grid[0]), cmap="hot")
    ax.set_title("receptive fields")
    ax = fig.add_subplot(grid[1])
    image = ax.imshow(response, cmap="Greys", vmin=0.0, vmax=1.0)
    ax.set_xlabel("feature neuron (rank)")
    ax.set_ylabel("bar shown alone (0-7 horizontal)")
    ax.set_title(f"responses after training: {len(represented)}/16 bars")
    fig.colorbar(image, ax=ax, fraction=0.046, label="r")
    ax = fig.add_subplot(grid[2])
    seen = np.arange(chunks + 1) * images // chunks
    ax.plot(seen, [c for _, c in progress], "ko-", markersize=3)
    ax.set_ylim(0.0, None)
    ax.set_xlabel("training images")
    ax.set_ylabel("mean w on the preferred bar - elsewhere")
    ax.set_title("receptive fields sharpen")
    for x, (n, c) in ((seen[0], progress[0]), (seen[-1], progress[-1])):
        ax.annotate(f"{n} bars preferred", (x, c), textcoords="offset points", xytext=(0, -14), fontsize=8,
                    ha="left" if x == 0 else "right")  # fmt: skip
    fig.tight_layout()
    return fig


report(
    args,
    {
        "bars represented by one neuron each": len(represented),
        "bars preferred by some neuron (weights)": progress[-1][0],
        "receptive field contrast, before": progress[0][1],
        "receptive field contrast, after": progress[-1][1],
        "largest response to a bar of another neuron": float(
            max((response[b][~answers[b]].max() for b in represented), default=float("nan"))
        ),
        "mean lateral weight": float(np.mean(lateral.w)),
    },
    figure,
)
