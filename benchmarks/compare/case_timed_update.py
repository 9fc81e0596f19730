"""TimedArray between runs (API.md §10, SEMANTICS §10, §12): ``update()`` with and without reset, ``rates``,
``schedule`` and ``period`` set after compile, ``disable()``/``enable()``, ``net.reset()`` restoring the
initial rows, a 2-D geometry with dt = 0.1 and ``rint`` schedules, transmission with a 3-step delay.

Every ``rates`` assignment happens where the next block is due or already shown (the reference reads row
``b - 1`` otherwise, which is undefined at block 0).
"""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import Results

out = Results("timed_update")
ann = out.ann

Sum = ann.Neuron(equations=["r = sum(exc)"])
rows = np.eye(10) * np.arange(1, 11)[:, None]
grid = np.arange(6 * 2 * 3, dtype=float).reshape(6, 2, 3) / 7.0

net = ann.Network(dt=0.1, seed=3)
plane = net.create(ann.TimedArray(rates=grid, schedule=0.25, period=1.3, name="plane"))
delayed = net.create(ann.TimedArray(rates=rows, name="delayed"))
post = net.create(10, Sum, name="post")
net.connect(delayed, post, "exc").one_to_one(weights=1.0, delays=0.3)
empty = net.create(ann.TimedArray(geometry=10, name="empty"))
paused = net.create(ann.TimedArray(rates=rows[:3], schedule=[0.0, 0.5, 0.7], name="paused"))
pops = {"plane": plane, "delayed": delayed, "post": post, "empty": empty, "paused": paused}
mons = {name: net.monitor(pop, "r") for name, pop in pops.items()}
out.compile(net)

net.simulate(2.0)
plane.update(grid[::-1] * 2.0, reset=False)
delayed.update(rows * 2.0, schedule=0.2)
empty.rates = rows
paused.disable()
net.simulate(1.0)
paused.enable()
plane.period = 0.5
paused.schedule = [0.0, 3.1]
net.simulate(2.0)
out.value("after_run.plane.schedule", plane.schedule)
out.value("after_run.plane.period", plane.period)
out.value("after_run.delayed.schedule", delayed.schedule)
out.value("after_run.delayed.rates", np.asarray(delayed.rates))
for name, m in mons.items():
    out.value(f"{name}.r", m.get("r"))
net.reset()
net.simulate(1.5)
for name, m in mons.items():
    out.value(f"reset.{name}.r", m.get("r"))
out.value("reset.delayed.schedule", delayed.schedule)
out.value("reset.delayed.rates", np.asarray(delayed.rates))
out.value("reset.paused.schedule", paused.schedule)
out.emit()
