"""nnc: the offline spike helpers differ from ANNarchy.core.Monitor's (API.md §9).

* ``mean_fr(spikes, duration=D, dt=dt)``: the reference computes ``count/N/D/dt*1000`` (``D`` in steps, like
  the duration it derives from the data); nnc takes ``D`` in ms. Equal at dt = 1 only.
* ``coefficient_of_variation(spikes, ranks=None, per_neuron=False, dt=1.0)``: nnc has no ``per_neuron``.

    SIM=ANNarchy: 250.0 / {0: np.float64(0.2)}
    SIM=nnc:      125.0 / TypeError: ... unexpected keyword argument 'per_neuron'
"""

import os

if os.environ.get("SIM", "nnc") == "ANNarchy":
    from ANNarchy.core import Monitor as offline  # noqa: N813
else:
    from nnc.api import monitor as offline

d = {0: [0, 4, 10], 1: [2, 6]}
print(offline.mean_fr(d, duration=20.0, dt=0.5))
try:
    print(offline.coefficient_of_variation(d, per_neuron=True))
except TypeError as e:
    print("TypeError:", e)
