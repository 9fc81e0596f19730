"""The BCM rule makes a neuron selective to one of its input patterns (Bienenstock, Cooper & Munro, 1982).

A linear neuron ``r = sum(exc)`` sees K = 4 orthogonal input patterns in random order (each for 10 ms,
from a ``TimedArray``) through the built-in ``IBCM`` synapse of Intrator & Cooper (1992)::

    tau * dtheta/dt + theta = post.r^2              (the sliding threshold: the mean squared response)
    dw/dt = eta * post.r * (post.r - theta) * pre.r  (w >= 0)

A response above ``theta`` is potentiated, one below it depressed; since ``theta`` grows with the square
of the responses, only one pattern can stay above it. From random weights the neuron ends up answering
one pattern and no other. At that fixed point ``theta = E[r^2] = r*^2 / K`` and ``r* = theta``, so the
preferred response is ``r* = K`` (for unit-length patterns): the script prints it next to K.

    python examples/bcm.py [--quick]   # 200 s of biological time at dt = 1 ms (quick: 60 s)
"""

from __future__ import annotations

import numpy as np
from _gallery import options, report

import nnc as ann

args = options(__doc__)
duration = 60_000.0 if args.quick else 200_000.0
K, width, present = 4, 3, 10.0  # patterns, inputs per pattern, ms per presentation
rng = np.random.default_rng(1982)

patterns = np.zeros((K, K * width))
for k in range(K):
    patterns[k, k * width : (k + 1) * width] = 1.0 / np.sqrt(width)  # unit length, orthogonal
order = rng.integers(0, K, int(duration / present))

net = ann.Network(dt=1.0, seed=1982)
inputs = net.create(ann.TimedArray(rates=patterns[order], schedule=present, name="inputs"))
neuron = net.create(1, ann.Neuron(equations="r = sum(exc)"), name="neuron")
bcm = net.connect(inputs, neuron, "exc", synapse=ann.IBCM(eta=0.0005, tau=1000.0))
bcm.all_to_all(weights=ann.Uniform(0.2, 0.8, rng=rng))
m = net.monitor(neuron, "r", period=present)  # one sample per presentation (its first step)

net.config(num_threads=args.threads)
net.compile()
m_theta = net.monitor(bcm.dendrite(0), "theta", period=present)
net.simulate(duration)
r = m.get("r").ravel()
theta = np.asarray(m_theta.get("theta")).ravel()
w = np.array(bcm.w[0])

# response to each pattern at the end: the weights projected on the patterns
responses = patterns @ w
preferred = int(np.argmax(responses))
others = np.delete(responses, preferred)
# the preferred response over the last quarter (its presentations; the first sample shows the previous one)
shown = np.roll(order, 1)[: len(r)]
late = np.arange(len(r)) >= 3 * len(r) // 4
late_preferred = float(r[late & (shown == preferred)].mean())


def figure():
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4), width_ratios=[2, 1])
    t = np.arange(len(r)) * present / 1000.0
    for k in range(K):
        sel = shown == k
        left.plot(t[sel], r[sel], ".", markersize=2, label=f"pattern {k + 1}")
    left.plot(np.arange(len(theta)) * present / 1000.0, theta, "k", linewidth=1, label="theta")
    left.set_xlabel("time (s)")
    left.set_ylabel("response r")
    left.legend(markerscale=4, fontsize="small", loc="upper left")
    left.set_title("responses to the four patterns and the threshold")
    right.bar(np.arange(1, K + 1), responses, color="0.5")
    right.axhline(K, color="r", linestyle="--", label="analytic r* = K")
    right.set_xlabel("pattern")
    right.set_ylabel("final response")
    right.legend()
    fig.tight_layout()
    return fig


report(
    args,
    {
        "preferred pattern": preferred + 1,
        "mean preferred response, last quarter": late_preferred,
        "analytic fixed point r* = K": float(K),
        "largest response to another pattern": float(others.max()),
        "mean theta over the last quarter": float(theta[3 * len(theta) // 4 :].mean()),
    },
    figure,
)
