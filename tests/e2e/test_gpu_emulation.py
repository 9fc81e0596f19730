"""The GPU kernels, emulated on the host, give the interpreter's bits on rate, spiking, plastic and Poisson
networks.

``compile(cuda_config={"device": "emulate"})`` builds the same kernels as for a GPU (the same body
functions; only the kernel wrappers differ, :mod:`nnc.backend.ptx.lower`) and runs every thread of every
block of each launch through the whole GpuEngine: lazy copies, the record table on the device, launch
plans. In emulation, threads run in order, so atomic spike lists come out in rank order, and as long as
every delivered spike has a block of its own, atomic accumulations add in spike-list order: the results
must equal the interpreter's exactly. Small blocks and (for rate networks) a capped grid make the grid-
and block-stride loops wrap. With fewer blocks than spikes, a block handles spikes ``b, b + G, ...``, so
a conductance receives its inputs in another order (as on a real GPU, where the order is not fixed):
equal spikes, floats within rounding.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from test_spiking_engines import _coba, _collect, _hybrid, _plastic, _same

import nnc as ann

EMULATE = {"device": "emulate", "block_size": 32, "max_blocks": 3}  # every loop wraps
ONE_BLOCK_PER_SPIKE = {"device": "emulate", "block_size": 32, "max_blocks": 4096}


def _rate(net: ann.Network) -> dict[str, object]:
    """Dense with a self hole, CSR with per-synapse delays, Oja learning, a semiglobal variable, a global
    operation and bounds (tests/e2e/scripts/rate_network.py), plus tanh/pow (libdevice on a GPU)."""
    inp = net.create(
        8,
        ann.Neuron(
            parameters=dict(omega=ann.Parameter(0.1, locality="local")),
            equations=["r = 0.5 + 0.5 * sin(omega * t)"],
        ),
    )
    readout = ann.Neuron(
        parameters=dict(tau=5.0),
        equations=["tau * dv/dt + v = sum(exc) - 0.1 * mean(r) : min=-1.0", "r = pos(v) + 0.01 * tanh(v)"],
    )
    trace = ann.Synapse(
        parameters=dict(eta=0.01),
        equations=[
            ann.Variable("s = post.r - mean(post.r)", locality="semiglobal"),
            "dw/dt = eta * s * pre.r : min=0.0",
        ],
    )
    res = net.create(40, ann.LeakyIntegrator(tau=10.0, sum="sum(exc) + sum(rec)"))
    out = net.create(3, readout)
    inp.omega = np.linspace(0.05, 0.4, 8)
    net.connect(res, res, "rec").all_to_all(ann.Normal(0.0, 0.3, rng=net.default_rng))
    net.connect(inp, res, "exc").fixed_probability(
        0.5, ann.Uniform(0.0, 0.5, rng=net.default_rng), delays=ann.Uniform(1.0, 3.0, rng=net.default_rng)
    )
    oja = net.connect(res, out, "exc", ann.Oja(eta=0.01))
    oja.all_to_all(0.1)
    tr = net.connect(inp[:3], out, "exc", trace)
    tr.one_to_one(0.5)
    return {"res": res, "out": out, "oja": oja, "trace": tr, "m": net.monitor(res[:5], ["r", "v"])}


def _large(net: ann.Network) -> dict[str, object]:
    """More than one block of 1024 neurons: global operations reduced as block partials; single
    precision; a timed array."""
    net.config(dtype=ann.float32)
    big = net.create(
        2500,
        ann.Neuron(
            parameters=dict(tau=4.0, phase=ann.Parameter(0.0, locality="local")),
            equations=["tau * dr/dt + r = sum(exc) + 0.1 * cos(phase * t) - max(r) + pow(mean(r), 2.0)"],
        ),
    )
    big.phase = np.linspace(0.0, 0.5, 2500)
    schedule = ann.TimedArray(rates=np.linspace(0.0, 1.0, 4 * 7).reshape(4, 7), schedule=[0.0, 2.0, 5.0, 6.0])
    stim = net.create(schedule)
    net.connect(stim, big, "exc").fixed_number_pre(3, weights=ann.Uniform(0.0, 1.0, rng=net.default_rng))
    return {"big": big, "stim": stim, "m": net.monitor(big[::500], "r")}


def _noise(net: ann.Network) -> dict[str, object]:
    """Random distributions inside equations (Philox streams keyed by element and step), in neurons and
    synapses, double precision."""
    noisy = net.create(
        300,
        ann.Neuron(
            parameters=dict(tau=10.0),
            equations=[
                "tau * dv/dt + v = sum(exc) + Normal(0.0, 1.0) + 0.1 * Uniform(-1.0, 1.0)",
                "r = pos(v) + 0.01 * Exponential(2.0)",
            ],
        ),
    )
    jitter = ann.Synapse(equations="w = 0.1 + 0.01 * Normal(0.0, 1.0)")
    net.connect(noisy, noisy, "exc", jitter).fixed_probability(0.2, weights=0.1)
    return {"noisy": noisy, "m": net.monitor(noisy[::37], ["v", "r"])}


def _run(
    build: Callable[[ann.Network], dict[str, object]],
    dt: float,
    gpu: bool,
    duration: float,
    config: dict | None = None,
) -> dict:
    net = ann.Network(dt=dt, seed=7)
    objects = build(net)
    if gpu:
        net.config(paradigm="cuda")
    else:
        net.config(engine="interp")
    net.compile(cuda_config=config or EMULATE)
    net.simulate(duration / 2)
    net.simulate(duration / 2)  # a second run continues from the device state
    return _collect(objects)


NETWORKS = [
    (_rate, 1.0, 30.0, EMULATE),
    (_large, 1.0, 12.0, EMULATE),
    (_noise, 1.0, 10.0, EMULATE),
    (_coba, 0.1, 40.0, ONE_BLOCK_PER_SPIKE),
    (_plastic, 0.5, 40.0, ONE_BLOCK_PER_SPIKE),
    (_hybrid, 0.25, 40.0, ONE_BLOCK_PER_SPIKE),
]


@pytest.mark.parametrize(
    ("build", "dt", "duration", "config"),
    NETWORKS,
    ids=["rate", "large", "noise", "coba", "plastic", "hybrid"],
)
def test_emulated_gpu_equals_the_interpreter(build, dt, duration, config) -> None:
    expected = _run(build, dt, False, duration)
    got = _run(build, dt, True, duration, config)
    _same(expected, got, "gpu")
    spikes = expected.get("spikes")
    if isinstance(spikes, dict):
        total = sum(len(v) for v in spikes.get("spike", spikes).values())
        assert total > 0, "the network must spike for the test to mean anything"


@pytest.mark.parametrize("lanes", [True, False])
@pytest.mark.parametrize(
    ("build", "dt", "duration"), [(_rate, 1.0, 30.0), (_large, 1.0, 12.0)], ids=["rate", "large"]
)
def test_weighted_sums_over_8_threads_per_dendrite_give_the_same_bits(build, dt, duration, lanes) -> None:
    """Every weighted sum split over 8 threads per dendrite (``sum_lanes=True``: dense rows with a hole,
    CSR, ELL, double and single precision), or none: the interpreter's bits either way."""
    expected = _run(build, dt, False, duration)
    got = _run(build, dt, True, duration, {**EMULATE, "sum_lanes": lanes})
    _same(expected, got, f"sum_lanes={lanes}")


@pytest.mark.parametrize(
    ("build", "dt", "duration"),
    [(_coba, 0.1, 20.0), (_plastic, 0.5, 30.0), (_hybrid, 0.25, 30.0)],
    ids=["coba", "plastic", "hybrid"],
)
@pytest.mark.parametrize("grid", [{"device": "emulate", "block_size": 1, "max_blocks": 1}], ids=["1x1"])
def test_deterministic_kernels_equal_the_interpreter_with_few_blocks(build, dt, duration, grid) -> None:
    """``deterministic=True``: rank-ordered spike lists and post-partitioned delivery, no atomics. With
    one thread per launch (where atomic adds change the order of the additions: the block's threads take
    the synapses of every spike in turn) the results are still the interpreter's bits; with 3 blocks of
    32 threads, in both orders, in test_deterministic_kernels_do_not_depend_on_the_thread_order."""
    expected = _run(build, dt, False, duration)
    got = _run(build, dt, True, duration, {**grid, "deterministic": True})
    _same(expected, got, "deterministic")


@pytest.mark.parametrize(
    ("build", "dt", "duration"),
    [
        (_rate, 1.0, 30.0),
        (_large, 1.0, 12.0),
        (_noise, 1.0, 10.0),
        (_coba, 0.1, 20.0),
        (_plastic, 0.5, 30.0),
        (_hybrid, 0.25, 30.0),
    ],
    ids=["rate", "large", "noise", "coba", "plastic", "hybrid"],
)
def test_deterministic_kernels_do_not_depend_on_the_thread_order(build, dt, duration) -> None:
    """Blocks and threads run last first (``order="reverse"``): a race between threads, or a result that
    depends on which thread runs first, would change the numbers. Deterministic kernels (and rate
    networks, which use no atomics) still give the interpreter's bits."""
    expected = _run(build, dt, False, duration)
    got = _run(build, dt, True, duration, {**EMULATE, "deterministic": True, "order": "reverse"})
    _same(expected, got, "reversed order")


def test_host_writes_between_runs_reach_the_device() -> None:
    """Lazy copies: a value written by the host after a run is uploaded before the next run, and values
    read after a run are the device's."""
    results = []
    for gpu in (False, True):
        net = ann.Network(dt=0.5, seed=2)
        objects = _plastic(net)
        net.config(**({"paradigm": "cuda"} if gpu else {"engine": "interp"}))
        net.compile(cuda_config=EMULATE)
        net.simulate(10.0)
        pop, stdp = objects["pop"], objects["stdp"]
        v_mid = np.array(pop.v)  # type: ignore[attr-defined]
        pop.v = -55.0  # type: ignore[attr-defined]
        stdp.w = 0.02  # type: ignore[attr-defined]
        net.simulate(10.0)
        results.append((v_mid, _collect(objects)))
    np.testing.assert_array_equal(results[0][0], results[1][0])
    _same(results[0][1], results[1][1], "after host writes")


def test_reset_and_rerun_on_the_emulated_gpu() -> None:
    net = ann.Network(dt=0.5, seed=3)
    objects = _plastic(net)
    net.config(paradigm="cuda")
    net.compile(cuda_config=EMULATE)
    net.simulate(20.0)
    first = objects["inputs"].get("spike")  # type: ignore[attr-defined]
    net.reset(projections=True)
    net.simulate(20.0)
    assert objects["inputs"].get("spike") == first  # type: ignore[attr-defined]
    assert first


def _close(a: object, b: object, where: str) -> None:
    if isinstance(a, dict):
        assert isinstance(b, dict), where
        assert a.keys() == b.keys(), where
        for k in a:
            _close(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, list) and a and isinstance(a[0], list):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            np.testing.assert_allclose(
                np.asarray(x), np.asarray(y), rtol=1e-12, atol=1e-12, err_msg=f"{where}[{i}]"
            )
    else:
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-12, atol=1e-12, err_msg=where)


@pytest.mark.parametrize("order", ["forward", "reverse"])
def test_blocks_handling_several_spikes(order) -> None:
    """Fewer blocks than spikes, threads in either order: atomic lists and sums change the order of the
    additions; the same spikes, conductances within rounding."""
    expected = _run(_coba, 0.1, False, 20.0)
    got = _run(_coba, 0.1, True, 20.0, {**EMULATE, "order": order})
    assert expected["spikes"] == got["spikes"]
    _close(expected, got, "gpu")


def test_copies_are_lazy() -> None:
    """After the first run, a run uploads only the context (and the record table), and a host read
    downloads only the buffer read."""
    net = ann.Network(dt=1.0, seed=1)
    pop = net.create(1000, ann.LeakyIntegrator(tau=10.0))
    other = net.create(1000, ann.LeakyIntegrator(tau=5.0))
    pop.B = 1.0
    net.config(paradigm="cuda")
    net.compile(cuda_config=EMULATE)
    device = net._runtime.engine.device  # type: ignore[union-attr]
    net.simulate(5.0)
    small = 8 * (net._runtime.engine.layout.size + 64)  # type: ignore[union-attr]
    device.copies.update(upload=0, download=0)
    net.simulate(5.0)
    assert device.copies["upload"] <= small  # the context, nothing else
    assert device.copies["download"] <= small
    device.copies.update(upload=0, download=0)
    r = np.array(pop.r)
    assert device.copies["download"] == 1000 * 8  # one buffer
    assert r[0] > 0.0
    assert np.all(np.array(other.r) == 0.0)
    device.copies.update(upload=0, download=0)
    pop.B = 2.0  # a host write: that buffer goes up before the next run
    net.simulate(1.0)
    assert 1000 * 8 <= device.copies["upload"] <= 3 * 1000 * 8 + small


#: a neuron that emits axonal events (v > 9) below its spike threshold (v > 10), and a synapse that
#: delivers both kinds
AXONAL = ann.Neuron(
    parameters=dict(tau=5.0),
    equations="tau * dv/dt = -v + g_exc + 12.0",
    spike="v > 10.0",
    reset="v = 0.0",
    axon_spike="v > 9.0",
    axon_reset="v = v - 0.5",
)
AXONAL_SYNAPSE = ann.Synapse(pre_spike="g_target += w", pre_axon_spike="g_target += 0.5 * w")


def _events(net: ann.Network) -> dict[str, object]:
    """A decoding projection (every age of a window), axonal spikes, and a firing-rate window."""
    poisson = net.create(ann.PoissonPopulation(30, rates=ann.Uniform(20.0, 120.0, rng=net.default_rng)))
    out = net.create(4, ann.Neuron(equations="r = sum(exc)"))
    net.connect(ann.DecodingProjection(poisson, out, "exc", window=6.0)).all_to_all(weights=0.5)
    cells = net.create(12, AXONAL)
    net.connect(poisson, cells, "exc", AXONAL_SYNAPSE).fixed_probability(
        0.5, weights=ann.Uniform(0.5, 2.0, rng=net.default_rng)
    )
    net.connect(cells, cells, "exc", AXONAL_SYNAPSE).fixed_probability(0.3, weights=0.4)
    cells.compute_firing_rate(5.0)
    return {
        "out": out,
        "cells": cells,
        "spikes": net.monitor(cells, ["spike", "v"]),
        "m": net.monitor(out, "r"),
    }


@pytest.mark.parametrize(
    "config", [ONE_BLOCK_PER_SPIKE, {**EMULATE, "deterministic": True}], ids=["atomic", "ordered"]
)
def test_decoding_windows_and_axonal_spikes(config) -> None:
    expected = _run(_events, 0.5, False, 30.0)
    got = _run(_events, 0.5, True, 30.0, config)
    _same(expected, got, "gpu")
    assert sum(len(v) for v in expected["spikes"]["spike"].values()) > 0


def _axonal_delays(net: ann.Network) -> dict[str, object]:
    """Axonal and ordinary spikes through a uniform delay and through per-synapse delays (weights that
    sum exactly in any order: atomics may add them in another order than the CPU)."""
    cells = net.create(16, AXONAL)
    receivers = net.create(10, ann.Neuron(equations=["g_exc = 0.0", "g_inh = 0.0"], spike="g_exc > 1e12"))
    net.connect(cells, cells, "exc", AXONAL_SYNAPSE).fixed_probability(0.3, weights=0.5, delays=2.5)
    net.connect(cells, receivers, "exc", AXONAL_SYNAPSE).all_to_all(
        weights=ann.DiscreteUniform(1, 4, rng=net.default_rng),
        delays=ann.Uniform(0.5, 4.0, rng=net.default_rng),
    )
    net.connect(cells, receivers, "inh", AXONAL_SYNAPSE).fixed_number_pre(5, weights=1.0, delays=1.5)
    return {
        "cells": cells,
        "spikes": net.monitor(cells, ["spike", "axon_spike"]),
        "m": net.monitor(receivers, ["g_exc", "g_inh"]),
    }


@pytest.mark.parametrize(
    "config", [ONE_BLOCK_PER_SPIKE, {**EMULATE, "deterministic": True}], ids=["atomic", "ordered"]
)
def test_axonal_spikes_through_delays(config) -> None:
    expected = _run(_axonal_delays, 0.5, False, 30.0)
    got = _run(_axonal_delays, 0.5, True, 30.0, config)
    _same(expected, got, "gpu")
    assert sum(len(v) for v in expected["spikes"]["axon_spike"].values()) > 0


@pytest.mark.parametrize("gpu", [False, True], ids=["interp", "gpu"])
def test_axon_transmission_gates_axonal_events_on_the_gpu(gpu: bool) -> None:
    """Axonal events every even step, spikes every odd one (dt = 1), delay 2: ``axon_transmission`` off
    during steps 4-7 drops the axonal arrivals of steps 4 and 6 only."""
    net = ann.Network(dt=1.0)
    sender = ann.Neuron(
        equations="v = t", spike="modulo(v, 2) == 1", reset="", axon_spike="modulo(v, 2) == 0"
    )
    pre = net.create(3, sender)
    post = net.create(2, ann.Neuron(equations="g_exc = 0.0", spike="g_exc > 1e12"))
    syn = ann.Synapse(pre_spike="g_target += w", pre_axon_spike="g_target += 100.0 * w")
    proj = net.connect(pre, post, "exc", syn)
    proj.all_to_all(weights=1.0, delays=2.0)
    m = net.monitor(post, "g_exc")
    net.config(**({"paradigm": "cuda"} if gpu else {"engine": "interp"}))
    net.compile(cuda_config=EMULATE)
    net.simulate(4)
    proj.axon_transmission = False
    net.simulate(4)
    proj.axon_transmission = True
    net.simulate(4)
    g = m.get("g_exc")[:, 0]
    assert g.tolist() == [0, 0, 300, 3, 0, 3, 0, 3, 300, 3, 300, 3]


@pytest.mark.parametrize(
    ("key", "value"), [("sum_lanes", "yes"), ("deterministic", 1), ("order", "backwards")]
)
def test_bad_cuda_config_values_are_clear_errors(key, value) -> None:
    net = ann.Network()
    net.create(3, ann.LeakyIntegrator())
    net.config(paradigm="cuda")
    with pytest.raises(ann.ANNarchyException, match=f"cuda_config: {key} must be"):
        net.compile(cuda_config={**EMULATE, key: value})


def test_the_gpu_check_runs_on_the_emulation(tmp_path) -> None:
    """``benchmarks/gpu_check.py --emulate`` (what ``scripts/gpu_check.sh`` runs on a GPU, here on the
    host emulation with a small COBA) prints its JSON, and the shell script parses."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root)}
    args = ["--emulate", "--parts", "coba,rate,choices", "--neurons", "400", "--duration", "10"]
    args += ["--cpu-duration", "2", "--rate-steps", "5", "--choice-duration", "5", "--repeats", "1"]
    done = subprocess.run(
        [sys.executable, str(root / "benchmarks" / "gpu_check.py"), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    for part in ("coba", "rate", "choices"):
        assert "error" not in result[part], result[part]
    assert result["coba"]["spikes"] > 0
    assert result["rate"]["equal_bits"] is True  # the emulation uses the C library's tanh, as the CPU
    assert result["choices"]["rate_equal_bits"] is True
    assert result["choices"]["coba_spikes"]["atomic"] > 0
    assert subprocess.run(["bash", "-n", str(root / "scripts" / "gpu_check.sh")], check=False).returncode == 0
