"""BOLD monitors (API.md §12, MODELS.md §4): the balloon models, scale factors and baselines.

Two populations with rates ``1 + sin(f·t/37)`` (per-neuron ``f``) and ``0.5 + 0.001·t``; four BOLD
monitors: ``balloon_RN`` (the default) with its internal variables recorded and started at creation,
``balloon_CL`` with ``scale_factor=[0.3, 0.7]``, ``balloon_maith2021`` with a 40 ms baseline
(``normalize_input``) started after 20 ms, ``balloon_two_inputs`` with both inputs mapped, and a
``boldmonitor_from_slices`` over three (overlapping) slices of ``a``, one with a 40 ms baseline. 400 ms.

``start=True`` with ``normalize_input`` is not compared: the reference then never starts the baseline.
"""

import importlib
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import Results

out = Results("bold", rtol=1e-10)
ann = out.ann
bold = importlib.import_module(f"{out.sim}.extensions.bold")

net = ann.Network(dt=1.0, seed=1)
a = net.create(5, ann.Neuron(parameters="f = 1.0", equations="r = 1 + sin(f * t / 37.0)"), name="a")
a.f = np.linspace(0.5, 2.0, 5)
b = net.create(3, ann.Neuron(equations="r = 0.5 + 0.001 * t"), name="b")
rn = net.boldmonitor(populations=[a, b], recorded_variables=["I_CBF", "s", "f_in", "q", "v", "E"], start=True)
cl = net.boldmonitor(populations=[a, b], bold_model=bold.balloon_CL(), scale_factor=[0.3, 0.7], start=True)
maith = net.boldmonitor(
    populations=[a, b], bold_model=bold.balloon_maith2021, normalize_input=40, recorded_variables="I_CBF"
)
two = net.boldmonitor(
    populations=[a],
    bold_model=bold.balloon_two_inputs,
    mapping={"I_CBF": "r", "I_CMRO2": "r"},
    recorded_variables=["I_CBF", "I_CMRO2", "f_out"],
    start=True,
)
slices = net.boldmonitor_from_slices(
    a, slices=[[0, 1, 2], [3, 4], [1, 4]], recorded_variables=["I_CBF", "BOLD"], start=True
)
slices_base = net.boldmonitor_from_slices(
    a, slices=[[0, 4], [2, 3]], bold_model=bold.balloon_RL, normalize_input=40, recorded_variables="I_CBF"
)
out.compile(net)
net.simulate(20.0)
maith.start()
slices_base.start()
net.simulate(380.0)
for name in ("BOLD", "I_CBF", "s", "f_in", "q", "v", "E"):
    out.value(f"rn.{name}", rn.get(name))
out.value("cl.BOLD", cl.get("BOLD"))
out.value("maith.BOLD", maith.get("BOLD"))
out.value("maith.I_CBF", maith.get("I_CBF"))
for name in ("BOLD", "I_CBF", "I_CMRO2", "f_out"):
    out.value(f"two.{name}", two.get(name))
for name in ("BOLD", "I_CBF"):
    out.value(f"slices.{name}", slices.get(name))
    out.value(f"slices_base.{name}", slices_base.get(name))
out.emit()
