"""TimedArray (SEMANTICS §10, §19 #13): schedules, periods, ``update()``-free runs and ``reset()``.

Ten one-hot rows (row i has ``i+1`` at position i) feed ``r = sum(exc)`` one-to-one. Four arrays: the
default schedule (one row per step), ``schedule=2.0``, ``schedule=[0, 3, 4, 8]`` with ``period=11``, and
``schedule=2.0, period=20.0``; 30 steps, a ``net.reset()`` and 12 more steps. Recorded every step.
"""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import Results

out = Results("timed")
ann = out.ann

Sum = ann.Neuron(equations=["r = sum(exc)"])
rows = np.eye(10) * np.arange(1, 11)[:, None]
variants = {
    "default": dict(),
    "schedule": dict(schedule=2.0),
    "list_period": dict(schedule=[0.0, 3.0, 4.0, 8.0], period=11.0),
    "schedule_period": dict(schedule=2.0, period=20.0),
}
net = ann.Network(dt=1.0, seed=1)
mons = {}
for name, kwargs in variants.items():
    data = rows[:4] if name == "list_period" else rows
    timed = net.create(ann.TimedArray(rates=data, name=name, **kwargs))
    post = net.create(10, Sum, name=f"out_{name}")
    net.connect(timed, post, "exc").one_to_one(weights=1.0)
    mons[name] = (net.monitor(timed, "r"), net.monitor(post, "r"))
out.compile(net)
net.simulate(30.0)
net.reset()
net.simulate(12.0)
for name, (m_in, m_out) in mons.items():
    out.value(f"{name}.r", m_in.get("r"))
    out.value(f"{name}.out", m_out.get("r"))
out.emit()
