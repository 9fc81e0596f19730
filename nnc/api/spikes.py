"""Offline analysis of recorded spikes (API.md §9): rasters, histograms, ISIs, rates.

Every function takes the ``{rank: [step, ...]}`` dictionary returned by ``monitor.get('spike')`` (absolute
steps). ``dt`` converts steps to ms. Where the recording window is not given, it is taken from the data:
from the first to the last spike step.
"""

from __future__ import annotations

import itertools

import numpy as np

Spikes = dict[int, list[int]]


def _window(spikes: Spikes, window: tuple[int, int] | None) -> tuple[int, int]:
    if window is not None:
        return int(window[0]), int(window[1])
    steps = [s for train in spikes.values() for s in train]
    if not steps:
        return 0, 0
    return int(min(steps)), int(max(steps))


def raster_plot(spikes: Spikes, dt: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """``(times_ms, ranks)`` of every spike, neuron by neuron."""
    times = [s for rank in spikes for s in spikes[rank]]
    ranks = [rank for rank in spikes for _ in spikes[rank]]
    return dt * np.asarray(times, dtype=np.float64), np.asarray(ranks, dtype=np.int64)


def histogram(
    spikes: Spikes,
    bins: float | None = None,
    per_neuron: bool = False,
    recording_window: tuple[int, int] | None = None,
    dt: float = 1.0,
) -> np.ndarray | list[np.ndarray]:
    """Spike counts per bin of ``bins`` ms (default ``dt``): ``int((t_max - t_min)/b) + 1`` bins.

    Bin of a spike at step ``t``: ``int((t - t_min)/b)`` with ``b = int(bins/dt)`` steps. ``per_neuron``
    gives one histogram per rank from 0 to the largest recorded rank.
    """
    b = max(1, int((bins if bins is not None else dt) / dt))
    t_min, t_max = _window(spikes, recording_window)
    nb = int((t_max - t_min) / b)

    def counts(trains: list[list[int]]) -> np.ndarray:
        h = np.zeros(nb + 1, dtype=np.int64)
        for train in trains:
            for t in train:
                if t_min <= t <= t_max:
                    h[int((t - t_min) / b)] += 1
        return h

    if per_neuron:
        top = max(spikes) if spikes else -1
        return [counts([spikes.get(r, [])]) for r in range(top + 1)]
    return counts(list(spikes.values()))


def inter_spike_interval(
    spikes: Spikes, ranks: list[int] | None = None, per_neuron: bool = False, dt: float = 1.0
) -> list[float] | dict[int, list[float]]:
    """Intervals between consecutive spikes in ms, for neurons with at least two spikes."""
    chosen = list(spikes) if ranks is None else list(ranks)
    isi = {r: (np.diff(sorted(spikes[r])) * dt).tolist() for r in chosen if len(spikes.get(r, [])) > 1}
    if per_neuron:
        return isi
    return [x for r in chosen if r in isi for x in isi[r]]


def coefficient_of_variation(
    spikes: Spikes, ranks: list[int] | None = None, per_neuron: bool = False, dt: float = 1.0
) -> list[float] | dict[int, float]:
    """``std(isi)/mean(isi)`` (population std) of each neuron with at least two intervals: a list, or a
    dict by rank with ``per_neuron``."""
    isi = inter_spike_interval(spikes, ranks, per_neuron=True, dt=dt)
    assert isinstance(isi, dict)
    cv = {r: float(np.std(v) / np.mean(v)) for r, v in isi.items() if len(v) > 1}
    return cv if per_neuron else list(cv.values())


def mean_fr(spikes: Spikes, duration: float | None = None, dt: float = 1.0) -> float:
    """Mean rate (Hz) over the recorded neurons: ``Σ count / N / duration / dt · 1000``.

    ``duration`` counts steps, as the reference's code does (its docs leave the unit open); without it
    the span of the data (``t_max - t_min`` steps) is used.
    """
    n = len(spikes)
    if n == 0:
        return 0.0
    if duration is None:
        t_min, t_max = _window(spikes, None)
        duration = t_max - t_min
    total = sum(len(train) for train in spikes.values())
    return float(total / n / duration / dt * 1000.0) if duration > 0 else 0.0


def _low_pass(x: np.ndarray, smooth: float, dt: float) -> np.ndarray:
    """``y[t+1] = y[t] + (x[t+1] - y[t])·dt/smooth`` along the last axis, ``y[0] = x[0]``."""
    y = np.array(x, dtype=np.float64, copy=True)
    for t in range(1, y.shape[-1]):
        y[..., t] = y[..., t - 1] + (x[..., t] - y[..., t - 1]) * dt / smooth
    return y


def smoothed_rate(
    spikes: Spikes, smooth: float = 0.0, dt: float = 1.0, recording_window: tuple[int, int] | None = None
) -> np.ndarray:
    """Instantaneous rate per neuron and step, ``(N, stop - start)``; low-pass filtered if ``smooth > 0``.

    Between consecutive spikes ``s1 < s2`` the rate is ``1000/(dt·(s2 - s1))`` over steps ``[s1, s2)``.
    Steps are taken relative to the start of the window (API.md §9 (?)).
    """
    start, stop = _window(spikes, recording_window)
    ranks = sorted(spikes)
    rates = np.zeros((len(ranks), max(stop - start, 0)))
    for i, r in enumerate(ranks):
        train = sorted(spikes[r])
        for s1, s2 in itertools.pairwise(train):
            if s2 > s1:
                rates[i, max(s1 - start, 0) : max(s2 - start, 0)] = 1000.0 / (dt * (s2 - s1))
    return _low_pass(rates, smooth, dt) if smooth > 0.0 and rates.size else rates


def population_rate(
    spikes: Spikes, smooth: float = 0.0, dt: float = 1.0, recording_window: tuple[int, int] | None = None
) -> np.ndarray:
    """Spike count per step over the recorded neurons ``/(dt·N/1000)``, length ``stop - start + 1``.

    Low-pass filtered as :func:`smoothed_rate` when ``smooth > dt``.
    """
    start, stop = _window(spikes, recording_window)
    n = max(len(spikes), 1)
    counts = np.zeros(stop - start + 1)
    for train in spikes.values():
        for t in train:
            if start <= t <= stop:
                counts[t - start] += 1
    rate = counts / (dt * n / 1000.0)
    return _low_pass(rate, smooth, dt) if smooth > dt else rate
