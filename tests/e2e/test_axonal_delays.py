"""Axonal spikes (``axon_spike`` / ``pre_axon_spike``) delivered through a projection's delays.

An event emitted at step ``s`` through a synapse of delay ``d`` steps (``d = max(1, round(delay/dt))``)
reaches the post neuron at step ``s + d``, axonal or not (docs/spiking.md; the reference simulator ignores
these delays, see there). The receivers reset their conductances every step, so the recorded ``g_exc`` /
``g_inh`` of step ``k`` is exactly what arrived at step ``k``; the weights are integers, so the
independent NumPy model below sums them without rounding and must agree bit for bit.
"""

from __future__ import annotations

import numpy as np
import pytest

import nnc as ann

DT = 0.5
STEPS = 60
#: pre_axon_spike adds AXONAL * w, pre_spike adds w: both kinds can be told apart in one trace
AXONAL = 64.0

SENDER = ann.Neuron(
    parameters=dict(inc=ann.Parameter(1.0, locality="local")),
    equations="v = v + inc",
    spike="v > 10.0",
    reset="v = 0.0",
    axon_spike="v > 6.0",
    axon_reset="v = v + 0.25",
)
RECEIVER = ann.Neuron(equations=["g_exc = 0.0", "g_inh = 0.0"], spike="g_exc > 1e12", reset="")
BOTH = ann.Synapse(pre_spike="g_target += w", pre_axon_spike=f"g_target += {AXONAL} * w")
#: the same, with ``w`` assigned every step: delivery then reads ``w`` in post->pre order (not mirrored)
ASSIGNED = ann.Synapse(
    equations="w = w", pre_spike="g_target += w", pre_axon_spike=f"g_target += {AXONAL} * w"
)
N_POST = 12  # rows of 12 synapses: delivery runs 8 lanes side by side, then one by one


def _network(engine: str, threads: int, variant: str, delays: str) -> dict[str, object]:
    """Six senders (axonal and ordinary events at their own pace) onto the receivers: ``exc`` through a
    synapse with ``pre_axon_spike`` (with ``delays``), ``inh`` through a plain one (delay 2 ms); every
    synapse (``full``) or four per receiver (``sparse``)."""
    net = ann.Network(dt=DT, seed=3)
    net.config(engine=engine, num_threads=threads)
    pre = net.create(6, SENDER)
    post = net.create(N_POST, RECEIVER)
    pre.inc = [1.0, 1.5, 2.25, 3.0, 0.75, 4.5]
    w = ann.DiscreteUniform(1, 15, rng=net.default_rng)  # integers: every sum below is exact
    at_connect: object = {"uniform": 3.5, "per-synapse": ann.Uniform(0.5, 4.0, rng=net.default_rng)}[delays]
    axonal = net.connect(pre, post, "exc", ASSIGNED if variant == "assigned-w" else BOTH)
    plain = net.connect(pre, post, "inh")
    if variant == "sparse":
        axonal.fixed_number_pre(4, weights=w, delays=at_connect)
        plain.fixed_number_pre(3, weights=w, delays=2.0)
    else:
        axonal.all_to_all(weights=w, delays=at_connect)
        plain.all_to_all(weights=w, delays=2.0)
    m_pre = net.monitor(pre, ["spike", "axon_spike"])
    m_post = net.monitor(post, ["g_exc", "g_inh"])
    net.compile()
    rng = np.random.default_rng(11)
    if delays == "per-synapse":  # delays from 0 (one step) to 4 ms
        axonal.delay = [(rng.integers(0, 9, len(r)) * DT).tolist() for r in axonal.pre_ranks]
    net.simulate(STEPS * DT)
    assert axonal._decl.format.value == "csr"  # the one format of spiking projections
    assert ("w" in axonal._decl.mirrored) is (variant != "assigned-w")
    return {"axonal": axonal, "plain": plain, "m_pre": m_pre, "m_post": m_post, "net": net}


def _events(spikes: dict[int, list[int]], n: int) -> np.ndarray:
    """``count[step, rank]`` of a monitor's spike dict."""
    out = np.zeros((STEPS, n))
    for rank, steps in spikes.items():
        for s in steps:
            out[s, rank] += 1
    return out


def _model(proj: ann.Projection, fired: np.ndarray, axon: np.ndarray | None, n_post: int) -> np.ndarray:
    """What the projection delivers at each step: ``Σ w · events(k - d)`` over the synapses."""
    g = np.zeros((STEPS, n_post))
    delays = proj.delay
    for i, (post, ranks, ws) in enumerate(zip(proj.post_ranks, proj.pre_ranks, proj.w, strict=True)):
        row_delays = delays[i] if isinstance(delays, list) else [delays] * len(ranks)
        for j, w, d_ms in zip(ranks, ws, row_delays, strict=True):
            d = max(1, round(d_ms / DT))
            g[d:, post] += w * fired[: STEPS - d, j]
            if axon is not None:
                g[d:, post] += AXONAL * w * axon[: STEPS - d, j]
    return g


@pytest.mark.parametrize("delays", ["uniform", "per-synapse"])
@pytest.mark.parametrize("variant", ["full", "sparse", "assigned-w"])
def test_axonal_and_ordinary_events_arrive_after_their_delays(variant: str, delays: str) -> None:
    """Spiking projections are CSR with a pre->post index; ``w`` is mirrored in that index unless a
    kernel assigns it: both layouts, full rows (lanes) and short ones."""
    run = _network("llvm", 1, variant, delays)
    spikes = run["m_pre"].get()  # type: ignore[attr-defined]
    fired, axon = _events(spikes["spike"], 6), _events(spikes["axon_spike"], 6)
    assert fired.sum() > 10, "spikes must occur"
    assert axon.sum() > 10, "axonal events must occur"
    assert not np.any((fired > 0) & (axon > 0)), "an axonal event is only sent without a spike"
    traces = run["m_post"].get()  # type: ignore[attr-defined]
    want_exc = _model(run["axonal"], fired, axon, N_POST)  # type: ignore[arg-type]
    want_inh = _model(run["plain"], fired, None, N_POST)  # type: ignore[arg-type]
    assert np.any(want_exc >= AXONAL), "axonal events must reach the receivers"
    np.testing.assert_array_equal(traces["g_exc"], want_exc)
    np.testing.assert_array_equal(traces["g_inh"], want_inh)


def _results(run: dict[str, object]) -> dict[str, np.ndarray]:
    data = run["m_post"].get()  # type: ignore[attr-defined]
    return {"g_exc": data["g_exc"], "g_inh": data["g_inh"]}


@pytest.mark.parametrize("delays", ["uniform", "per-synapse"])
def test_interpreter_llvm_and_threads_give_the_same_bits(delays: str) -> None:
    want = _results(_network("interp", 1, "full", delays))
    assert np.any(want["g_exc"] >= AXONAL)
    for engine, threads in (("llvm", 1), ("llvm", 2)):
        got = _results(_network(engine, threads, "full", delays))
        for key, values in want.items():
            np.testing.assert_array_equal(got[key], values, err_msg=f"{engine} x{threads} {key}")


@pytest.mark.parametrize("engine", ["interp", "llvm"])
def test_reset_forgets_axonal_events_in_flight(engine: str) -> None:
    """``reset()`` clears the axonal lists with the spike lists: the second run repeats the first."""
    run = _network(engine, 1, "sparse", "per-synapse")
    first = _results(run)
    net = run["net"]
    net.reset(populations=True, monitors=True)  # type: ignore[attr-defined]
    net.simulate(STEPS * DT)  # type: ignore[attr-defined]
    second = _results(run)
    for key, values in first.items():
        np.testing.assert_array_equal(second[key], values, err_msg=key)


@pytest.mark.parametrize("engine", ["interp", "llvm"])
def test_a_grown_delay_keeps_the_axonal_events_in_flight_and_delivers_none_twice(engine: str) -> None:
    """An axonal event at step 4 and a spike at step 10 (dt = 1), delay 3 steps raised to 9 at step 8:
    the axonal event arrived at 7 and is not delivered again at 13 (the grown rings still hold it); the
    spike arrives at 19."""
    net = ann.Network(dt=1.0)
    net.config(engine=engine)
    sender = ann.Neuron(equations="v = t", spike="v == 10.0", reset="", axon_spike="v == 4.0", axon_reset="")
    pre = net.create(1, sender)
    post = net.create(1, RECEIVER)
    proj = net.connect(pre, post, "exc", BOTH)
    proj.all_to_all(weights=1.0, delays=3.0)
    m = net.monitor(post, "g_exc")
    net.compile()
    net.simulate(8)
    proj.delay = 9.0
    net.simulate(16)
    g = m.get("g_exc")[:, 0]
    assert g.nonzero()[0].tolist() == [7, 19]
    assert g[7] == AXONAL
    assert g[19] == 1.0


@pytest.mark.parametrize("engine", ["interp", "llvm"])
def test_axon_transmission_off_stops_only_the_axonal_events(engine: str) -> None:
    """Axonal events at steps 2, 4, 6, 8, spikes at 3, 5, 7, 9 (dt = 1), delay 2: with
    ``axon_transmission`` off during steps 4-7, the axonal events of steps 2 and 4 (arriving at 4 and 6)
    are not delivered; those of 6 and 8 (arriving at 8 and 10) are, and every spike is."""
    net = ann.Network(dt=1.0)
    net.config(engine=engine)
    sender = ann.Neuron(
        equations="v = t",
        spike="modulo(v, 2) == 1 and v > 2",
        reset="",
        axon_spike="modulo(v, 2) == 0 and v > 1",
    )
    pre = net.create(1, sender)
    post = net.create(1, RECEIVER)
    proj = net.connect(pre, post, "exc", BOTH)
    proj.all_to_all(weights=1.0, delays=2.0)
    assert proj.axon_transmission
    m = net.monitor(post, "g_exc")
    net.compile()
    net.simulate(4)
    proj.axon_transmission = False
    assert not proj.axon_transmission
    net.simulate(4)
    proj.axon_transmission = True
    net.simulate(4)
    g = m.get("g_exc")[:, 0]
    assert g.tolist() == [0, 0, 0, 0, 0, 1, 0, 1, AXONAL, 1, AXONAL, 1]


def test_only_populations_with_axonal_events_keep_an_axonal_ring() -> None:
    """The axonal lists follow the spike ring (here 21 slots: a firing-rate window, grown after compile
    to 41) only for neurons with an ``axon_spike`` condition; the others keep one unused list."""
    from nnc.backend.abi import SpikeField, SpikeKey

    net = ann.Network(dt=1.0)
    axonal = net.create(7, SENDER)
    plain = net.create(7, ann.Neuron(equations="v = v + 1", spike="v > 3", reset="v = 0"))
    for pop in (axonal, plain):
        pop.compute_firing_rate(20.0)
    net.compile()

    def length(pop: object) -> int:
        return len(pop._buffers.array(SpikeKey(pop.id, SpikeField.AXON)))  # type: ignore[attr-defined]

    assert length(axonal) >= 21 * 7
    assert length(plain) < 21 * 7
    net.simulate(30)
    for pop in (axonal, plain):
        pop.compute_firing_rate(40.0)
    assert length(axonal) >= 41 * 7
    assert length(plain) < 41 * 7
    net.simulate(30)
    assert np.all(plain.r > 0)
