"""Convolution and Pooling with spiking populations (as in the networks of the ANN-to-SNN converter).

Neurons whose ``mask`` jumps by 1 at each spike and decays (a deterministic spike rule: ``t`` modulo a
per-neuron period), a 3x3 ``Convolution`` with ``psp='pre.mask * w'`` and a 2x2 max ``Pooling`` of
``pre.mask`` onto integrate-and-fire populations (``dv/dt = g_exc``), the same convolution onto a
rate-coded population, and a convolution and a pooling of a rate-coded population (rates changing every
step) onto integrate-and-fire populations. 12 steps, ``g_exc``, ``r`` and ``mask`` recorded.

``Copy`` and ``Transpose`` are not compared: the reference's code for them does not compile (its
templates read protected members of the connectivity; 5.0.4.1).
"""

import importlib
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import Results

out = Results("convolution_spiking", rtol=1e-12)
ann = out.ann
conv = importlib.import_module(f"{out.sim}.extensions.convolution")

rng = np.random.default_rng(3)
Source = ann.Neuron(
    parameters="period = 3.0\nmask_tau = 5.0",
    equations="dmask/dt = -mask / mask_tau : init = 0.0\nc = modulo(t, period)",
    spike="c == 0.0",
    reset="mask += 1.0",
)
Integrator = ann.Neuron(equations="dv/dt = g_exc : init = 0.0", spike="v > 1e9", reset="")

net = ann.Network(dt=1.0, seed=1)
src = net.create((6, 6), Source, name="src")
cv = net.create((6, 6), Integrator, name="cv")
pl = net.create((3, 3), Integrator, name="pl")
net.connect(conv.Convolution(src, cv, "exc", psp="pre.mask * w")).connect_filter(rng.normal(size=(3, 3)))
net.connect(conv.Pooling(src, pl, "exc", operation="max", psp="pre.mask")).pooling(extent=(2, 2))
rate_out = net.create((6, 6), ann.Neuron(equations="r = sum(exc)"), name="rate_out")
net.connect(conv.Convolution(src, rate_out, "exc", psp="pre.mask * w")).connect_filter(
    rng.normal(size=(3, 3))
)
rin = net.create((6, 6), ann.Neuron(parameters="r = 0.0"), name="rin")
cv_r = net.create((6, 6), Integrator, name="cv_r")
pl_r = net.create((3, 3), Integrator, name="pl_r")
net.connect(conv.Convolution(rin, cv_r, "exc")).connect_filter(rng.normal(size=(3, 3)))
net.connect(conv.Pooling(rin, pl_r, "exc", operation="mean")).pooling(extent=(2, 2))
monitors = {
    name: net.monitor(p, "g_exc") for name, p in (("cv", cv), ("pl", pl), ("cv_r", cv_r), ("pl_r", pl_r))
}
rates = net.monitor(rate_out, "r")
mask = net.monitor(src, "mask")

out.compile(net)
src.period = rng.integers(2, 6, size=(6, 6)).astype(float)
for _ in range(12):
    rin.r = rng.normal(size=(6, 6))
    net.step()
for name, m in monitors.items():
    out.value(name, m.get("g_exc"))
out.value("mask", mask.get("mask"))
out.value("rate_out", rates.get("r"))
out.emit()
