"""nnc: event-driven synaptic variables integrate from step 0, not from last_event = -10000 (SEMANTICS §11).

A synapse variable x (init 1, decays with tau = 10 ms, event-driven) is read at the first pre spike
(emitted at step 10, delivered at step 11). The reference integrates it over 10010 steps -> 0;
nnc over 10 steps -> exp(-1).

    SIM=ANNarchy: [0.0, ..., 0.0]          (g_exc at step 11 = 0.0)
    SIM=nnc:      [0.0, ..., 0.36787944117144233, 0.0]
"""

import importlib
import os
import tempfile

SIM = os.environ.get("SIM", "nnc")
ann = importlib.import_module(SIM)
net = ann.Network(dt=1.0)
pre = net.create(ann.SpikeSourceArray(spike_times=[[10.0]]))
post = net.create(1, ann.Neuron(equations="v = g_exc", spike="v > 1000"))
syn = ann.Synapse(
    parameters=dict(tau=10.0),
    equations="tau * dx/dt = -x : init=1.0, event-driven",
    pre_spike="g_target += x",
)
net.connect(pre, post, "exc", syn).all_to_all(weights=1.0)
m = net.monitor(post, "g_exc")
net.compile(directory=os.path.join(tempfile.gettempdir(), f"nnc-repro-last-event-{SIM}"), silent=True)
net.simulate(13)
print(m.get("g_exc")[:, 0].tolist())
