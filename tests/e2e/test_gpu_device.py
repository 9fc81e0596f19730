"""On a machine with an NVIDIA GPU: the driver layer, and the GPU against the CPU engine.

Marked ``gpu``: they skip, with the reason, where no driver or device can be opened
(``scripts/gpu_check.sh`` runs them on a GPU machine). Without a driver, opening a device fails with a
clear :class:`~nnc.backend.ptx.cuda.NoDeviceError` that points to the emulation.

Tolerances: rate networks without libdevice functions give the CPU's bits (nnc's own exp/log/sin/cos, no
FMA contraction: PTX ``mul.rn``/``add.rn``, IEEE division and square root, the fixed reduction order);
spiking networks sum each conductance's inputs with atomics in an order the GPU does not fix, so floats
agree to rounding and spikes agree as long as no rounding difference moves one; with
``cuda_config={"deterministic": True}`` they give the CPU's bits.
"""

from __future__ import annotations

import numpy as np
import pytest
from test_gpu_emulation import _rate
from test_spiking_engines import _coba, _collect, _same

import nnc as ann
from nnc.backend.ptx.cuda import NoDeviceError, available_driver, gpu_available, open_device

_OK, _WHY = gpu_available()
gpu = pytest.mark.gpu
needs_gpu = pytest.mark.skipif(not _OK, reason=f"no usable NVIDIA GPU: {_WHY}")


@pytest.mark.skipif(_OK, reason="a GPU is available here")
@pytest.mark.skipif(available_driver() is None, reason="neither pycuda nor cuda-bindings is installed")
def test_no_driver_is_a_clear_error() -> None:
    with pytest.raises(NoDeviceError, match="emulate"):
        open_device({})
    net = ann.Network()
    net.create(3, ann.LeakyIntegrator())
    net.config(paradigm="cuda")
    with pytest.raises(NoDeviceError, match="emulate"):
        net.compile()


@gpu
@needs_gpu
def test_driver_layer_round_trip() -> None:
    dev = open_device({})
    try:
        data = np.arange(1000, dtype=np.float64)
        addr = dev.alloc(data.nbytes)
        dev.upload(addr, data)
        back = np.zeros_like(data)
        dev.download(back, addr)
        np.testing.assert_array_equal(back, data)
        dev.free(addr)
    finally:
        dev.close()


def _run(build, dt: float, duration: float, gpu_run: bool, **config: object) -> dict:
    net = ann.Network(dt=dt, seed=7)
    objects = build(net)
    if gpu_run:
        net.config(paradigm="cuda")
    net.compile(cuda_config={"device": 0, **config})
    net.simulate(duration)
    return _collect(objects)


def _plain_rate(net: ann.Network) -> dict[str, object]:
    """The rate network without libdevice functions."""
    pop = net.create(500, ann.LeakyIntegrator(tau=10.0, sum="sum(exc) + sum(rec)"))
    inp = net.create(
        50, ann.Neuron(parameters=dict(w=ann.Parameter(0.1, locality="local")), equations="r = sin(w * t)")
    )
    inp.w = np.linspace(0.01, 0.3, 50)
    net.connect(pop, pop, "rec").fixed_probability(0.1, ann.Normal(0.0, 0.1, rng=net.default_rng))
    net.connect(inp, pop, "exc").all_to_all(ann.Uniform(-0.2, 0.2, rng=net.default_rng))
    return {"pop": pop, "m": net.monitor(pop[:10], "r")}


@gpu
@needs_gpu
@pytest.mark.parametrize("lanes", ["auto", False])
def test_rate_network_gives_the_cpu_bits(lanes) -> None:
    """Rows of about 50 synapses: by default their weighted sums run on 8 threads per dendrite."""
    cpu = _run(_plain_rate, 1.0, 200.0, False)
    dev = _run(_plain_rate, 1.0, 200.0, True, sum_lanes=lanes)
    np.testing.assert_array_equal(dev["m"]["r"], cpu["m"]["r"])
    np.testing.assert_array_equal(dev["pop"]["r"], cpu["pop"]["r"])


@gpu
@needs_gpu
def test_rate_network_with_libdevice_within_rounding() -> None:
    cpu = _run(_rate, 1.0, 100.0, False)
    dev = _run(_rate, 1.0, 100.0, True)
    np.testing.assert_allclose(dev["m"]["r"], cpu["m"]["r"], rtol=1e-12, atol=1e-12)


@gpu
@needs_gpu
def test_spiking_network_within_rounding() -> None:
    cpu = _run(_coba, 0.1, 20.0, False)
    dev = _run(_coba, 0.1, 20.0, True)
    cpu_spikes, dev_spikes = cpu["spikes"]["spike"], dev["spikes"]["spike"]
    total = sum(len(v) for v in cpu_spikes.values())
    assert total > 0
    moved = sum(
        len(set(cpu_spikes.get(k, [])) ^ set(dev_spikes.get(k, [])))
        for k in set(cpu_spikes) | set(dev_spikes)
    )
    assert moved <= 0.01 * total, f"{moved} of {total} spikes differ"


@gpu
@needs_gpu
def test_deterministic_spiking_network_gives_the_cpu_bits() -> None:
    """Rank-ordered spike lists and post-partitioned delivery: no atomics, the CPU's bits."""
    cpu = _run(_coba, 0.1, 20.0, False)
    dev = _run(_coba, 0.1, 20.0, True, deterministic=True)
    assert sum(len(v) for v in cpu["spikes"]["spike"].values()) > 0
    _same(cpu, dev, "deterministic")
