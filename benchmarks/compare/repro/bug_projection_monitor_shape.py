"""nnc: a monitor on a whole projection returns an object array (T, n_dendrites) of lists.

API.md §9: the reference returns ``np.array`` of the nested lists, i.e. shape (T, n_dendrites, n_synapses)
when every dendrite has the same number of synapses.

    SIM=ANNarchy: ndarray object (4, 3, 2)
    SIM=nnc:      ndarray object (4, 3)
"""

import importlib
import os
import tempfile

SIM = os.environ.get("SIM", "nnc")
ann = importlib.import_module(SIM)
net = ann.Network()
pre = net.create(2, ann.Neuron(equations="r = t"))
post = net.create(3, ann.Neuron(equations="r = sum(exc)"))
proj = net.connect(pre, post, "exc", ann.Synapse(equations="dw/dt = 0.1"))
proj.all_to_all(weights=0.5)
m = net.monitor(proj, "w")
net.compile(directory=os.path.join(tempfile.gettempdir(), f"nnc-repro-shape-{SIM}"), silent=True)
net.simulate(4)
w = m.get("w")
print(type(w).__name__, w.dtype, w.shape)
