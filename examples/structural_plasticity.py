"""Structural plasticity: synapses created between co-active neurons, weak ones pruned.

Sixteen input neurons project onto sixteen output neurons through a random sparse projection (each
synapse present with probability 0.3, weight 0.05). Every 50 ms one random pair is active together for
40 ms: input ``i`` and output ``i`` (the output is driven by a teaching input, so the pairing does not
depend on the synapses). The synapse model has a Hebbian weight with a slow decay and two structural
rules, all in the equation language::

    tau dw/dt = pre.r * post.r - decay * w          (tau = 100 ms, decay = 0.01: forgetting in 10 s)
    creating:  pre.r * post.r > 0.5   (proba 1, w = 0.05)   -- co-active neurons get a synapse
    pruning:   w < 0.01               (proba 1)              -- a weight that decayed away goes

both rules applied every 10 ms. The synapses between neurons that are never active together decay from
0.05 to 0.01 in ``ln(5) tau / decay`` = 16.1 s and are pruned; the pairs (i, i) get a synapse the first
time they fire together and keep it, since their weights grow each time. The connectivity therefore ends
as exactly the 16 pairs: the script checks it synapse by synapse, and prints when the last synapse off
the pairs went (to 0.1 s) next to the prediction: the explicit Euler decay of ``w`` crosses 0.01 after
16094 steps, and the pruning rule first sees it at the next step it is due (step 16100).

    python examples/structural_plasticity.py [--quick]   # 30 s of biological time (quick: 20 s)
"""

from __future__ import annotations

import math

import numpy as np
from _gallery import options, report

import nnc as ann

args = options(__doc__)
duration = 20_000.0 if args.quick else 30_000.0
N, BLOCK, TAU, DECAY, W0 = 16, 50.0, 100.0, 0.01, 0.05

rng = np.random.default_rng(4)
blocks = int(duration / BLOCK)
active = rng.integers(0, N, blocks)
patterns = np.zeros((2 * blocks, N))  # 40 ms of a pair, then 10 ms of silence (no pair overlaps the next)
patterns[2 * np.arange(blocks), active] = 1.0
starts = np.stack([np.arange(blocks) * BLOCK, np.arange(blocks) * BLOCK + 40.0], axis=1).reshape(-1).tolist()

net = ann.Network(dt=1.0, seed=4)
net.config(structural_plasticity=True)
pre = net.create(ann.TimedArray(rates=patterns, schedule=starts, name="input"))
teacher = net.create(ann.TimedArray(rates=patterns, schedule=starts, name="teacher"))
post = net.create(N, ann.Neuron(equations="r = sum(teach)"), name="output")
net.connect(teacher, post, "teach").one_to_one(weights=1.0)
Structural = ann.Synapse(
    parameters=dict(tau=TAU, decay=DECAY),
    equations="tau * dw/dt = pre.r * post.r - decay * w",
    creating=ann.Creating("pre.r * post.r > 0.5", proba=1.0, w=W0),
    pruning=ann.Pruning("w < 0.01", proba=1.0),
)
proj = net.connect(pre, post, "exc", Structural).fixed_probability(probability=0.3, weights=W0)

net.config(num_threads=args.threads)
net.compile()
before = proj.connectivity_matrix(fill=np.nan)
proj.start_creating(period=10.0)
proj.start_pruning(period=10.0)

CHUNK = 100.0
times, counts, on_pairs = [0.0], [proj.nb_synapses], [int(np.sum(~np.isnan(np.diag(before))))]
last_pruning = 0.0  # the end of the last chunk (100 ms) in which a synapse off the pairs went
while net.time < duration:
    net.simulate(CHUNK)
    times.append(net.time)
    counts.append(proj.nb_synapses)
    on_pairs.append(int(np.sum(~np.isnan(np.diag(proj.connectivity_matrix(fill=np.nan))))))
    if counts[-1] - on_pairs[-1] < counts[-2] - on_pairs[-2]:
        last_pruning = net.time

after = proj.connectivity_matrix(fill=np.nan)
present = ~np.isnan(after)
pairs = np.eye(N, dtype=bool)
off_pairs_before = int(np.sum(~np.isnan(before) & ~pairs))
# the analytic time at which an untouched synapse of weight W0 decays below 0.01 (Euler: steps of dt)
analytic_ms = TAU / DECAY * math.log(W0 / 0.01)
euler_steps = math.ceil(math.log(0.01 / W0) / math.log(1.0 - DECAY * net.dt / TAU))
# the rules run after every 10th step from step 0; after step s a weight has had s + 1 updates
rule_step = 10 * math.ceil((euler_steps - 1) / 10)
predicted_chunk_end = math.ceil((rule_step + 1) * net.dt / CHUNK) * CHUNK


def figure():
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(12, 4), width_ratios=[1, 1, 1.3])
    for ax, matrix, title in (
        (axes[0], before, "at the start"),
        (axes[1], after, f"after {duration / 1000:g} s"),
    ):
        image = ax.imshow(matrix, cmap="viridis", vmin=0.0, interpolation="nearest")
        ax.set_xlabel("input neuron")
        ax.set_ylabel("output neuron")
        ax.set_title(f"synapses {title}: {int(np.sum(~np.isnan(matrix)))}")
        fig.colorbar(image, ax=ax, fraction=0.046, label="w")
    ax = axes[2]
    ax.plot(np.array(times) / 1000.0, counts, "k-", label="synapses")
    ax.plot(np.array(times) / 1000.0, on_pairs, "tab:green", label="on the 16 co-active pairs")
    ax.axvline(
        analytic_ms / 1000.0,
        color="r",
        linestyle=":",
        label=f"analytic pruning time {analytic_ms / 1000:.1f} s",
    )
    ax.set_xlabel("time (s)")
    ax.set_ylabel("synapses")
    ax.set_title("creation and pruning")
    ax.legend(loc="center right", fontsize=8)
    fig.tight_layout()
    return fig


report(
    args,
    {
        "synapses at the start": int(np.sum(~np.isnan(before))),
        "synapses off the co-active pairs at the start": off_pairs_before,
        "synapses at the end": int(present.sum()),
        "co-active pairs with a synapse at the end": int(np.sum(present & pairs)),
        "synapses off the co-active pairs at the end": int(np.sum(present & ~pairs)),
        "last pruning, to 0.1 s (s)": last_pruning / 1000.0,
        "analytic pruning time (s)": analytic_ms / 1000.0,
        "step of the pruning (Euler decay, rule every 10 steps)": rule_step,
        "predicted last pruning, to 0.1 s (s)": predicted_chunk_end / 1000.0,
        "last pruning minus the prediction (ms)": last_pruning - predicted_chunk_end,
    },
    figure,
)
