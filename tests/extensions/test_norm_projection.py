"""NormProjection: each delivered spike adds ``w`` to ``g_target`` and ``1/nb_aff_synapse`` to a post
variable, ``nb_aff_synapse`` counting the synapses a post neuron receives from every projection; checked
against NumPy, and alike on every engine and thread count."""

from __future__ import annotations

import numpy as np
import pytest

import nnc as ann
from nnc.diagnostics import ModelError
from nnc.extensions.bold import NormProjection

RNG = np.random.default_rng(3)
TIMES = [
    sorted(RNG.choice(np.arange(1, 40), size=int(RNG.integers(1, 8)), replace=False).tolist())
    for _ in range(6)
]
NEURON = ann.Neuron(equations="dnorm/dt = 0.0\ndx/dt = -x / 5.0", spike="x > 1000", reset="")
RUNS = [("interp", 1), ("llvm", 1), ("llvm", 2)]


def _matrix(mask: np.ndarray, w: np.ndarray) -> np.ndarray:
    return np.where(mask, w, None).astype(object)


MASK = RNG.random((4, 6)) < 0.6
MASK[3] = False  # a post neuron without synapses in the NormProjection
W = RNG.uniform(0.1, 1.0, (4, 6))
OTHER = RNG.random((4, 6)) < 0.3


def _run(engine: str, threads: int, fmt: str | None = None):
    net = ann.Network(dt=1.0, seed=1)
    net.config(engine=engine, num_threads=threads)
    src = net.create(ann.SpikeSourceArray(spike_times=[[float(t) for t in ts] for ts in TIMES]))
    post = net.create(4, NEURON)
    proj = net.connect(NormProjection(src, post, "exc", variable="norm"))
    proj.from_matrix(_matrix(MASK, W), storage_format=fmt)
    other = net.connect(src, post, "inh")
    other.from_matrix(_matrix(OTHER, np.ones((4, 6))))
    m = net.monitor(post, ["norm", "g_exc"])
    net.compile()
    net.simulate(45.0)
    return proj, m.get("norm"), m.get("g_exc")


def test_normalised_count_and_conductance_match_numpy():
    proj, norm, g = _run("llvm", 1)
    nb_aff = MASK.sum(axis=1) + OTHER.sum(axis=1)
    np.testing.assert_array_equal(proj.nb_aff_synapse, nb_aff[:3].astype(float))
    spiked = np.zeros((45, 6))
    for j, ts in enumerate(TIMES):
        spiked[ts, j] = 1.0
    arrived = np.vstack([np.zeros((1, 6)), spiked[:-1]])  # a spike of step k arrives at step k + 1
    with np.errstate(divide="ignore", invalid="ignore"):
        inc = np.nan_to_num((arrived @ MASK.T) / nb_aff)
    np.testing.assert_allclose(norm, np.cumsum(inc, axis=0), rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(g, arrived @ (np.where(MASK, W, 0.0)).T, rtol=1e-14, atol=1e-15)
    assert norm[-1, 3] == 0.0


@pytest.mark.parametrize("fmt", [None, "lil", "dense"])
def test_engines_threads_and_formats_agree_bit_for_bit(fmt):
    runs = [_run(e, n, fmt)[1:] for e, n in RUNS]
    for other in runs[1:]:
        for x, y in zip(runs[0], other, strict=True):
            np.testing.assert_array_equal(x, y)


def test_delays_are_ignored_as_in_the_reference(capsys):
    net = ann.Network(dt=1.0, seed=1)
    src = net.create(ann.SpikeSourceArray(spike_times=[[2.0]]))
    post = net.create(1, NEURON)
    net.connect(NormProjection(src, post, "exc", variable="norm")).all_to_all(weights=1.0, delays=5.0)
    m = net.monitor(post, "norm")
    net.compile()
    net.simulate(6.0)
    assert "delays are ignored" in capsys.readouterr().err
    np.testing.assert_array_equal(m.get("norm")[:, 0], [0, 0, 0, 1, 1, 1])


def test_errors():
    net = ann.Network(dt=1.0, seed=1)
    src = net.create(ann.SpikeSourceArray(spike_times=[[2.0]]))
    post = net.create(1, NEURON)
    rate = net.create(1, ann.Neuron(equations="r = 1.0"))
    with pytest.raises(ModelError, match="pre-synaptic population of a NormProjection must be spiking"):
        NormProjection(rate, post, "exc", variable="norm")
    with pytest.raises(ModelError, match="post-synaptic population of a NormProjection must be spiking"):
        NormProjection(src, rate, "exc", variable="r")
    with pytest.raises(ModelError, match="variable `nope` might be invalid"):
        NormProjection(src, post, "exc", variable="nope")
    with pytest.raises(ModelError, match="customized spiking synapses"):
        NormProjection(src, post, "exc", variable="norm", synapse=ann.Synapse(pre_spike="g_target += w"))
