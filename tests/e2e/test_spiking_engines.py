"""Spiking networks give the same bits on the interpreter and the LLVM engine, on 1, 2 and 3 threads.

SEMANTICS.md §17 asks for equality up to summation order; nnc fixes that order (spike lists in rank
order, each conductance summed in spike-list order by the thread that owns it, random numbers keyed by
element and step), so every variable, weight and spike must be identical.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

import nnc as ann

RUNS = [("interp", 1), ("llvm", 1), ("llvm", 2), ("llvm", 3)]


def _coba(net: ann.Network) -> dict[str, object]:
    lif = ann.Neuron(
        parameters=dict(El=-60.0, Vr=-60.0, Erev_exc=0.0, Erev_inh=-80.0, Vt=-50.0, tau=20.0, I=20.0),
        equations=[
            "tau * dv/dt = (El - v) + g_exc * (Erev_exc - v) + g_inh * (Erev_inh - v) + I",
            "5.0 * dg_exc/dt = -g_exc",
            "10.0 * dg_inh/dt = -g_inh",
        ],
        spike="v > Vt",
        reset="v = Vr",
        refractory=5.0,
    )
    pop = net.create(300, lif)
    pop.v = ann.Normal(-55.0, 5.0, rng=net.default_rng)
    exc = net.connect(pop[:240], pop, "exc")
    exc.fixed_probability(0.05, weights=0.6)
    inh = net.connect(pop[240:], pop, "inh")
    inh.fixed_probability(0.05, weights=ann.Uniform(4.0, 8.0, rng=net.default_rng), delays=2.0)
    late = net.connect(pop[:50], pop[100:], "exc")
    late.fixed_probability(0.1, weights=0.3, delays=ann.Uniform(0.1, 4.0, rng=net.default_rng))
    return {"pop": pop, "spikes": net.monitor(pop, "spike"), "v": net.monitor(pop[:7], "v")}


def _plastic(net: ann.Network) -> dict[str, object]:
    inputs = net.create(ann.PoissonPopulation(80, rates=ann.Uniform(5.0, 60.0, rng=net.default_rng)))
    cells = net.create(6, ann.IF_cond_exp(i_offset=0.2, tau_refrac=2.0))
    stdp = net.connect(inputs, cells, "exc", synapse=ann.STDP(w_max=0.05, A_minus=0.012))
    stdp.all_to_all(weights=ann.Uniform(0.0, 0.03, rng=net.default_rng))
    stp = net.connect(inputs[:40], cells, "inh", synapse=ann.STP(tau_rec=200.0, tau_facil=20.0, U=0.3))
    stp.fixed_number_pre(10, weights=0.02, delays=ann.Uniform(0.5, 3.0, rng=net.default_rng))
    izh = net.create(20, ann.Izhikevich(noise=3.0, i_offset=4.0))
    net.connect(cells, izh, "exc").all_to_all(weights=5.0)
    return {
        "pop": cells,
        "spikes": net.monitor(cells, "spike"),
        "izh": net.monitor(izh, "spike"),
        "stdp": stdp,
        "stp": stp,
        "inputs": net.monitor(inputs, "spike"),
    }


def _hybrid(net: ann.Network) -> dict[str, object]:
    source = net.create(ann.SpikeSourceArray([[1.0, 3.0, 7.5], [], [0.0, 2.0, 4.0, 6.0, 8.0], [5.0]]))
    drive = net.create(4, ann.Neuron(equations="r = 1.0 + sin(t / 3.0)"))
    cells = net.create(4, ann.IF_curr_exp(tau_refrac=1.0))
    ann.CurrentInjection(drive, cells, "exc").connect_current()
    net.connect(source, cells, "exc").one_to_one(weights=3.0, delays=1.5)
    rates = net.create(3, ann.Neuron(equations="r = 40.0 + 20.0 * sin(t / 10.0)"))
    poisson = net.create(ann.PoissonPopulation(3, target="exc"))
    net.connect(rates, poisson, "exc").one_to_one(weights=1.0)
    timed = net.create(ann.TimedPoissonPopulation(5, rates=[20.0, 80.0, 5.0], schedule=[0.0, 10.0, 30.0]))
    net.connect(timed, cells, "inh").all_to_all(weights=0.5)
    return {
        "pop": cells,
        "spikes": net.monitor(cells, ["spike", "v"]),
        "poisson": net.monitor(poisson, "spike"),
        "timed": net.monitor(timed, "spike"),
    }


def _collect(objects: dict[str, object]) -> dict[str, object]:
    out: dict[str, object] = {}
    for key, obj in objects.items():
        if isinstance(obj, ann.Monitor):
            out[key] = obj.get()
        elif isinstance(obj, ann.Projection):
            out[key] = {a: obj.get(a) for a in obj.attributes}
        else:
            out[key] = {a: obj.get(a) for a in obj.attributes}  # type: ignore[attr-defined]
    return out


def _run(build: Callable[[ann.Network], dict[str, object]], engine: str, threads: int, dt: float) -> dict:
    net = ann.Network(dt=dt, seed=7)
    objects = build(net)
    net.config(engine=engine, num_threads=threads)
    net.compile()
    net.simulate(60.0)
    return _collect(objects)


def _same(a: object, b: object, where: str) -> None:
    if isinstance(a, dict):
        assert isinstance(b, dict), where
        assert a.keys() == b.keys(), where
        for k in a:
            _same(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, list) and a and isinstance(a[0], list):  # per-dendrite lists
        assert isinstance(b, list), where
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            np.testing.assert_array_equal(np.asarray(x), np.asarray(y), err_msg=f"{where}[{i}]")
    else:
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b), err_msg=where)


@pytest.mark.parametrize(("build", "dt"), [(_coba, 0.1), (_plastic, 0.5), (_hybrid, 0.25)],
                         ids=["coba", "plastic", "hybrid"])  # fmt: skip
def test_every_engine_and_thread_count_gives_the_same_bits(build, dt) -> None:
    results = [_run(build, engine, threads, dt) for engine, threads in RUNS]
    spikes = results[0]["spikes"]
    total = sum(len(v) for v in (spikes.get("spike", spikes)).values())  # type: ignore[union-attr]
    assert total > 0, "the network must spike for the test to mean anything"
    for (engine, threads), other in zip(RUNS[1:], results[1:], strict=True):
        _same(results[0], other, f"{engine}x{threads}")


def test_reset_reproduces_the_first_run() -> None:
    net = ann.Network(dt=0.5, seed=3)
    objects = _plastic(net)
    net.compile()
    net.simulate(40.0)
    first = objects["spikes"].get("spike")  # type: ignore[attr-defined]
    inputs = objects["inputs"].get("spike")  # type: ignore[attr-defined]
    net.reset(projections=True)
    objects["stdp"].w = 0.01  # type: ignore[attr-defined]
    net.simulate(40.0)
    assert objects["inputs"].get("spike") == inputs  # type: ignore[attr-defined]
    assert objects["spikes"].get("spike") != {}
    assert first != {}


def test_save_and_load_continue_a_plastic_spiking_run(tmp_path) -> None:
    """A network loaded from a save continues as the saved one does: spike state and event clocks too."""

    def build() -> tuple[ann.Network, dict[str, object]]:
        net = ann.Network(dt=0.5, seed=5)
        source = net.create(ann.PoissonPopulation(8, rates=ann.Uniform(20.0, 200.0, rng=net.default_rng)))
        cells = net.create(3, ann.IF_cond_exp(i_offset=0.3, tau_refrac=4.0))
        proj = net.connect(source, cells, "exc", synapse=ann.STDP(w_max=0.5, A_plus=0.05))
        proj.all_to_all(weights=0.2)
        return net, {"cells": cells, "proj": proj}

    net, objs = build()
    net.compile()
    net.simulate(37.0)
    net.save(str(tmp_path / "state.pickle"))
    net.simulate(40.0)
    want = (objs["cells"].v.copy(), objs["proj"].w)  # type: ignore[attr-defined]
    other, others = build()
    other.compile()
    other.load(str(tmp_path / "state.pickle"))
    other.simulate(40.0)
    np.testing.assert_array_equal(others["cells"].v, want[0])  # type: ignore[attr-defined]
    assert others["proj"].w == want[1]  # type: ignore[attr-defined]
