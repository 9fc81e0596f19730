"""Axonal spikes: ``axon_spike`` / ``axon_reset`` and ``pre_axon_spike`` (DSL §10.1, §11.3; SEMANTICS §6.2).

Network (dt = 0.5 ms): ten LIF neurons with constant currents, a refractory period, and an axonal
condition just below the spike threshold (some neurons send only axonal events, some both, some
neither); recurrent projections with ``pre_axon_spike`` feed them back. No ``axon_reset``: the reference
cannot analyse a neuron with a non-empty one (``UnboundLocalError`` in ``extract_axon_spike_condition``;
nnc's is tested in tests/e2e/test_axonal_delays.py).
From them: receivers through a synapse whose ``pre_axon_spike`` differs from ``pre_spike``, through one
whose ``pre_axon_spike`` equals ``pre_spike`` (the reference merges both lists), and through a plain
synapse with a uniform delay of 2 ms (axonal events do not reach it). The projections with
``pre_axon_spike`` have no delay: with delays the reference ignores them (docs/spiking.md, run.py).

Compared: spike trains exactly, ``v``/``g`` traces and final states to 1e-9 (the receivers' ``g_exc``
holds every axonal event: ``0.25 w`` each through ``split``, ``w`` through ``merged``); then ``net.reset()``
and a second run. ``axon_transmission`` is off for 20 ms of the first run on the projections with
``pre_axon_spike``. Not compared: a monitor on ``'axon_spike'``, which the reference returns empty.
"""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import Results

out = Results("axonal", rtol=1e-9)
ann = out.ann


def trains(spikes):
    """A spike dict as ``[[rank, [steps...]], ...]`` in the dict's own key order (exact comparison)."""
    return [[int(r), [int(s) for s in spikes[r]]] for r in spikes]


net = ann.Network(dt=0.5, seed=5)
Axonal = ann.Neuron(
    parameters=dict(tau=10.0, I=ann.Parameter(20.0, locality="local")),
    equations=[
        "tau * dv/dt = -70.0 - v + I + g_exc - g_inh : init=-70.0",
        "tau * dg_exc/dt = -g_exc",
        "5.0 * dg_inh/dt = -g_inh",
    ],
    spike="v > -50.0",
    reset="v = -70.0",
    axon_spike="v > -52.0",
    refractory=1.0,
)
cells = net.create(10, Axonal, name="cells")
cells.I = np.linspace(17.0, 40.0, cells.size)

Receiver = ann.Neuron(equations=["v = g_exc + 0.5 * g_inh", "g_exc = 0.0", "g_inh = 0.0"], spike="v > 1e9")
recv = net.create(4, Receiver, name="recv")
recv_merged = net.create(4, Receiver, name="recv_merged")
recv_delayed = net.create(4, Receiver, name="recv_delayed")

Split = ann.Synapse(pre_spike="g_target += w", pre_axon_spike="g_target += 0.25 * w")
Merged = ann.Synapse(pre_spike="g_target += w", pre_axon_spike="g_target += w")

W = np.random.default_rng(3)
rec = net.connect(cells, cells, "exc", Split, name="rec")
rec.fixed_probability(0.4, weights=ann.Uniform(0.5, 3.0, rng=W), allow_self_connections=False)
inh = net.connect(cells[6:], cells[:6], "inh", Split, name="inh")
inh.all_to_all(weights=ann.Uniform(1.0, 4.0, rng=W))
split = net.connect(cells, recv, "exc", Split, name="split")
split.from_matrix(np.round(W.uniform(0.1, 2.0, (4, 10)), 3).tolist())
merged = net.connect(cells, recv_merged, "exc", Merged, name="merged")
merged.from_matrix(np.round(W.uniform(0.1, 2.0, (4, 10)), 3).tolist())
delayed = net.connect(cells, recv_delayed, "inh", name="delayed")
delayed.all_to_all(weights=ann.Uniform(0.2, 1.0, rng=W), delays=2.0)

spikes = net.monitor(cells, "spike")
traces = {
    "cells": net.monitor(cells, ["v", "g_exc", "g_inh"]),
    "recv": net.monitor(recv, ["g_exc"]),
    "recv_merged": net.monitor(recv_merged, ["g_exc"]),
    "recv_delayed": net.monitor(recv_delayed, ["g_inh"]),
}
out.compile(net, "axonal")


def collect(tag):
    out.same(f"{tag}.spikes", trains(spikes.get("spike")))
    for name, m in traces.items():
        for var, values in sorted(m.get().items()):
            out.value(f"{tag}.trace.{name}.{var}", values)
    out.value(f"{tag}.final.cells.v", cells.v)


net.simulate(50.0)
for proj in (rec, split, merged):  # axonal events stop reaching these projections for 20 ms
    proj.axon_transmission = False
net.simulate(20.0)
for proj in (rec, split, merged):
    proj.axon_transmission = True
net.simulate(10.0)
collect("run1")
net.reset()
net.simulate(40.0)
collect("run2")
out.emit()
