"""Spike2RatePopulation (window and isi modes) against a NumPy transcription of the reference's update
loops, Rate2SpikePopulation's firing rates, every engine and thread count alike, and the errors."""

from __future__ import annotations

import numpy as np
import pytest

import nnc as ann
from nnc.diagnostics import ModelError
from nnc.extensions.hybrid import Rate2SpikePopulation, Spike2RatePopulation

RUNS = [("interp", 1), ("llvm", 1), ("llvm", 2)]


def _window_model(spikes: np.ndarray, dt: float, window: float, scaling: float, smooth: float) -> np.ndarray:
    """The reference's window loop: at step t, count the spikes of steps t-1-int(window/dt) .. t-1."""
    steps, n = spikes.shape
    r, out = np.zeros(n), np.zeros((steps, n))
    w = int(window / dt)
    for t in range(steps):
        nb = spikes[max(0, t - 1 - w) : t].sum(axis=0)
        r = r + dt * (1000.0 / scaling / window * nb - r) / smooth
        out[t] = r
    return out


def _isi_model(spikes: np.ndarray, dt: float, cut: float, scaling: float, smooth: float) -> np.ndarray:
    """The reference's isi loop (last spike, isi and support in steps)."""
    steps, n = spikes.shape
    last, isi, support = np.full(n, -10000), np.full(n, 10000.0), np.full(n, 10000.0)
    r, out = np.zeros(n), np.zeros((steps, n))
    for t in range(steps):
        for i in range(n):
            if t > 0 and spikes[t - 1, i]:
                isi[i] = support[i] = float(t - 1 - last[i])
                last[i] = t - 1
            elif t - last[i] <= isi[i]:
                pass
            elif t - last[i] <= cut * isi[i]:
                support[i] += 1.0
            else:
                support[i] = 10000.0
        r = r + dt * (1000.0 / scaling / support / dt - r) / smooth
        out[t] = r
    return out


def _spike2rate(engine: str, threads: int, dt: float = 0.5):
    net = ann.Network(dt=dt, seed=3)
    net.config(engine=engine, num_threads=threads)
    rng = np.random.default_rng(1)
    times = [sorted(set(np.round(rng.uniform(0, 150, 12) / dt).astype(int) * dt)) for _ in range(5)]
    src = net.create(ann.SpikeSourceArray(spike_times=[[float(x) for x in ts] for ts in times]))
    win = net.create(Spike2RatePopulation(src, window=20.0, scaling=10.0, smooth=5.0))
    isi = net.create(Spike2RatePopulation(src, mode="isi", cut=2.0, scaling=2.0, smooth=3.0))
    ms, mw, mi = net.monitor(src, "spike"), net.monitor(win, "r"), net.monitor(isi, "r")
    net.compile()
    net.simulate(200.0)
    spikes = np.zeros((round(200.0 / dt), 5))
    for i, steps in ms.get("spike").items():
        spikes[np.asarray(steps, dtype=int), i] = 1.0
    return spikes, mw.get("r"), mi.get("r")


def test_spike2rate_follows_the_reference_loops(engine):
    spikes, win, isi = _spike2rate(engine, 1)
    assert spikes.sum() > 40
    np.testing.assert_allclose(win, _window_model(spikes, 0.5, 20.0, 10.0, 5.0), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(isi, _isi_model(spikes, 0.5, 2.0, 2.0, 3.0), rtol=1e-12, atol=1e-12)


def test_spike2rate_engines_and_threads_agree_bit_for_bit():
    runs = [_spike2rate(e, n)[1:] for e, n in RUNS]
    for other in runs[1:]:
        for x, y in zip(runs[0], other, strict=True):
            np.testing.assert_array_equal(x, y)


def test_rate2spike_fires_at_the_scaled_rates():
    net = ann.Network(dt=1.0, seed=5)
    rates = net.create(4, ann.Neuron(parameters="r = 0.0"))
    out = net.create(Rate2SpikePopulation(rates, scaling=10.0))
    refr = net.create(Rate2SpikePopulation(rates, scaling=10.0, refractory=5.0))
    m, mr = net.monitor(out, "spike"), net.monitor(refr, "spike")
    net.compile()
    rates.r = [0.0, 2.0, 5.0, 50.0]  # x 10: 0, 20, 50 and 500 Hz
    net.simulate(20000.0)
    trains, refr_trains = m.get("spike"), mr.get("spike")
    counts = np.array([len(trains[i]) for i in range(4)]) / 20.0
    assert counts[0] == 0
    np.testing.assert_allclose(counts[1:3], [20.0, 50.0], rtol=0.1)
    assert counts[3] == pytest.approx(500.0, rel=0.05)
    # refractory 5 ms after each spike: the rate of a dead-time Bernoulli process, 1 / (1/p + 5) per step
    p = 0.5
    refr_counts = np.array([len(refr_trains[i]) for i in range(4)]) / 20.0
    assert refr_counts[3] == pytest.approx(1000.0 / (1.0 / p + 5.0), rel=0.05)


def test_engines_and_threads_give_the_same_spikes():
    trains = []
    for e, n in RUNS:
        net = ann.Network(dt=1.0, seed=5)
        net.config(engine=e, num_threads=n)
        rates = net.create(50, ann.Neuron(parameters="r = 20.0"))
        out = net.create(Rate2SpikePopulation(rates))
        m = net.monitor(out, "spike")
        net.compile()
        net.simulate(300.0)
        trains.append(m.get("spike"))
    assert sum(len(v) for v in trains[0].values()) > 100
    for other in trains[1:]:
        assert other == trains[0]


def test_errors():
    net = ann.Network(dt=1.0, seed=1)
    rate = net.create(3, ann.Neuron(parameters="r = 1.0"))
    spiking = net.create(ann.SpikeSourceArray(spike_times=[[1.0]] * 3))
    with pytest.raises(ModelError, match="must contain spiking neurons"):
        Spike2RatePopulation(rate)
    with pytest.raises(ModelError, match="must contain rate-coded neurons"):
        Rate2SpikePopulation(spiking)
    with pytest.raises(ModelError, match="Unknown method"):
        Spike2RatePopulation(spiking, mode="other")
    with pytest.raises(NotImplementedError, match="adaptive"):
        Spike2RatePopulation(spiking, mode="adaptive")
    with pytest.raises(ModelError, match="at least dt"):
        Spike2RatePopulation(spiking, window=0.5)
