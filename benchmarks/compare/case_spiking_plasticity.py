"""Spiking plasticity: STDP, STP, plasticity off, delays with STDP (SEMANTICS §4.1, §8, §9, DSL §9.7).

One network, dt = 0.5 ms. Pre-synaptic spikes come from a ``SpikeSourceArray``; post neurons of the
"forced" populations fire exactly one step after a second spike source (the teacher, target ``force``)
spikes, whatever their plastic input (which they only record): ``v = g_exc``, ``f = g_force``, spike
``f > 0.5``. The chosen times give pre-before-post, post-before-pre, simultaneous arrivals and bursts.

* built-in ``ann.STDP`` (all-to-all, weights from ``Uniform(rng=net.default_rng)``);
* the trace-based STDP of anchors-bench/stdp.py written out (event-driven ``x``/``y``);
* a nearest-neighbour rule on ``t_pre``/``t_post`` and a counter (``unless_post`` is not used: the
  reference generates ``last_spike[[rk_j]]``, which does not compile);
* the written-out STDP with a uniform delay (3 ms) and with per-synapse delays (``from_matrix``);
* the written-out STDP with ``disable_learning()`` from compile, and another one switched off and on
  during the run (``plasticity`` flag; ``x``/``y`` keep evolving);
* a closed loop: built-in STDP into ``IF_curr_exp`` neurons that the plastic input makes fire;
* ``ann.STP`` with a per-synapse ``U`` (``u`` starts at 0.3, away from its steady state ``U``) and the
  usual ``ann.STP`` (one ``U``, one weight) into ``IF_cond_exp`` neurons, ``g_exc`` and ``v`` recorded.

Compared: post spike trains (exact), weights recorded every step (a whole projection and dendrites, with
the event-driven variables), final weights and synaptic variables, ``g_exc`` traces.
"""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import Results

out = Results("spiking_plasticity", rtol=1e-9)
ann = out.ann
DT = 0.5


def trains(spikes):
    return [[int(r), [int(s) for s in spikes[r]]] for r in spikes]


Forced = ann.Neuron(equations=["v = g_exc", "f = g_force"], spike="f > 0.5")

TRACE_STDP = ann.Synapse(
    parameters=dict(tau_plus=20.0, tau_minus=20.0, A_plus=0.01, A_minus=0.0105, w_min=0.0, w_max=0.05),
    equations=[
        ann.Variable("tau_plus  * dx/dt = -x", method="event-driven"),
        ann.Variable("tau_minus * dy/dt = -y", method="event-driven"),
    ],
    pre_spike="""
        g_target += w
        x += A_plus * w_max
        w = clip(w + y, w_min , w_max)
    """,
    post_spike="""
        y -= A_minus * w_max
        w = clip(w + x, w_min , w_max)
    """,
)
NEAREST = ann.Synapse(
    parameters=dict(tau_plus=15.0, tau_minus=25.0, A_plus=0.004, A_minus=0.003, w_max=0.05),
    equations=["c = c"],
    pre_spike="""
        g_target += w
        w = clip(w - A_minus * exp(-(t - t_post) / tau_minus), 0.0, w_max)
        c += 1
    """,
    post_spike="""
        w = clip(w + A_plus * exp(-(t - t_pre) / tau_plus), 0.0, w_max)
    """,
)

net = ann.Network(dt=DT, seed=21)
rng = net.default_rng
PRE_TIMES = [
    [5.0, 30.0, 31.0, 60.0, 100.0, 101.5, 150.0],
    [10.0, 20.0, 45.0, 80.5, 120.0],
    [2.0, 44.0, 44.5, 45.0, 90.0, 160.0],
    [15.5, 16.0, 70.0, 75.0, 130.0],
    [1.0, 3.0, 49.0, 99.5, 140.0, 141.0, 142.0],
    [25.0, 55.0, 85.0, 115.0, 145.0],
]
TEACH_TIMES = [[12.0, 44.0, 100.0], [29.5, 70.0, 140.0], [5.0, 60.0, 120.5, 150.0], [45.0, 46.0, 99.0]]
pre = net.create(ann.SpikeSourceArray(spike_times=PRE_TIMES, name="pre"))
teacher = net.create(ann.SpikeSourceArray(spike_times=TEACH_TIMES, name="teacher"))

RULES = {
    "builtin": (
        ann.STDP(tau_plus=20.0, tau_minus=20.0, A_plus=0.01, A_minus=0.0105, w_min=0.0, w_max=0.05),
        {},
    ),
    "trace": (TRACE_STDP, {}),
    "nearest": (NEAREST, {}),
    "uniform_delay": (TRACE_STDP, {"delays": 3.0}),
    "off": (TRACE_STDP, {}),
    "toggled": (TRACE_STDP, {}),
}
posts, projs = {}, {}
for name, (syn, kw) in RULES.items():
    post = net.create(4, Forced, name=f"post_{name}")
    net.connect(teacher, post, "force").one_to_one(weights=1.0)
    proj = net.connect(pre, post, "exc", syn, name=name)
    proj.all_to_all(weights=ann.Uniform(0.0, 0.05, rng=rng), **kw)
    posts[name], projs[name] = post, proj
# per-synapse delays (ms), not half multiples of dt, all at least one step
local = np.random.default_rng(77)
W = local.uniform(0.0, 0.05, (4, 6))
D = local.choice([0.5, 1.0, 2.0, 3.5, 4.0, 7.0], size=(4, 6))
post_nd = net.create(4, Forced, name="post_nonuniform")
net.connect(teacher, post_nd, "force").one_to_one(weights=1.0)
projs["nonuniform_delay"] = net.connect(pre, post_nd, "exc", TRACE_STDP, name="nonuniform_delay")
projs["nonuniform_delay"].from_matrix(W.tolist(), delays=D.tolist())
posts["nonuniform_delay"] = post_nd

# closed loop: the plastic input makes the post neurons fire
loop_post = net.create(3, ann.IF_curr_exp(tau_m=10.0, tau_refrac=2.0), name="loop_post")
loop_pre = net.create(
    ann.SpikeSourceArray(
        spike_times=[list(np.arange(2.0 + i, 200.0, 7.0 + i)) for i in range(10)], name="loop_pre"
    )
)
loop = net.connect(loop_pre, loop_post, "exc", ann.STDP(A_plus=0.02, A_minus=0.021, w_max=3.0), name="loop")
loop.all_to_all(weights=ann.Uniform(1.0, 3.0, rng=rng))

# STP
stp_post = net.create(2, ann.IF_cond_exp(i_offset=0.2), name="stp_post")
stp_pre = net.create(
    ann.SpikeSourceArray(
        spike_times=[[*np.arange(10.0, 110.0, 10.0), 150.0, 151.0], list(np.arange(20.0, 60.0, 2.5))],
        name="stp_pre",
    )
)
stp = net.connect(stp_pre, stp_post, "exc", ann.STP(tau_rec=80.0, tau_facil=30.0, U=0.3), name="stp")
stp.all_to_all(weights=ann.Uniform(0.05, 0.2, rng=rng))
stp.U = ann.Uniform(0.1, 0.6, rng=rng)
# the usual STP: one U, so u starts at its steady state (the time since the last event does not matter)
stp_std_post = net.create(2, ann.IF_cond_exp(i_offset=0.2), name="stp_std_post")
stp_std = net.connect(
    stp_pre, stp_std_post, "exc", ann.STP(tau_rec=100.0, tau_facil=20.0, U=0.5), name="stp_std"
)
stp_std.all_to_all(weights=0.15)  # one number, not plastic: proj.w is a scalar (API §7.1)

spikes = {name: net.monitor(pop, "spike") for name, pop in posts.items()}
spikes["loop_post"] = net.monitor(loop_post, "spike")
spikes["stp_post"] = net.monitor(stp_post, "spike")
g_mon = {name: net.monitor(pop, "v") for name, pop in posts.items()}
g_mon["stp_post"] = net.monitor(stp_post, ["g_exc", "v"])
g_mon["stp_std_post"] = net.monitor(stp_std_post, ["g_exc", "v"])
spikes["stp_std_post"] = net.monitor(stp_std_post, "spike")
g_mon["loop_post"] = net.monitor(loop_post, ["v", "g_exc"])
out.compile(net)
w_mon = {
    "builtin": net.monitor(projs["builtin"], "w"),
    "trace.d1": net.monitor(projs["trace"].dendrite(1), ["w", "x", "y"]),
    "nearest.d2": net.monitor(projs["nearest"].dendrite(2), ["w", "c"]),
    "uniform_delay.d0": net.monitor(projs["uniform_delay"].dendrite(0), ["w", "x", "y"]),
    "nonuniform_delay.d3": net.monitor(projs["nonuniform_delay"].dendrite(3), ["w", "x"]),
    "stp.d0": net.monitor(stp.dendrite(0), ["x", "u"]),
    "stp_std.d1": net.monitor(stp_std.dendrite(1), ["x", "u"]),
    "loop.d1": net.monitor(loop.dendrite(1), "w"),
}
for name, proj in projs.items():
    out.value(f"initial.{name}.w", proj.w)
projs["off"].disable_learning()
net.simulate(60.0)
projs["toggled"].disable_learning()
out.same("toggled.flags_off", [bool(projs["toggled"].plasticity), bool(projs["toggled"].transmission)])
net.simulate(45.5)
projs["toggled"].enable_learning()
net.simulate(94.5)

for name, m in spikes.items():
    out.same(f"spikes.{name}", trains(m.get("spike")))
for name, m in g_mon.items():
    data = m.get()
    for var in sorted(data):
        out.value(f"trace.{name}.{var}", data[var])
for name, m in w_mon.items():
    data = m.get()
    for var in sorted(data):
        out.same(f"rec.{name}.{var}.shape", list(np.shape(data[var])))
        out.value(f"rec.{name}.{var}", np.array(np.asarray(data[var], dtype=object).tolist(), dtype=float))
for name, proj in projs.items():
    out.value(f"final.{name}.w", proj.w)
    for var in ("x", "y", "c"):
        if var in proj.attributes:
            out.value(f"final.{name}.{var}", getattr(proj, var))
out.value("final.loop.w", loop.w)
out.value("final.stp.x", stp.x)
out.value("final.stp.u", stp.u)
out.value("final.stp_std.x", stp_std.x)
out.value("final.stp_std.u", stp_std.u)
out.same("final.stp_std.w", stp_std.w)
out.emit()
