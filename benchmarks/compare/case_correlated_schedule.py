"""HomogeneousCorrelatedSpikeTrains with a schedule (API.md §10): the shared rate ``x`` as mu switches.

``corr = 0`` makes ``sigma = 0``, so ``x += dt·(mu - x)/tau`` is deterministic and shows exactly when each
entry takes effect: three entries at 0, 3 and 6.5 ms with a 9 ms period at dt = 0.5 (a wrap before the
last entry), 50 steps, a ``reset()`` and 8 more steps; then ``update()`` with three new entries (which
resets the population) and 12 more steps. Recorded every step (``reshape=False``: the reference cannot
reshape a global variable to the geometry).
"""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import Results

out = Results("correlated_schedule")
ann = out.ann

net = ann.Network(dt=0.5, seed=1)
pop = net.create(
    ann.HomogeneousCorrelatedSpikeTrains(
        4, rates=[10.0, 50.0, 20.0], corr=0.0, tau=5.0, schedule=[0.0, 3.0, 6.5], period=9.0
    )
)
m = net.monitor(pop, "x")
out.compile(net)
net.simulate(25.0)
out.value("run.x", np.asarray(m.get("x", reshape=False)).reshape(-1))
pop.reset()
net.simulate(4.0)
out.value("reset.x", np.asarray(m.get("x", reshape=False)).reshape(-1))
pop.update([5.0, 15.0, 25.0], 0.0, schedule=[0.0, 2.0, 4.0])
net.simulate(6.0)
out.value("update.x", np.asarray(m.get("x", reshape=False)).reshape(-1))
out.value("update.mu", pop.mu)
out.emit()
