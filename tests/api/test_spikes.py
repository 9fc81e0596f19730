"""Offline spike analysis (API.md §9), on hand-made spike trains with hand-computed results."""

from __future__ import annotations

import numpy as np
import pytest

from nnc.api.monitor import (
    coefficient_of_variation,
    histogram,
    inter_spike_interval,
    mean_fr,
    population_rate,
    raster_plot,
    smoothed_rate,
)

# steps; neuron 2 never spikes, neuron 3 spikes once
SPIKES = {0: [2, 4, 8], 1: [3, 5, 6, 9], 2: [], 3: [7]}


def test_raster_plot() -> None:
    times, ranks = raster_plot(SPIKES, dt=0.5)
    np.testing.assert_array_equal(times, 0.5 * np.array([2, 4, 8, 3, 5, 6, 9, 7]))
    np.testing.assert_array_equal(ranks, [0, 0, 0, 1, 1, 1, 1, 3])


def test_histogram() -> None:
    # window from the first (2) to the last (9) spike, bins of 2 steps: int(7/2) + 1 = 4 bins
    # bin of step t: int((t - 2)/2): 2->0 4->1 8->3 | 3->0 5->1 6->2 9->3 | 7->2
    np.testing.assert_array_equal(histogram(SPIKES, bins=2.0), [2, 2, 2, 2])
    per = histogram(SPIKES, bins=2.0, per_neuron=True)
    assert len(per) == 4
    np.testing.assert_array_equal(per[0], [1, 1, 0, 1])
    np.testing.assert_array_equal(per[2], [0, 0, 0, 0])
    # bins of 1 ms at dt = 0.5: 2 steps; window [0, 3]: int(3/2) + 1 = 2 bins; spikes 2 and 3 fall in bin 1
    np.testing.assert_array_equal(histogram(SPIKES, bins=1.0, dt=0.5, recording_window=(0, 3)), [0, 2])


def test_inter_spike_intervals_and_cv() -> None:
    assert inter_spike_interval(SPIKES, dt=0.5) == [1.0, 2.0, 1.0, 0.5, 1.5]
    assert inter_spike_interval(SPIKES, per_neuron=True) == {0: [2.0, 4.0], 1: [2.0, 1.0, 3.0]}
    assert inter_spike_interval(SPIKES, ranks=[1]) == [2.0, 1.0, 3.0]
    # population std / mean per neuron with >= 2 intervals: [2, 4] -> 1/3 ; [2, 1, 3] -> sqrt(2/3)/2
    assert coefficient_of_variation(SPIKES) == pytest.approx([1 / 3, np.sqrt(2 / 3) / 2])
    by_rank = coefficient_of_variation(SPIKES, per_neuron=True)
    assert by_rank.keys() == {0, 1}
    assert by_rank[1] == pytest.approx(np.sqrt(2 / 3) / 2)


def test_mean_firing_rate() -> None:
    # 8 spikes, 4 neurons, span 9 - 2 = 7 steps of 0.5 ms: 8/4/3.5 ms -> Hz
    assert mean_fr(SPIKES, dt=0.5) == pytest.approx(8 / 4 / 3.5 * 1000)
    assert mean_fr(SPIKES, duration=100.0) == pytest.approx(8 / 4 / 100 * 1000)
    # a given duration counts steps, as in the reference's code: 200 steps of 0.5 ms
    assert mean_fr(SPIKES, duration=200.0, dt=0.5) == pytest.approx(8 / 4 / 100 * 1000)
    assert mean_fr({}) == 0.0


def test_smoothed_rate() -> None:
    rates = smoothed_rate({0: [1, 3], 1: [2]}, dt=1.0, recording_window=(0, 5))
    # neuron 0: 1000/(2 ms) over steps [1, 3); neuron 1: a single spike gives no interval
    np.testing.assert_array_equal(rates, [[0, 500, 500, 0, 0], [0, 0, 0, 0, 0]])
    smooth = smoothed_rate({0: [1, 3]}, smooth=2.0, dt=1.0, recording_window=(0, 4))
    # y[t+1] = y[t] + (x[t+1] - y[t]) * dt/smooth from y[0] = x[0] = 0: 0, 250, 375, 187.5
    np.testing.assert_allclose(smooth, [[0.0, 250.0, 375.0, 187.5]])


def test_population_rate() -> None:
    rate = population_rate({0: [1, 3], 1: [3]}, dt=0.5)
    # window [1, 3] -> 3 steps; counts [1, 0, 2] / (0.5 ms * 2 neurons / 1000)
    np.testing.assert_array_equal(rate, np.array([1, 0, 2]) / (0.5 * 2 / 1000))
