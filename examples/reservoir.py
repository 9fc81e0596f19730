"""An echo-state network predicts the Mackey-Glass series (Jaeger, 2001; Jaeger & Haas, 2004).

A reservoir of 300 rate neurons ``r = tanh(sum(in) + sum(rec))`` is driven by the chaotic Mackey-Glass
series (delay 17, sampled every time unit, one sample per 1 ms step from a ``TimedArray``). Its random
recurrent weights are scaled to a spectral radius of 0.9, so the reservoir forgets its initial state and
its activity is a rich nonlinear function of the recent input (the echo-state property). A linear
readout, trained offline by ridge regression on the recorded rates, predicts the series 10 steps ahead.

The script also runs the same reservoir in NumPy (``x[k] = tanh(W_in u[k-1] + W x[k-1]``: every
projection transmits the previous step's rates) and prints the largest difference between the states,
and the normalised root-mean-square error of the prediction on samples the readout never saw.

    python examples/reservoir.py [--quick]   # 4000 steps (quick: 2500)
"""

from __future__ import annotations

import numpy as np
from _gallery import options, report

import nnc as ann

args = options(__doc__)
steps = 2500 if args.quick else 4000
washout, train_end, horizon, N = 200, (1500 if args.quick else 2800), 10, 300
rng = np.random.default_rng(2001)


def mackey_glass(n: int, tau: float = 17.0, h: float = 0.1) -> np.ndarray:
    """``dx/dt = 0.2 x(t - tau) / (1 + x(t - tau)^10) - 0.1 x``, Euler with step h, sampled every 1."""
    lag, per = round(tau / h), round(1.0 / h)
    x = np.full(n * per + lag + 1, 1.2)
    for i in range(lag, len(x) - 1):
        x[i + 1] = x[i] + h * (0.2 * x[i - lag] / (1.0 + x[i - lag] ** 10) - 0.1 * x[i])
    return x[lag::per][:n]


u = np.tanh(mackey_glass(steps + horizon) - 1.0)  # centred and squashed into (-1, 1)
W = rng.normal(0.0, 1.0, (N, N)) * (rng.random((N, N)) < 0.1)
W *= 0.9 / np.max(np.abs(np.linalg.eigvals(W)))
W_in = rng.uniform(-1.0, 1.0, (N, 1))

net = ann.Network(dt=1.0, seed=2001)
inp = net.create(ann.TimedArray(rates=u[:steps, None], schedule=1.0, name="input"))
res = net.create(N, ann.Neuron(equations="r = tanh(sum(in) + sum(rec))"), name="reservoir")
net.connect(inp, res, "in").from_matrix(W_in)
net.connect(res, res, "rec").from_matrix(np.where(W != 0.0, W, None))  # None: no synapse
m = net.monitor(res, "r")

net.config(num_threads=args.threads)
net.compile()
net.simulate(steps)
X = m.get("r")  # (steps, N): X[k] is the state after step k

# the same reservoir in NumPy: the TimedArray shows u[k] at step k, projections read step k-1
x, ref = np.zeros(N), np.zeros((steps, N))
for k in range(steps):
    x = np.tanh(W_in[:, 0] * (u[k - 1] if k > 0 else 0.0) + W @ x)
    ref[k] = x
state_error = float(np.max(np.abs(X - ref)))

# readout: X[k] has seen u up to u[k-1]; predict u[k - 1 + horizon]
features = np.hstack([X, np.ones((steps, 1))])
target = u[np.arange(steps) - 1 + horizon]
train = slice(washout, train_end)
test = slice(train_end, steps)
A = features[train]
w_out = np.linalg.solve(A.T @ A + 1e-6 * np.eye(N + 1), A.T @ target[train])
prediction = features @ w_out
nrmse = float(np.sqrt(np.mean((prediction[test] - target[test]) ** 2)) / np.std(target[test]))


def figure():
    import matplotlib.pyplot as plt

    fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 6), height_ratios=[2, 1.3])
    k = np.arange(steps)
    top.plot(k[test], target[test], "k", linewidth=1.5, label=f"Mackey-Glass, {horizon} steps ahead")
    top.plot(k[test], prediction[test], "r--", linewidth=1, label="readout of the reservoir")
    top.set_title(f"prediction on unseen samples: NRMSE = {nrmse:.3f}")
    top.set_xlabel("step")
    top.legend(loc="upper right")
    bottom.plot(k[:600], X[:600, :8], linewidth=0.7)
    bottom.set_xlabel("step")
    bottom.set_ylabel("r")
    bottom.set_title("eight reservoir neurons (the first 600 steps)")
    fig.tight_layout()
    return fig


report(
    args,
    {
        "test NRMSE (10 steps ahead)": nrmse,
        "largest state difference from NumPy": state_error,
        "reservoir neurons": N,
    },
    figure,
)
