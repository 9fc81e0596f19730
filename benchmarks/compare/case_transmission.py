"""Rate-coded transmission: psp expressions, operations, multiple targets, delays, views (SEMANTICS §3, §5).

dt = 0.5 ms. A source of 12 rate neurons with signed sinusoidal rates feeds: one projection per operation
(``sum``, ``max``, ``min``, ``mean``) over a sparse pattern (rows without synapses stay 0); a psp reading a
synapse parameter and ``post.r``; a two-target projection (``['exc', 'inh']``; the reference's code
generator fails on target lists of rate-coded projections, so under it the script builds the equivalent
pair of projections with the same matrix) plus a single-target one on the same post population; uniform
and per-synapse delays (from distributions, changed after compile), a delayed psp reading another pre
variable; views as pre and post; and a recurrent LeakyIntegrator network with non-uniform delays.
Recorded every step: the ``sum(target)`` of every post population and ``r``; then again after a
``net.reset()`` (delay queues refilled, SEMANTICS §12).
"""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import Results

out = Results("transmission")
ann = out.ann
DT = 0.5

Source = ann.Neuron(
    parameters=dict(omega=ann.Parameter(0.1, locality="local"), phase=ann.Parameter(0.0, locality="local")),
    equations=["r = sin(omega * t + phase)", "x = cos(omega * t) + 0.5 * r"],
)
Ops = ann.Neuron(equations=["r = sum(tsum) + sum(tmax) + sum(tmin) + sum(tmean)"])
PspPost = ann.Neuron(equations=["r = 0.5 * tanh(sum(exc)) + 0.1"])
Delayed = ann.Neuron(equations=["r = sum(uni) + sum(nonuni) + sum(xdelayed) + sum(later)"])
Thresholded = ann.Synapse(parameters=dict(thr=0.1), psp="w * pos(pre.r - thr) + 0.1 * post.r")
OnX = ann.Synapse(psp="w * pre.x")

net = ann.Network(dt=DT, seed=77)
rng = net.default_rng
src = net.create(12, Source, name="src")
ops = net.create(9, Ops, name="ops")
psp_post = net.create(5, PspPost, name="psp_post")
multi = net.create(6, ann.LeakyIntegrator(tau=5.0), name="multi")
delayed = net.create(8, Delayed, name="delayed")
view_post = net.create(10, ann.LeakyIntegrator(tau=2.0, sum="sum(exc)"), name="view_post")
recurrent = net.create(
    30, ann.LeakyIntegrator(tau=10.0, sum="sum(exc) - sum(inh) + sum(in)"), name="recurrent"
)
local = np.random.default_rng(3)
src.omega = local.uniform(0.05, 0.5, src.size)
src.phase = local.uniform(0.0, 6.28, src.size)

for op in ("sum", "max", "min", "mean"):
    syn = ann.Synapse(psp="w * pre.r", operation=op)
    net.connect(src, ops, f"t{op}", syn).fixed_probability(0.3, weights=ann.Uniform(0.1, 1.0, rng=rng))
net.connect(src, psp_post, "exc", Thresholded).all_to_all(weights=ann.Normal(0.0, 0.5, rng=rng))
shape = (multi.size, src.size)
both = np.where(local.random(shape) < 0.4, local.uniform(0.0, 0.5, shape), None)
if out.sim == "ANNarchy":  # its rate-coded code generator fails on a list of targets: the equivalent pair
    net.connect(src, multi, "exc").from_matrix(both.tolist())
    net.connect(src, multi, "inh").from_matrix(both.tolist())
else:
    net.connect(src, multi, ["exc", "inh"]).from_matrix(both.tolist())
net.connect(src, multi, "exc").fixed_probability(0.5, weights=0.3)
uni = net.connect(src, delayed, "uni")
uni.fixed_number_pre(3, weights=ann.Uniform(0.5, 1.0, rng=rng), delays=2.0)
nonuni = net.connect(src, delayed, "nonuni")
nonuni.fixed_probability(0.5, weights=1.0, delays=ann.Uniform(0.5, 4.0, rng=rng))
net.connect(src, delayed, "xdelayed", OnX).all_to_all(weights=0.1, delays=3.0)
later = net.connect(src, delayed, "later")
later.one_to_one(weights=1.0, delays=1.0)
net.connect(src[3:11], view_post[2:9], "exc").all_to_all(weights=ann.Uniform(0.0, 0.4, rng=rng))
net.connect(src[0:6], view_post[5:10], "exc").one_to_one(weights=2.0, delays=1.5)
net.connect(recurrent, recurrent, "exc").fixed_probability(
    0.2, weights=ann.Uniform(0.0, 0.6, rng=rng), delays=ann.DiscreteUniform(1, 5, rng=rng)
)
net.connect(recurrent, recurrent, "inh").fixed_probability(0.2, weights=0.5, delays=2.0)
net.connect(src, recurrent, "in").fixed_number_post(6, weights=ann.Normal(0.3, 0.1, rng=rng))

RECORD = {
    "ops": ["sum(tsum)", "sum(tmax)", "sum(tmin)", "sum(tmean)", "r"],
    "psp_post": ["sum(exc)", "r"],
    "multi": ["sum(exc)", "sum(inh)", "r"],
    "delayed": ["sum(uni)", "sum(nonuni)", "sum(xdelayed)", "sum(later)"],
    "view_post": ["sum(exc)", "r"],
    "recurrent": ["r"],
}
pops = {p.name: p for p in (ops, psp_post, multi, delayed, view_post, recurrent)}
mons = {name: net.monitor(pops[name], variables) for name, variables in RECORD.items()}
out.compile(net)
net.simulate(20 * DT)
uni.delay = 3.5
nonuni.delay = [[float(d) + DT for d in row] for row in nonuni.delay]
later.delay = 2.0
net.simulate(40 * DT)
for name, variables in RECORD.items():
    data = mons[name].get(variables, force_dict=True)
    for v in variables:
        out.value(f"{name}.{v}", data[v])
src.phase = src.phase + 1.0
net.reset()  # delay queues refilled with the reset values (SEMANTICS §12), changed delays kept
net.simulate(12 * DT)
for name, variables in RECORD.items():
    data = mons[name].get(variables, force_dict=True)
    for v in variables:
        out.value(f"after_reset.{name}.{v}", data[v])
out.value("nonuni.delay", nonuni.delay)
out.value("uni.delay", uni.delay)
out.value("src.sum(none)", ops.sum("tsum"))
out.emit()
