"""Spike monitors and their analysis helpers on deterministic spike trains (API §9, SEMANTICS §13).

Network ``dt1`` (dt = 1 ms): a ``SpikeSourceArray`` of 8 neurons (one silent, one spiking once at step 0,
bursts, regular trains) and 5 counter neurons firing every 3, 4, 5, 7 and 11 steps. Monitors on 'spike' of
the population, of a view, of a population paused and resumed, of a population with ``start=False`` started
later, and one also recording ``v``. Compared: the dicts (one key per recorded rank, absolute steps),
``times()``, and every monitor method -- ``raster_plot``, ``histogram`` (default bins, ``bins``,
``per_neuron``, ``recording_window``), ``inter_spike_interval`` (flat, ``per_neuron``, ``ranks``),
``coefficient_of_variation``, ``mean_fr``, ``smoothed_rate`` and ``population_rate`` with and without
``smooth`` -- and the same offline helpers (ANNarchy: module ``ANNarchy.core.Monitor``; nnc:
``nnc.api.monitor``).

Network ``dt05`` (dt = 0.5 ms): the same kind of trains; the helpers that use the network's dt in both
(``raster_plot``, ``histogram``, ISIs, CV, ``mean_fr``) and the offline helpers given ``dt=0.5``.

Not compared, deliberately (run.py lists them): ``smoothed_rate``/``population_rate`` at dt != 1 (the
reference uses the global dt 1.0), intervals starting at or before the segment start in ``smoothed_rate``
(the reference skips them), ``population_rate`` of data with spikes before the last segment (the reference
wraps negative indices), offline ``mean_fr`` with an explicit ``duration`` at dt != 1 (steps in the
reference, ms in nnc), ``times()`` of the ``start=False`` monitor (SEMANTICS §13 difference listed in run.py).
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import Results

out = Results("spike_monitors", rtol=1e-12)
ann = out.ann
if out.sim == "ANNarchy":
    from ANNarchy.core import Monitor as offline  # noqa: N813 (the module, like nnc.api.monitor)
else:
    from nnc.api import monitor as offline

# the reference computes the low-pass factor dt/smooth in float32 (API §9 (?))
SMOOTH_RTOL = 1e-6


def trains(spikes):
    """A ``{rank: [steps]}`` dict as ``[[rank, [steps...]], ...]`` in the dict's own key order."""
    return [[int(r), [float(s) for s in spikes[r]]] for r in spikes]


def analyse(tag, m, d, rates=True):
    """Every monitor method on the spike dict ``d`` of monitor ``m``."""
    out.same(f"{tag}.dict", trains(d))
    t, n = m.raster_plot(d)
    out.value(f"{tag}.raster.t", t)
    out.same(f"{tag}.raster.n", [int(x) for x in n])
    out.same(f"{tag}.histogram", m.histogram(d))
    out.same(f"{tag}.histogram.bins", m.histogram(d, bins=5.0))
    out.same(f"{tag}.histogram.per_neuron", m.histogram(d, bins=4.0, per_neuron=True))
    out.same(f"{tag}.histogram.window", m.histogram(d, bins=3.0, recording_window=(0, 70)))
    out.value(f"{tag}.isi", m.inter_spike_interval(d))
    out.same(f"{tag}.isi.per_neuron", trains(m.inter_spike_interval(d, per_neuron=True)))
    out.value(f"{tag}.isi.ranks", m.inter_spike_interval(d, ranks=[3, 5, 6]))
    out.value(f"{tag}.cv", m.coefficient_of_variation(d))
    out.value(f"{tag}.cv.ranks", m.coefficient_of_variation(d, ranks=[3, 4]))
    out.value(f"{tag}.mean_fr", m.mean_fr(d))
    if rates:
        out.value(f"{tag}.smoothed_rate", m.smoothed_rate(d))
        out.value(f"{tag}.smoothed_rate.smooth", m.smoothed_rate(d, smooth=5.0), rtol=SMOOTH_RTOL)
        out.value(f"{tag}.population_rate", m.population_rate(d))
        out.value(f"{tag}.population_rate.smooth", m.population_rate(d, smooth=4.0), rtol=SMOOTH_RTOL)
        out.value(f"{tag}.population_rate.smooth_dt", m.population_rate(d, smooth=1.0))


def analyse_offline(tag, d, dt, rates=True):
    """The module-level helpers on the spike dict ``d``."""
    t, n = offline.raster_plot(d, dt=dt)
    out.value(f"{tag}.raster.t", t)
    out.same(f"{tag}.raster.n", [int(x) for x in n])
    out.same(f"{tag}.histogram", offline.histogram(d, dt=dt))
    out.same(f"{tag}.histogram.bins", offline.histogram(d, bins=5.0, dt=dt))
    out.same(f"{tag}.histogram.per_neuron", offline.histogram(d, bins=2.0, per_neuron=True, dt=dt))
    out.same(f"{tag}.histogram.window", offline.histogram(d, recording_window=(0, 80), dt=dt))
    out.value(f"{tag}.isi", offline.inter_spike_interval(d, dt=dt))
    out.same(f"{tag}.isi.per_neuron", trains(offline.inter_spike_interval(d, per_neuron=True, dt=dt)))
    out.value(f"{tag}.cv", offline.coefficient_of_variation(d, [3, 4, 5, 6, 7], dt=dt))
    out.value(f"{tag}.mean_fr", offline.mean_fr(d, dt=dt))
    if rates:
        out.value(f"{tag}.mean_fr.duration", offline.mean_fr(d, duration=100.0, dt=dt))
        out.value(f"{tag}.smoothed_rate", offline.smoothed_rate(d))
        out.value(f"{tag}.smoothed_rate.smooth", offline.smoothed_rate(d, 10.0), rtol=SMOOTH_RTOL)
        out.value(f"{tag}.population_rate", offline.population_rate(d))
        out.value(f"{tag}.population_rate.smooth", offline.population_rate(d, 3.0), rtol=SMOOTH_RTOL)


Counter = ann.Neuron(
    parameters=dict(period=ann.Parameter(3.0, locality="local")),
    equations=["v = v + 1"],
    spike="v >= period",
    reset="v = 0",
)

TIMES = [
    [0.0],
    [],
    [5.0],
    [3.0, 10.0, 17.0, 30.0, 31.0, 45.0],
    [2.0, 4.0, 8.0, 16.0, 32.0],
    [7.0, 14.0, 21.0, 28.0, 35.0, 42.0, 49.0],
    [1.0, 2.0, 3.0, 20.0, 40.0],
    [12.0, 13.0, 25.0, 38.0, 49.0],
]

# ---------------------------------------------------------------- dt = 1
net = ann.Network(dt=1.0, seed=3)
src = net.create(ann.SpikeSourceArray(spike_times=TIMES, name="src"))
reg = net.create(5, Counter, name="reg")
reg.period = [3.0, 4.0, 5.0, 7.0, 11.0]
mons = {
    "all": net.monitor(src, "spike"),
    "view": net.monitor(src[2:7], "spike"),
    "paused": net.monitor(src, "spike"),
    "late": net.monitor(reg, "spike", start=False),
    "reg": net.monitor(reg, ["spike", "v"]),
    "none": net.monitor(src, "spike"),
    "period": net.monitor(reg, ["spike", "v"], period=3.0),  # the period does not apply to spikes
}
out.compile(net, "dt1")
net.simulate(15.0)
mons["paused"].pause()
mons["late"].start()
net.simulate(10.0)
mons["paused"].resume()
net.simulate(26.0)

for name in ("all", "view", "reg"):
    m = mons[name]
    data = m.get(["spike", "v"] if name == "reg" else "spike")
    d = data["spike"] if name == "reg" else data
    if name == "reg":
        out.value("reg.v", data["v"])
    out.same(f"{name}.times", m.times())
    analyse(name, m, d)
data = mons["period"].get()
out.same("period.dict", trains(data["spike"]))
out.value("period.v", data["v"])
out.same("period.times", mons["period"].times())
# paused: spikes before the last segment (population_rate/smoothed_rate differ by design)
d = mons["paused"].get("spike")
out.same("paused.times", mons["paused"].times())
analyse("paused", mons["paused"], d, rates=False)
d = mons["late"].get("spike")
out.same("late.dict", trains(d))
# spikes=None: the methods call get('spike') themselves
out.value("none.population_rate", mons["none"].population_rate())
out.same("none.times", mons["none"].times())
out.same("none.histogram_after", mons["none"].histogram({0: [1, 3], 1: [2]}))

out.same("all.empty_after_get", trains(mons["all"].get("spike")))
src.spike_times = TIMES
net.reset()
net.simulate(51.0)
analyse_offline("offline", mons["all"].get("spike"), 1.0)
out.same("after_reset.view", trains(mons["view"].get("spike")))

# ---------------------------------------------------------------- dt = 0.5
net2 = ann.Network(dt=0.5, seed=4)
TIMES2 = [
    [0.0],
    [0.5, 1.0, 7.5, 7.6, 20.0],
    [],
    [3.0, 4.5, 6.0, 9.0, 12.25, 30.0],
    [2.0],
    [1.5, 11.0, 21.5, 33.0],
    [0.5, 1.5, 2.5, 3.5, 4.5],
    [5.0, 15.0, 25.0, 35.0],
]
src2 = net2.create(ann.SpikeSourceArray(spike_times=TIMES2, name="src2"))
m2 = net2.monitor(src2, "spike")
m2v = net2.monitor(src2[1:6], "spike")
out.compile(net2, "dt05")
net2.simulate(40.0)
d2 = m2.get("spike")
out.same("dt05.times", m2.times())
analyse("dt05", m2, d2, rates=False)
d2v = m2v.get("spike")
analyse("dt05.view", m2v, d2v, rates=False)
analyse_offline("dt05.offline", d2, 0.5, rates=False)
# an explicit duration: the reference divides by duration*dt (duration in steps)
out.value("dt05.offline.mean_fr.duration", offline.mean_fr(d2, duration=80.0, dt=0.5))
try:  # the reference's offline helper also has per_neuron (a dict rank -> CV)
    cv = offline.coefficient_of_variation(d2, per_neuron=True, dt=0.5)
    out.same("dt05.offline.cv.per_neuron", [[int(r), float(v)] for r, v in cv.items()])
except TypeError as e:
    out.same("dt05.offline.cv.per_neuron", f"TypeError: {e}")
out.emit()
