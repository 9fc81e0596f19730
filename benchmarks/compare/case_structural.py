"""Structural plasticity with deterministic rules (SEMANTICS.md §16): creating and pruning conditions
without probability, ``Dendrite.create_synapse(s)`` / ``prune_synapse(s)`` between runs, rules started
with a period from a later step and stopped again, a projection monitor and a dendrite monitor across
the changes.

The pre rates follow sines, the post rates are fixed; ``creating`` adds a synapse where ``pre.r * post.r``
is large, ``pruning`` removes those older than a few steps whose pre neuron is slow. Recorded: the pre
ranks, weights and ages after each run, the post inputs every step, the monitors.

The rules start at step 6, a multiple of both periods: the reference takes the phase of a rule from the
step of network 0 (``Global.get_current_step()`` without ``net_id``; 0 for a ``Network`` of the new API),
nnc from the step of the call in the rule's own network (SEMANTICS.md §16), so they differ otherwise.

Rate-coded only: ANNarchy 5.0.4.1 cannot compile structural plasticity on a spiking projection (its
generated ``_add_at_position`` uses undeclared ``post``, ``pre`` and ``idx``; measured), so nnc's spiking
rules are checked against a NumPy model in tests/e2e/test_structural.py.
"""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import Results

out = Results("structural")
ann = out.ann

# ---------------------------------------------------------------------------------------------- rate
Input = ann.Neuron(parameters="omega = 0.3\nphase = 0.0", equations="r = 0.5 + 0.5 * sin(omega * t + phase)")
Output = ann.Neuron(parameters="base = 0.5", equations="r = base\ns = sum(exc)")
Grow = ann.Synapse(
    parameters="thr = 0.55 : projection",
    equations="age = age + 1 : init = 0.0",
    creating="pre.r * post.r > thr : w = 0.1",
    pruning="(age > 4.0) and (pre.r < 0.3)",
)

net = ann.Network(dt=1.0, seed=5)
net.config(structural_plasticity=True)
inp = net.create(8, Input, name="inp")
outp = net.create(4, Output, name="outp")
proj = net.connect(inp, outp, "exc", Grow, name="grow")
proj.from_matrix(np.array([[0.5, None, 0.3, None, 0.2, None, None, 0.4]] * 4, dtype=object))
mon = net.monitor(outp, "s")
out.compile(net, "rate")
inp.omega = np.linspace(0.1, 0.8, 8)
inp.phase = np.linspace(0.0, 3.0, 8)
outp.base = [0.6, 0.8, 0.9, 1.0]
wmon = net.monitor(proj, "age", period=2.0)
amon = net.monitor(proj.dendrite(1), "age")
net.simulate(3.0)
proj.dendrite(0).create_synapse(1, w=0.7)
proj.dendrite(2).create_synapses([1, 3], weights=[0.25, 0.35])
proj.dendrite(3).prune_synapse(0)
net.simulate(3.0)  # the rules start at step 6, a multiple of both periods (see the docstring)
out.same("rate.user.pre_ranks", proj.pre_ranks)
out.value("rate.user.w", proj.w)
out.value("rate.user.age", proj.age)
proj.start_creating(period=3.0)
proj.start_pruning(period=2.0)
for run in range(3):
    net.simulate(7.0)
    out.same(f"rate.run{run}.pre_ranks", proj.pre_ranks)
    out.value(f"rate.run{run}.w", proj.w)
    out.value(f"rate.run{run}.age", proj.age)
proj.stop_creating()
net.simulate(6.0)
out.same("rate.stopped.pre_ranks", proj.pre_ranks)
out.value("rate.stopped.age", proj.age)
out.value("rate.s", mon.get("s"))
out.value("rate.dendrite1.age", [np.asarray(x, dtype=float).reshape(-1).tolist() for x in amon.get("age")])
out.value("rate.ages", [[list(map(float, d)) for d in step] for step in wmon.get("age")])

out.emit()
