"""nnc: with compute_firing_rate on the pre population, a uniform delay increased after compile delivers
again a spike already delivered under the old delay.

One spike at step 2, delay 5 steps (arrives at step 7); at step 10 the delay becomes 12 steps.
The reference keeps max_delay steps of spikes, so the spike of step 2 is gone; nnc's spike history is
also as long as the firing-rate window (50 steps here) and delivers it again at step 14. Without the
compute_firing_rate line both print [7]. (With a second projection from the same population whose delay
is >= 12 steps the reference also delivers it again: both print [7, 14].)

    SIM=ANNarchy: [7]
    SIM=nnc:      [7, 14]
"""

import importlib
import os
import tempfile

SIM = os.environ.get("SIM", "nnc")
ann = importlib.import_module(SIM)
net = ann.Network(dt=1.0)
pre = net.create(1, ann.Neuron(equations="v = t", spike="v == 2.0"))
post = net.create(1, ann.Neuron(equations="v = g_exc", spike="v > 1000"))
proj = net.connect(pre, post, "exc")
proj.all_to_all(weights=1.0, delays=5.0)
pre.compute_firing_rate(50.0)
m = net.monitor(post, "g_exc")
net.compile(directory=os.path.join(tempfile.gettempdir(), f"nnc-repro-delay-{SIM}"), silent=True)
net.simulate(10)
proj.delay = 12.0
net.simulate(20)
print([int(k) for k in m.get("g_exc")[:, 0].nonzero()[0]])
