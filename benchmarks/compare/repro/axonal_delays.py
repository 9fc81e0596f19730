"""Reference quirk: a projection whose synapse has pre_axon_spike ignores its delays.

Sender 0 fires at t = 2 ms and sender 1 at t = 3 ms; their axonal events follow at t = 5 and 6 ms
(dt = 1 ms). ``pre_spike`` adds ``w = 1``, ``pre_axon_spike`` adds ``100 w`` to ``g_exc`` of two
receivers that reset it every step, so each printed trace shows when each kind of event arrives. nnc
delivers every event after its synapse's delay (an event of step s through d steps arrives at s + d);
ANNarchy 5.0.4.1 ignores a uniform delay for both kinds of events once the synapse has pre_axon_spike,
and with per-synapse delays its arrivals follow neither the delays nor the weights.

    SIM=ANNarchy:
    no delay, axonal          post 0 [0, 0, 0, 1, 1, 0, 100, 100, 0, 0, 0, 0, 0, 0]
                              post 1 [0, 0, 0, 1, 1, 0, 100, 100, 0, 0, 0, 0, 0, 0]
    uniform 3 ms, plain       post 0 [0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0]
                              post 1 [0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0]
    uniform 3 ms, axonal      post 0 [0, 0, 0, 1, 1, 0, 100, 100, 0, 0, 0, 0, 0, 0]
                              post 1 [0, 0, 0, 1, 1, 0, 100, 100, 0, 0, 0, 0, 0, 0]
    per-synapse, plain        post 0 [0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]
                              post 1 [0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0]
    per-synapse, axonal       post 0 [0, 0, 0, 101, 0, 101, 0, 0, 0, 0, 0, 0, 0, 0]
                              post 1 [0, 0, 0, 0, 2, 200, 0, 0, 0, 0, 0, 0, 0, 0]
    SIM=nnc: the same, except
    uniform 3 ms, axonal      post 0 [0, 0, 0, 0, 0, 1, 1, 0, 100, 100, 0, 0, 0, 0]
                              post 1 [0, 0, 0, 0, 0, 1, 1, 0, 100, 100, 0, 0, 0, 0]
    per-synapse, axonal       post 0 [0, 0, 0, 1, 0, 0, 101, 0, 0, 100, 0, 0, 0, 0]
                              post 1 [0, 0, 0, 0, 0, 1, 1, 0, 100, 100, 0, 0, 0, 0]

Per-synapse delays: the dendrite of post 0 has delays 1 and 3 ms from senders 0 and 1, that of post 1
has 4 and 2 ms (set after compile; the projection is non-uniform from its connector).
"""

import importlib
import os
import tempfile

SIM = os.environ.get("SIM", "nnc")
ann = importlib.import_module(SIM)

SENDER = ann.Neuron(
    parameters="off = 0.0",
    equations="v = t - off",
    spike="v == 2",
    reset="",
    axon_spike="v == 5",
    axon_reset="",
)
RECEIVER = ann.Neuron(equations="g_exc = 0", spike="g_exc > 1e9", reset="")
AXONAL = ann.Synapse(pre_spike="g_target += w", pre_axon_spike="g_target += 100 * w")
PLAIN = ann.Synapse(pre_spike="g_target += w")


def run(name, synapse, delays):
    net = ann.Network(dt=1.0)
    pre = net.create(2, SENDER)
    pre.off = [0.0, 1.0]
    post = net.create(2, RECEIVER)
    proj = net.connect(pre, post, "exc", synapse)
    per_synapse = isinstance(delays, list)
    proj.all_to_all(weights=1.0, delays=ann.Uniform(1.0, 4.0) if per_synapse else delays)
    m = net.monitor(post, "g_exc")
    net.compile(directory=os.path.join(tempfile.gettempdir(), f"nnc-repro-axonal-{SIM}-{name}"), silent=True)
    if per_synapse:
        proj.delay = delays
    net.simulate(14)
    g = m.get("g_exc")
    for i in range(2):
        print(f"{name if i == 0 else '':<26}post {i} {g[:, i].astype(int).tolist()}")


run("no delay, axonal", AXONAL, 0.0)
run("uniform 3 ms, plain", PLAIN, 3.0)
run("uniform 3 ms, axonal", AXONAL, 3.0)
run("per-synapse, plain", PLAIN, [[1.0, 3.0], [4.0, 2.0]])
run("per-synapse, axonal", AXONAL, [[1.0, 3.0], [4.0, 2.0]])
