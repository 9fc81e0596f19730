"""Run control: InputArray, callbacks, simulate_until, enable/disable, projection flags, storage formats.

SEMANTICS §10 (InputArray set from Python), API §15 (``@every`` with
period/offset/wait; the run length truncates with callbacks), API §2 ``simulate_until`` with a stop
condition (returns ``n_steps*dt``: dt = 1 here, where both agree), ``disable()``/``enable()`` of a
population, the projection flags ``transmission`` and ``update``, ``net.step()``, and the storage-format
hints ``dense``/``csr``/``ell``/``lil`` on identical projections (results must not depend on them).
"""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import Results

out = Results("control")
ann = out.ann

Sum = ann.Neuron(equations=["r = sum(exc)"])
Count = ann.Neuron(
    parameters=dict(limit=ann.Parameter(5.0, locality="local")), equations=["r += 1 + sum(exc)", "c = t"]
)
Leaky = ann.Neuron(parameters=dict(tau=5.0), equations=["tau * dv/dt + v = sum(exc) : init=0.5", "r = v"])

net = ann.Network(dt=1.0, seed=13)
rng = net.default_rng
arr = net.create(ann.InputArray(geometry=6, name="arr"))
outs = {"arr": net.create(6, Sum, name="out_arr")}
net.connect(arr, outs["arr"], "exc").one_to_one(weights=1.0)
counter = net.create(4, Count, name="counter", stop_condition="r > limit : any")
counter.limit = [40.0, 50.0, 35.0, 60.0]
leaky = net.create(6, Leaky, name="leaky")
plastic = net.connect(arr, leaky, "exc", ann.Hebb(eta=0.05), name="plastic")
plastic.all_to_all(weights=ann.Uniform(0.0, 0.3, rng=rng))
formats = {}
W = np.random.default_rng(2).uniform(-1.0, 1.0, (6, 6))
W[W < -0.3] = np.nan
for fmt in ("lil", "csr", "dense", "ell"):
    post = net.create(6, Leaky, name=f"fmt_{fmt}")
    matrix = [[None if np.isnan(x) else x for x in row] for row in W]
    net.connect(leaky, post, "exc", name=f"p_{fmt}").from_matrix(matrix, storage_format=fmt)
    formats[fmt] = net.monitor(post, "r")

calls = []


@ann.every(network=net, period=3.0, offset=1.0, wait=2.0)
def drive(n):
    arr.r = np.sin(np.arange(6) * 0.7 + n)
    calls.append((n, int(net.current_step)))


mons = {name: net.monitor(pop, "r") for name, pop in outs.items()}
m_counter = net.monitor(counter, ["r", "c"])
m_leaky = net.monitor(leaky, "r")
out.compile(net)
arr.r = np.linspace(0.0, 1.0, 6)
net.simulate(10.5)  # callbacks active: int(10.5) = 10 steps
out.value("time_after_callbacks", net.time)
net.disable_callbacks()
net.simulate(2.5)  # ceil(2.5) = 3 steps
out.value("time_without_callbacks", net.time)
leaky.disable()
net.simulate(3.0)
leaky.enable()
plastic.transmission = False
net.simulate(3.0)
plastic.transmission = True
plastic.update = False
net.step()
net.step()
plastic.update = True
net.simulate(4.0)
elapsed = net.simulate_until(max_duration=100.0, population=counter)
out.value("simulate_until", elapsed)
out.same("callback_calls", calls)
for name, m in mons.items():
    out.value(f"{name}.r", m.get("r"))
data = m_counter.get(["r", "c"], force_dict=True)
out.value("counter.r", data["r"])
out.value("counter.c", data["c"])
out.value("leaky.r", m_leaky.get("r"))
out.value("plastic.w", plastic.w)
for fmt, m in formats.items():
    out.value(f"format_{fmt}.r", m.get("r"))
out.emit()
