"""``nnc.plot``: each helper draws what its data says and returns the matplotlib Axes."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import nnc as ann
from nnc.optional import MissingExtraError

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import nnc.plot  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def spiking_network():
    net = ann.Network(dt=0.5, seed=3)
    lif = ann.Neuron(
        parameters="I = 1.2", equations="10.0 * dv/dt = -v + I", spike="v > 1.0", reset="v = 0.0"
    )
    pop = net.create(20, lif)
    pop.I = np.linspace(1.05, 2.0, 20)
    m = net.monitor(pop, ["spike", "v"], period=1.0)
    net.compile()
    net.simulate(200.0)
    return net, pop, m


def test_raster_draws_every_spike_and_the_population_rate():
    _, _, m = spiking_network()
    spikes = m.get("spike", keep=True)
    ax = nnc.plot.raster(m, bin_ms=10.0)
    xs, ys = ax.lines[0].get_data()
    total = sum(len(s) for s in spikes.values())
    assert len(xs) == total
    for rank, steps in spikes.items():  # each neuron's row holds its spike times (steps of 0.5 ms)
        np.testing.assert_array_equal(np.sort(xs[ys == rank]), np.array(steps) * 0.5)
    centres, hz = ax.rate_axes.lines[0].get_data()
    # 20 bins of 10 ms over the 200 ms recording; the rate integrates back to the spike count
    assert len(centres) == 20
    assert np.sum(hz) * 20 * 10.0 / 1000.0 == pytest.approx(total)
    assert m.get("spike") == spikes  # the plot kept the data (keep=True)


def test_raster_without_rate_and_with_given_spikes():
    _, _, m = spiking_network()
    spikes = m.get("spike")
    ax = nnc.plot.raster(m, spikes=spikes, rate=False)
    assert ax.rate_axes is None
    assert ax.get_xlabel() == "time (ms)"


def test_traces_use_the_monitor_period_and_time_units():
    _, _, m = spiking_network()
    v = m.get("v", keep=True)
    ax = nnc.plot.traces(m, "v", neurons=[0, 5], unit="s")
    assert len(ax.lines) == 2
    t, y = ax.lines[1].get_data()
    np.testing.assert_allclose(t, np.arange(v.shape[0]) * 1.0 / 1000.0)
    np.testing.assert_array_equal(y, v[:, 5])
    assert ax.get_xlabel() == "time (s)"
    with pytest.raises(ann.ANNarchyException, match="raster"):
        nnc.plot.traces(m, "spike")


def rate_network():
    net = ann.Network(dt=1.0, seed=5)
    pre = net.create((4, 5), ann.Neuron(equations="r = 1.0"))
    post = net.create((2, 3), ann.Neuron(equations="r = sum(exc)"))
    proj = net.connect(pre, post, "exc").fixed_probability(
        probability=0.5, weights=ann.Uniform(0.0, 1.0, rng=np.random.default_rng(1))
    )
    net.compile()
    return proj


def test_weights_show_the_connectivity_matrix_with_gaps():
    proj = rate_network()
    ax = nnc.plot.weights(proj)
    image = ax.images[0].get_array()
    matrix = proj.connectivity_matrix(fill=np.nan)
    np.testing.assert_array_equal(image.mask, np.isnan(matrix))
    np.testing.assert_array_equal(image.filled(0.0), np.nan_to_num(matrix))


def test_receptive_fields_tile_the_projection_s_fields():
    proj = rate_network()
    ax = nnc.plot.receptive_fields(proj)
    np.testing.assert_array_equal(ax.images[0].get_array(), proj.receptive_fields())


def test_connectivity_draws_one_dot_per_synapse_and_the_in_degrees():
    proj = rate_network()
    ax = nnc.plot.connectivity(proj)
    pre, post = ax.lines[0].get_data()
    assert len(pre) == proj.nb_synapses
    for p, row in zip(proj.post_ranks, proj.pre_ranks, strict=True):
        assert sorted(pre[post == p]) == row
    heights = [bar.get_width() for bar in ax.degree_axes.patches]
    degree = np.zeros(6)
    degree[proj.post_ranks] = proj.nb_synapses_per_dendrite
    np.testing.assert_array_equal(heights, degree)


def test_a_missing_matplotlib_names_the_extra(monkeypatch):
    proj = rate_network()
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(MissingExtraError, match=r"nnc-sim\[plot\]"):
        nnc.plot.weights(proj)
