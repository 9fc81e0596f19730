"""Monitors (period, offset, start, pause/resume, views, sums) and reset() (SEMANTICS §12, §13; API §9).

dt = 0.5 ms. A 2-D population integrates its input and carries ``c = t``; monitors record it every step,
with ``period=1.5, period_offset=0.5``, from a later ``start()``, across ``pause()``/``resume()``, on a
view, created after compile, and ``sum(exc)``. Then ``net.reset()`` (populations and monitors, default
rng reseeded), ``pop.reset()``, ``reset(projections=True)`` (``w`` kept, other synaptic attributes restored)
and ``reset(synapses=True)`` (connectors re-run from the reseeded default rng) are each followed by more
steps. Compared: every recording, ``times()`` of the monitors, and the state after each phase.
"""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import Results

out = Results("monitors")
ann = out.ann
DT = 0.5

Source = ann.Neuron(
    parameters=dict(omega=ann.Parameter(0.2, locality="local")), equations=["r = 0.5 + 0.5 * sin(omega * t)"]
)
Integrator = ann.Neuron(
    parameters=dict(tau=4.0, b=ann.Parameter(0.0, locality="local")),
    equations=["tau * dv/dt + v = sum(exc) + b : init=0.1", "c = t", "r = tanh(v)"],
)
Trace = ann.Synapse(
    parameters=dict(tau=10.0),
    equations=["tau * dx/dt = pre.r - x : init=0.2", "dw/dt = 0.01 * pre.r * post.r"],
)

net = ann.Network(dt=DT, seed=31)
rng = net.default_rng
src = net.create(8, Source, name="src")
pop = net.create((3, 4), Integrator, name="pop")
src.omega = np.linspace(0.1, 0.5, src.size)
pop.b = np.linspace(-0.5, 0.5, pop.size)
pop.v = np.linspace(0.0, 1.0, pop.size)
proj = net.connect(src, pop, "exc", Trace, name="proj")
proj.fixed_probability(0.5, weights=ann.Uniform(0.0, 0.3, rng=rng))
mons = {
    "every": net.monitor(pop, ["v", "c", "sum(exc)"]),
    "period": net.monitor(pop, ["c", "v"], period=1.5, period_offset=0.5),
    "late_start": net.monitor(pop, "c", start=False),
    "paused": net.monitor(pop, ["c", "r"]),
    "view": net.monitor(pop[2:9], ["v", "sum(exc)"]),
    "src": net.monitor(src, "r", period=2.0),
}
out.compile(net)
net.simulate(3.0)
mons["late_start"].start()
mons["paused"].pause()
mons["after"] = net.monitor(pop, "c", period=1.0)
net.simulate(2.5)
mons["paused"].resume()
net.simulate(4.0)


def collect(tag):
    for name, m in mons.items():
        variables = list(m.variables)
        data = m.get(variables, reshape=(name != "every"), force_dict=True)
        for v in variables:
            out.value(f"{tag}.{name}.{v}", data[v])
        out.same(f"{tag}.{name}.shape", {v: list(np.shape(data[v])) for v in variables})


collect("first")
for name, m in mons.items():  # the reference's times() keeps the creation step after a late start()
    if name != "late_start":
        out.same(f"times.{name}", m.times())
out.value("first.w", proj.w)
out.value("first.x", proj.x)
w_learned = proj.w

net.reset()
net.simulate(6.0)
collect("after_reset")
pop.v = 3.0
pop.reset()
net.simulate(2.0)
collect("pop_reset")
net.reset(projections=True)
out.value("proj_reset.x", proj.x)
out.value("proj_reset.w", proj.w)
net.simulate(3.0)
collect("proj_reset")
net.reset(synapses=True)
out.same("synapses_reset.pre_ranks", [[int(x) for x in row] for row in proj.pre_ranks])
out.value("synapses_reset.w", proj.w)
net.simulate(3.0)
collect("synapses_reset")
out.value("final.v", pop.v)
out.value("final.time", net.time)
out.emit()
