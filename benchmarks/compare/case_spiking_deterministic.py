"""Deterministic spiking networks: identical spike times (SEMANTICS §0, §2, §4-§6, §10; API §5.3, §7.3, §10).

Network ``lif`` (dt = 0.1 ms):

* (a) ``IF_curr_exp`` and ``IF_cond_exp`` driven by a different ``i_offset`` per neuron, with per-neuron
  ``tau_refrac`` (the built-in models name it as their ``refractory``) of 0, one step, several steps and
  non-integer multiples of dt (0.25 ms, 0.3 ms -> 2 steps by truncation, 2.05 ms -> 20); a custom LIF with
  ``refractory=0.3`` whose ``pop.refractory`` is then set per neuron after compile.
* (b) a ``SpikeSourceArray`` (times that round to steps, duplicates) into IF neurons through a uniform delay
  (changed after compile), per-synapse delays given at connect (matrix, not exact half multiples of dt) and
  changed after compile (list of lists), and into instantaneous-conductance receivers; ``g_exc`` traces.
* (d) custom neurons: a ``reset`` of several statements, ``refractory`` naming a local parameter, an
  ``unless_refractory`` flag (ignored by both), ``t_last`` read in an equation; ``refractory`` naming a
  variable that the reset increments.
* ``compute_firing_rate`` (before compile, and after compile with a window of 5.05 ms -> 50 steps): ``r``.

Networks ``izh1`` (dt = 1) and ``izh05`` (dt = 0.5): (c) 40 ``Izhikevich`` neurons without noise on fixed
weight matrices (``from_matrix``, seeded numpy; excitatory and inhibitory), heterogeneous ``i_offset``.

Compared: every spike train exactly (``exact``), recorded ``v``/``g_exc`` traces and final states numerically.
Then ``net.reset()`` and a second run of the ``lif`` network (the spike source restarts).
"""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import Results

out = Results("spiking_deterministic", rtol=1e-9)
ann = out.ann


def trains(spikes):
    """A spike dict as ``[[rank, [steps...]], ...]`` in the dict's own key order (exact comparison)."""
    return [[int(r), [int(s) for s in spikes[r]]] for r in spikes]


# ---------------------------------------------------------------- network lif, dt = 0.1
DT = 0.1
net = ann.Network(dt=DT, seed=5)

curr = net.create(8, ann.IF_curr_exp(), name="curr")
curr.i_offset = np.array([0.8, 2.0, 5.0, 10.0, 20.0, 40.0, 60.0, 100.0])  # down to 2 steps per spike
curr.tau_refrac = np.array([0.0, 0.1, 0.3, 0.5, 1.0, 2.05, 0.25, 5.0])
cond = net.create(8, ann.IF_cond_exp(tau_m=15.0), name="cond")
cond.i_offset = np.array([100.0, 1.2, 60.0, 3.0, 40.0, 7.0, 1.5, 30.0])
cond.tau_refrac = np.array([0.1, 0.25, 0.0, 2.05, 0.3, 1.0, 0.5, 0.35])

LIF = ann.Neuron(
    parameters=dict(tau=10.0, El=-70.0, vt=-55.0, vr=-75.0, I=ann.Parameter(20.0, locality="local")),
    equations=["tau * dv/dt = El - v + I : init=-70.0"],
    spike="v > vt",
    reset="v = vr",
    refractory=0.3,
)
lif = net.create(6, LIF, name="lif")
lif.I = np.linspace(16.0, 40.0, lif.size)

# (b) spike sources through delays
times = [[1.0, 5.04, 5.06, 20.0, 20.0], [2.32, 7.5, 30.0], [], [0.0, 0.1, 0.2, 44.44], [12.0, 12.04, 50.0]]
src = net.create(ann.SpikeSourceArray(spike_times=times, name="src"))
Receiver = ann.Neuron(equations=["v = g_exc + 0.5 * g_inh"], spike="v > 1000.0")
uni_post = net.create(3, ann.IF_cond_exp(i_offset=0.5), name="uni_post")
uni_post.i_offset = [0.3, 0.5, 0.7]
nonuni_post = net.create(3, ann.IF_curr_exp(i_offset=0.6), name="nonuni_post")
recv = net.create(2, Receiver, name="recv")

uni = net.connect(src, uni_post, "exc", name="uni")
uni.all_to_all(weights=0.08, delays=3.5)
W = np.array(
    [[0.5, 1.0, None, 0.3, 2.0], [1.5, None, 0.7, 0.2, 0.4], [0.9, 0.6, 0.1, None, 1.2]], dtype=object
)
D = np.array([[0.1, 1.3, 0.0, 2.74, 0.8], [3.0, 0.0, 0.46, 1.1, 5.02], [0.22, 2.0, 4.0, 0.0, 1.0]])
nonuni = net.connect(src, nonuni_post, "exc", name="nonuni")
nonuni.from_matrix(W.tolist(), delays=D.tolist())
net.connect(src, cond, "exc", name="to_cond").fixed_number_pre(2, weights=0.3, delays=0.7)
inst_uni = net.connect(src, recv, "exc", name="inst_uni")
inst_uni.all_to_all(weights=1.0, delays=1.5)
inst_non = net.connect(src, recv, "inh", name="inst_non")
inst_non.from_matrix(
    [[1.0, 2.0, 3.0, 4.0, 5.0], [0.5, 0.25, 0.125, 2.0, 1.0]],
    delays=[[0.3, 1.7, 2.0, 0.9, 3.1], [4.0, 0.4, 1.2, 2.6, 0.1]],
)

recv2 = net.create(8, Receiver, name="recv2")
relay = net.connect(curr, recv2, "exc", name="relay")
relay.one_to_one(weights=1.0, delays=0.5)

# (d) custom neurons
Custom = ann.Neuron(  # n and stamp change only in the reset (their equations keep them)
    parameters=dict(
        tau=8.0,
        vt=-50.0,
        vr=-68.0,
        d=1.5,
        tref=ann.Parameter(1.0, locality="local"),
        I=ann.Parameter(25.0, locality="local"),
    ),
    equations=[
        ann.Variable("tau * dv/dt = -70.0 - v + I - u + g_exc", init=-70.0),
        "tau * du/dt = -u",
        "dz/dt = 1.0 : init=0.0, unless_refractory",
        "since = t - t_last",
        "frozen = frozen + 1",
        "n = n",
        "stamp = stamp",
        ann.Variable("tau * dg_exc/dt = -g_exc"),
    ],
    spike="v > vt",
    reset="""
        v = vr
        u += d
        n = n + 1
        stamp = t
        frozen = 0
    """,
    refractory="tref",
)
custom = net.create(5, Custom, name="custom")
custom.tref = np.array([0.0, 0.1, 0.35, 1.0, 3.0])
custom.I = np.array([30.0, 45.0, 60.0, 35.0, 80.0])
net.connect(src, custom, "exc", name="to_custom").one_to_one(weights=20.0, delays=0.5)
# refractory naming a variable that the reset itself changes (the period is read after the reset)
Growing = ann.Neuron(
    parameters=dict(I=ann.Parameter(30.0, locality="local")),
    equations=["10.0 * dv/dt = -70.0 - v + I : init=-70.0", "tr = tr : init=0.2"],
    spike="v > -50.0",
    reset="""
        v = -70.0
        tr += 0.15
    """,
    refractory="tr",
)
growing = net.create(3, Growing, name="growing")
growing.I = [60.0, 120.0, 400.0]
lif.compute_firing_rate(20.0)

POPS = {
    "curr": curr,
    "cond": cond,
    "lif": lif,
    "uni_post": uni_post,
    "nonuni_post": nonuni_post,
    "recv": recv,
    "recv2": recv2,
    "custom": custom,
    "growing": growing,
    "src": src,
}
spike_mon = {name: net.monitor(pop, "spike") for name, pop in POPS.items()}
traces = {
    "curr": net.monitor(curr, "v"),
    "uni_post": net.monitor(uni_post, ["v", "g_exc"]),
    "nonuni_post": net.monitor(nonuni_post, ["v", "g_exc"]),
    "recv": net.monitor(recv, ["g_exc", "g_inh", "v"]),
    "recv2": net.monitor(recv2, "g_exc"),
    "lif": net.monitor(lif, "r"),
    "growing": net.monitor(growing, ["v", "tr"]),
    "custom": net.monitor(custom, ["v", "u", "z", "since", "frozen", "n", "stamp", "g_exc"]),
}
out.compile(net, "lif")
lif.refractory = np.array([0.0, 0.1, 0.3, 0.5, 1.25, 2.0])
curr.compute_firing_rate(5.05)  # int(5.05/0.1) = 50 steps
traces["curr_r"] = net.monitor(curr, "r")
net.simulate(60.0)
uni.delay = 2.04
nonuni.delay = [[0.5, 0.2, 1.9, 4.2], [0.1, 2.2, 3.3, 0.6], [1.0, 0.1, 0.7, 4.9]]
relay.delay = 1.23
inst_non.delay = [[0.1, 0.1, 0.1, 0.1, 0.1], [3.0, 2.0, 1.0, 0.5, 0.3]]
net.simulate(60.0)


def collect(tag):
    for name, m in spike_mon.items():
        out.same(f"{tag}.spikes.{name}", trains(m.get("spike")))
    for name, m in traces.items():
        data = m.get()
        for var in sorted(data):
            out.value(f"{tag}.trace.{name}.{var}", data[var])
    for name in ("curr", "cond", "lif", "custom"):
        out.value(f"{tag}.final.{name}.v", POPS[name].v)


collect("run1")
out.value("run1.uni.delay", uni.delay)
out.value("run1.nonuni.delay", nonuni.delay)
out.value("run1.inst_non.delay", inst_non.delay)
out.value("run1.relay.delay", relay.delay)
out.value("run1.custom.u", custom.u)
out.value("run1.cond.g_exc", cond.g_exc)
# new times take effect at the reset in both (the reference keeps its old next-spike pointers until then)
src.spike_times = [[3.0, 10.0], [], [1.0, 2.0, 3.0, 30.0], [15.5], [0.3, 25.0, 25.04]]
net.reset()
net.simulate(40.0)
collect("run2")

# ---------------------------------------------------------------- Izhikevich networks, dt = 1 and 0.5
N_IZH = 40
local = np.random.default_rng(1234)
mask = local.random((N_IZH, N_IZH)) < 0.2
np.fill_diagonal(mask, False)
w_exc = np.where(mask & (np.arange(N_IZH) < 32)[None, :], local.uniform(0.0, 6.0, (N_IZH, N_IZH)), None)
w_inh = np.where(mask & (np.arange(N_IZH) >= 32)[None, :], local.uniform(0.0, 8.0, (N_IZH, N_IZH)), None)
i_offset = local.uniform(2.0, 12.0, N_IZH)
params_a = np.where(np.arange(N_IZH) < 32, 0.02, 0.1)
params_d = np.where(np.arange(N_IZH) < 32, 8.0, 2.0)

for tag, dt in (("izh1", 1.0), ("izh05", 0.5)):
    inet = ann.Network(dt=dt, seed=11)
    izh = inet.create(N_IZH, ann.Izhikevich(), name="izh")
    izh.i_offset = i_offset
    izh.a = params_a
    izh.d = params_d
    inet.connect(izh, izh, "exc", name="exc").from_matrix(w_exc.tolist())
    inet.connect(izh, izh, "inh", name="inh").from_matrix(w_inh.tolist(), delays=2.0)
    ms = inet.monitor(izh, "spike")
    mv = inet.monitor(izh[:6], "v")
    out.compile(inet, tag)
    inet.simulate(300.0)
    out.same(f"{tag}.spikes", trains(ms.get("spike")))
    # ANNarchy evaluates dv/dt as ``I - u + 0.04*pow(v, 2) + 5.0*v + 140.0`` (SymPy order): one-ulp
    # differences per step that this dynamics amplifies (to ~1e-5 in 300 ms); spike times stay identical
    out.value(f"{tag}.v", mv.get("v"), rtol=1e-4)
    out.value(f"{tag}.final.u", izh.u, rtol=1e-4)

out.emit()
