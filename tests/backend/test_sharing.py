"""Kernel sharing (nnc.backend.sharing): kernels that are the same up to their buffers run one compiled
function, with the same bits as kernels compiled apart and as the interpreter; the object cache holds
one object per class, so changing one population recompiles only its kernels.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import nnc as ann
from nnc.backend.abi import layout_of
from nnc.backend.llvm.engine import kernel_slots
from nnc.backend.sharing import share_kernels

K = 6
SIZES = [8, 8, 8, 8, 8, 5]  # the last population has another size: its kernels are classes of their own


def _models(i: int | None) -> tuple[ann.Neuron, ann.Neuron, ann.Synapse]:
    """Two neuron models and a plastic synapse; with ``i`` their parameters are named after it, so that
    every object's kernels print apart (one class each) while computing the same thing."""
    s = "" if i is None else f"_{i}"
    leaky = ann.Neuron(
        parameters={f"tau{s}": 10.0, f"sigma{s}": 0.3},
        equations=[
            f"tau{s} * dv/dt + v = sum(exc) + Normal(0.0, sigma{s}) : init=Uniform(-1.0, 1.0)",
            "r = tanh(v)",
        ],
    )
    other = ann.Neuron(
        parameters={"tau": 5.0, f"b{s}": 0.2},
        equations=[f"tau * dv/dt = -v + sum(exc) + b{s} : midpoint", "r = pos(v)"],
    )
    hebb = ann.Synapse(parameters={f"eta{s}": 0.01}, equations=[f"dw/dt = eta{s} * pre.r * post.r - w"])
    return leaky, other, hebb


def ring(apart: bool, engine: str = "llvm", changed: int | None = None) -> ann.Network:
    """``K`` populations alternating two models in a ring of plastic projections, plus a chord; with
    ``apart`` every object has its own spelling of the models. ``changed``: that population gets a third
    model."""
    net = ann.Network(dt=0.5, seed=5)
    net.config(engine=engine)
    shared = _models(None)
    pops = []
    for i in range(K):
        leaky, other, _ = _models(i) if apart else shared
        model = leaky if i % 2 == 0 else other
        if i == changed:
            model = ann.Neuron(equations="r = 0.5 * tanh(sum(exc)) + 0.1")
        pops.append(net.create(SIZES[i], model, name=f"p{i}"))
    edges = [(i, (i + 1) % K) for i in range(K)] + [(0, 3)]
    for n, (a, b) in enumerate(edges):
        hebb = _models(n)[2] if apart else shared[2]
        proj = net.connect(pops[a], pops[b], "exc", synapse=hebb, name=f"j{n}")
        proj.fixed_probability(0.5, weights=ann.Uniform(0.0, 0.2))
    for i, pop in enumerate(pops):
        if i % 2 == 1 and i != changed:
            pop.tau = 4.0 + i  # per-object values live in the buffers, not in the shared code
    return net


def _state(net: ann.Network) -> dict[str, np.ndarray]:
    out = {}
    for pop in net.get_populations():
        out[f"{pop.name}.v"] = np.array(pop.v) if hasattr(pop, "v") else np.array(pop.r)
        out[f"{pop.name}.r"] = np.array(pop.r)
    for proj in net.get_projections():
        out[f"{proj.name}.w"] = np.concatenate([np.asarray(w, dtype=float) for w in proj.w])
    return out


def _run(net: ann.Network, directory: Path | None = None) -> dict[str, np.ndarray]:
    net.compile(directory=str(directory) if directory else None, silent=True)
    net.simulate(25.0)
    return _state(net)


def test_shared_kernels_give_the_bits_of_kernels_compiled_apart_and_of_the_interpreter(tmp_path) -> None:
    shared = ring(apart=False)
    got = _run(shared, tmp_path / "shared")
    sharing = shared._runtime.engine.sharing
    apart = ring(apart=True)
    alone = _run(apart, tmp_path / "apart")
    groups = sharing.groups(shared._runtime.module)
    # objects of one model and size share (p0's update holds p5's fused transmission: alone) ...
    for group in [("p1.update", "p3.update"), ("p2.update", "p4.update"), ("j1.update", "j2.update")]:
        assert any(set(group) <= set(g) for g in groups), (group, groups)
    # ... spelled apart, only the kernels that read no parameter still do (the clears, the transmissions)
    apart_groups = apart._runtime.engine.sharing.groups(apart._runtime.module)
    assert all(len(g) == 1 for g in apart_groups if g[0].endswith(".update")), apart_groups
    oracle = _run(ring(apart=False, engine="interp"))
    assert got.keys() == alone.keys() == oracle.keys()
    for key, value in got.items():
        assert np.array_equal(value, alone[key]), key
        assert np.array_equal(value, oracle[key]), key
    assert not np.array_equal(got["p0.r"], got["p2.r"])  # instances read their own buffers and streams


def test_the_cache_recompiles_only_the_kernels_of_a_changed_population(tmp_path) -> None:
    first = ring(apart=False)
    first.compile(directory=str(tmp_path), silent=True)
    engine = first._runtime.engine
    assert engine.compiled_objects == engine.objects == 1 + len(engine.sharing.classes)
    again = ring(apart=False)
    again.compile(directory=str(tmp_path), silent=True)
    assert again._runtime.engine.cache_hit
    assert again._runtime.engine.compiled_objects == 0
    changed = ring(apart=False, changed=3)
    changed.compile(directory=str(tmp_path), silent=True)
    new = changed._runtime.engine
    module = changed._runtime.module
    groups = new.sharing.groups(module)
    alone = [g for g in groups if len(g) == 1 and g[0].startswith(("p3.", "j2.", "j3."))]
    assert alone == [("p3.update",)]  # its other kernels still share classes with the other objects
    assert new.compiled_objects == 1  # only the changed population's update kernel went through LLVM
    changed.simulate(5.0)
    assert np.all(np.isfinite(changed.get_population("p3").r))


NETWORKS = [
    pytest.param(lambda: ring(apart=False), id="rate-ring"),
    pytest.param(lambda: ring(apart=True), id="rate-ring-apart"),
]


def _spiking() -> ann.Network:
    net = ann.Network(dt=0.5, seed=2)
    lif = ann.Neuron(
        parameters=dict(tau=20.0, Vt=-50.0, Vr=-60.0, El=-60.0, I=12.0),
        equations=["tau * dv/dt = El - v + g_exc * (0.0 - v) + I", "5.0 * dg_exc/dt = -g_exc"],
        spike="v > Vt",
        reset="v = Vr",
        refractory=2.0,
    )
    pops = [net.create(10, lif, name=f"c{i}") for i in range(4)]
    pops.append(net.create(ann.PoissonPopulation(10, rates=30.0, name="noise")))
    for i in range(4):
        proj = net.connect(pops[i], pops[(i + 1) % 4], "exc", name=f"d{i}")
        proj.fixed_probability(0.4, weights=0.5, delays=ann.Uniform(0.5, 2.0, rng=net.default_rng))
        net.connect(pops[4], pops[i], "exc", synapse=ann.STDP(), name=f"s{i}").fixed_number_pre(
            3, weights=0.1
        )
    return net


def _extensions() -> ann.Network:
    """Projections that read another's synapses (copies, transposes) and convolutions, twice each."""
    from nnc.extensions.convolution import Convolution, Copy, Transpose

    net = ann.Network(dt=1.0, seed=1)
    for n in range(2):
        a = net.create((3, 4), ann.Neuron(parameters="r = 0.0", equations="x = sum(fb)"), name=f"a{n}")
        b = net.create(7, ann.Neuron(equations="r = sum(exc)"), name=f"b{n}")
        c = net.create(7, ann.Neuron(equations="r = sum(exc) + sum(inh)"), name=f"c{n}")
        proj = net.connect(a, b, "exc", name=f"w{n}")
        proj.fixed_probability(0.4, weights=ann.Uniform(-1, 1, rng=np.random.default_rng(3)))
        net.connect(Copy(a, c, "exc", psp="w * pre.r * pre.r")).copy(proj)
        net.connect(Copy(a, c, "inh", operation="max")).connect_copy(proj)
        net.connect(Transpose(proj, "fb")).transpose()
        out = net.create((3, 4), ann.Neuron(equations="r = sum(exc)"), name=f"o{n}")
        net.connect(Convolution(a, out, "exc")).connect_filter(np.arange(9.0).reshape(3, 3) / 9.0)
    return net


@pytest.mark.parametrize(
    "build",
    [
        *NETWORKS,
        pytest.param(_spiking, id="spiking-delays-stdp"),
        pytest.param(_extensions, id="copies-transposes-convolutions"),
    ],
)
def test_reusing_a_kernel_of_the_same_context_builds_the_same_classes_and_descriptors(build) -> None:
    net = build()
    net.compile(silent=True)
    module = net._runtime.module
    layout = layout_of(module)
    quick = share_kernels(module, layout, kernel_slots)
    full = share_kernels(module, layout, kernel_slots, memo=False)
    assert [c.digest for c in quick.classes] == [c.digest for c in full.classes]
    assert [c.instances for c in quick.classes] == [c.instances for c in full.classes]
    assert quick.class_of == full.class_of
    assert quick.offsets == full.offsets
    assert np.array_equal(quick.descriptors, full.descriptors)
    assert len(quick.classes) < len(module.kernels)
