"""Oja's rule finds the first principal component of its inputs (Oja, 1982).

A linear neuron ``r = sum(exc)`` reads 2 inputs through the built-in ``Oja`` synapse
(``dw/dt = eta * (pre.r * post.r - alpha * post.r^2 * w)``). The inputs are correlated Gaussian noise
made inside the network: a population of two independent Ornstein-Uhlenbeck processes (``Normal(0, 1)``
drawn every step) feeds a fixed projection that mixes them with a matrix ``L`` (``L L^T = C``), so the
inputs have the covariance ``C`` (times 1.03, the variance of the discretised process).
Oja's rule drives the weight vector to the eigenvector of ``C`` with the largest eigenvalue, with the
length ``1 / sqrt(alpha)``. Because every projection transmits the previous step's values, the neuron
correlates the inputs of step k with its response to those of step k-1, whose correlation is
``rho = 1 - dt/tau`` for this noise; the length then converges to ``sqrt(rho / alpha)`` (0.975 here).
Both are printed next to their analytic values.

    python examples/oja.py [--quick]    # 20 s of biological time at dt = 1 ms (quick: 5 s)
"""

from __future__ import annotations

import numpy as np
from _gallery import options, report

import nnc as ann

args = options(__doc__)
duration = 5_000.0 if args.quick else 20_000.0
C = np.array([[1.0, 0.8], [0.8, 1.5]])  # covariance of the two inputs
L = np.linalg.cholesky(C)

net = ann.Network(dt=1.0, seed=1982)
# Ornstein-Uhlenbeck noise (unit variance, correlation time 20 ms): successive steps are close, so the
# one-step lag of every projection (the neuron sees the inputs of the previous step) hardly matters.
OU = ann.Neuron(
    parameters="tau = 20.0", equations="tau * dr/dt = -r + sqrt(2.0 * tau / dt) * Normal(0.0, 1.0)"
)
noise = net.create(2, OU, name="noise")
inputs = net.create(2, ann.Neuron(equations="r = sum(mix)"), name="inputs")
neuron = net.create(1, ann.Neuron(equations="r = sum(exc)"), name="neuron")
net.connect(noise, inputs, "mix").from_matrix(L)
oja = net.connect(inputs, neuron, "exc", synapse=ann.Oja(eta=0.002, alpha=1.0))
oja.all_to_all(weights=ann.Uniform(-0.5, 0.5, rng=np.random.default_rng(0)))
m_x = net.monitor(inputs, "r", period=5.0)

net.config(num_threads=args.threads)
net.compile()
m_w = net.monitor(oja.dendrite(0), "w", period=10.0)  # a dendrite exists once the network is compiled
net.simulate(duration)
w_t = np.asarray(m_w.get("w"))  # (T, 2)
x = m_x.get("r")
w = np.array(oja.w[0])

values, vectors = np.linalg.eigh(C)
pc1 = vectors[:, np.argmax(values)]
cosine = abs(float(w @ pc1) / np.linalg.norm(w))
sample_cov = np.cov(x.T)


def figure():
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4.5))
    left.plot(x[:, 0], x[:, 1], ".", color="0.7", markersize=2, label="inputs")
    scale = 2.5
    left.plot(w_t[:, 0] * scale, w_t[:, 1] * scale, "b-", linewidth=1, label=f"w (x{scale:g}) over time")
    left.arrow(0, 0, *(w * scale), color="b", width=0.03, length_includes_head=True)
    left.plot([-scale * pc1[0], scale * pc1[0]], [-scale * pc1[1], scale * pc1[1]], "r--", label="first PC")
    left.set_aspect("equal")
    left.set_xlabel("input 1")
    left.set_ylabel("input 2")
    left.legend(loc="upper left", fontsize="small")
    t = np.arange(len(w_t)) * m_w.period / 1000.0
    right.plot(t, np.linalg.norm(w_t, axis=1), "k", label="|w|")
    right.plot(t, np.abs(w_t @ pc1) / np.linalg.norm(w_t, axis=1), "r", label="|cos(w, PC1)|")
    right.axhline(1.0, color="0.5", linestyle=":")
    right.set_xlabel("time (s)")
    right.set_title("convergence")
    right.legend()
    fig.tight_layout()
    return fig


report(
    args,
    {
        "|cos(w, first principal component)|": cosine,
        "mean |w| over the second half": float(np.mean(np.linalg.norm(w_t[len(w_t) // 2 :], axis=1))),
        "analytic |w| = sqrt(rho / alpha)": float(np.sqrt(1.0 - net.dt / 20.0)),
        "input covariance error (max abs)": float(np.max(np.abs(sample_cov - C))),
    },
    figure,
)
