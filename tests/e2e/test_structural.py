"""Structural plasticity (SEMANTICS.md §16) against an independent NumPy model of the rules.

The model keeps the synapses as a dict ``(post, pre) -> values`` and applies, step by step, what the
semantics say: transmission with the synapses present at the start of the step, the synaptic equations,
then at the steps where a rule is due (``(k - offset) mod period == 0``) the creating rule over every
existing dendrite and every pre rank, then the pruning rule over every synapse. A probability draw is
``U < proba`` with ``U`` the f64 uniform of the Philox block of counter (post rank, pre rank, step, 0)
under the key of the rule's stream (nnc/ir/rng.py, checked against Random123's known answers in
tests/ir/test_rng.py). The networks run on the interpreter and on the LLVM engine with 1 and 2 threads;
all of them must give the model's synapses, and the same bits.
"""

from __future__ import annotations

import numpy as np
import pytest

import nnc as ann
from nnc.frontend.assemble import random_stream
from nnc.ir.rng import philox4x32, philox_key, uniform53
from nnc.ir.types import ObjKind
from nnc.runtime.structural import CREATING_DRAW, PRUNING_DRAW

SEED = 11
N_PRE, N_POST = 12, 5
RATES = np.random.default_rng(4).uniform(0.0, 1.0, N_PRE)
BASES = np.random.default_rng(5).uniform(0.2, 1.0, N_POST)


def uniform(seed: int, stream: int, post: int, pre: int, step: int) -> float:
    """The f64 uniform of the draw of element (post, pre) at ``step`` on ``stream``."""
    counter = np.array([[post], [pre], [step & 0xFFFFFFFF], [0]], dtype=np.uint32)
    x = philox4x32(counter, philox_key(seed, stream))
    return float(uniform53(x[0], x[1])[0])


def _stream(pid: int, draw: int) -> int:
    return random_stream(ObjKind.PROJECTION, pid, draw)


# ---------------------------------------------------------------------------------------- rate-coded
RATE_SYNAPSE = ann.Synapse(
    parameters="thr = 0.3 : projection",
    equations="age = age + 1 : init = 0",
    creating="pre.r * post.r > thr : proba = 0.4, w = 0.05",
    pruning=ann.Pruning("age > 6 and w < 0.5", proba=0.5),
)


def rate_model(initial: dict, steps: int, creating: tuple[int, int], pruning: tuple[int, int]) -> list:
    """Per step: (sum(exc) of every post neuron, the synapses after the step)."""
    syn = {key: dict(v) for key, v in initial.items()}
    dendrites = sorted({post for post, _ in syn})
    out = []
    for k in range(steps):
        sums = np.zeros(N_POST)
        for (post, pre), v in syn.items():
            sums[post] += v["w"] * RATES[pre]
        for v in syn.values():
            v["age"] += 1
        if (k - creating[1]) % creating[0] == 0:
            for post in dendrites:
                for pre in range(N_PRE):
                    if (post, pre) in syn or not RATES[pre] * BASES[post] > 0.3:
                        continue
                    if uniform(SEED, _stream(0, CREATING_DRAW), post, pre, k) < 0.4:
                        syn[(post, pre)] = {"w": 0.05, "age": 0.0}
        if (k - pruning[1]) % pruning[0] == 0:
            for (post, pre), v in list(syn.items()):
                if (
                    v["age"] > 6
                    and v["w"] < 0.5
                    and uniform(SEED, _stream(0, PRUNING_DRAW), post, pre, k) < 0.5
                ):
                    del syn[(post, pre)]
        out.append((sums, {key: dict(v) for key, v in syn.items()}))
    return out


def _synapses(proj) -> dict:
    return {
        (post, pre): {"w": w, "age": age}
        for post, pres, ws, ages in zip(proj.post_ranks, proj.pre_ranks, proj.w, proj.age, strict=True)
        for pre, w, age in zip(pres, ws, ages, strict=True)
    }


def run_rate(engine: str, threads: int, steps: int = 24) -> list:
    net = ann.Network(seed=SEED)
    net.config(engine=engine, num_threads=threads)
    pre = net.create(N_PRE, ann.Neuron(parameters="r = 0.0"))
    post = net.create(N_POST, ann.Neuron(parameters="base = 0.0", equations="r = base"))
    proj = net.connect(pre, post, "exc", RATE_SYNAPSE)
    proj.fixed_number_pre(4, ann.Uniform(0.1, 1.0, rng=np.random.default_rng(6)))
    net.compile()
    m = net.monitor(proj.dendrite(2), "age")
    assert net._config.structural_plasticity  # turned on by the rules
    pre.r, post.base = RATES, BASES
    net.step()
    proj.start_creating(period=3.0)  # from step 1
    proj.start_pruning(period=2.0)
    out = [(post.sum("exc"), _synapses(proj))]
    for _ in range(steps - 1):
        net.step()
        out.append((post.sum("exc"), _synapses(proj)))
    return out, m.get("age")


@pytest.fixture(scope="module")
def rate_runs():
    return {(e, t): run_rate(e, t) for e, t in (("interp", 1), ("llvm", 1), ("llvm", 2))}


def test_rate_rules_follow_the_model(rate_runs) -> None:
    runs, _ = rate_runs[("llvm", 1)]
    first = runs[0][1]
    initial = {key: {"w": v["w"], "age": 0.0} for key, v in first.items()}
    expected = rate_model(initial, len(runs), creating=(3, 1), pruning=(2, 1))
    created = pruned = 0
    for k, ((sums, syn), (want_sums, want_syn)) in enumerate(zip(runs, expected, strict=True)):
        assert syn.keys() == want_syn.keys(), f"step {k}"
        for key, v in syn.items():
            assert v == pytest.approx(want_syn[key], abs=0.0), f"step {k} synapse {key}"
        np.testing.assert_allclose(sums, want_sums, rtol=1e-12, err_msg=f"step {k}")
        if k:
            created += len(syn.keys() - runs[k - 1][1].keys())
            pruned += len(runs[k - 1][1].keys() - syn.keys())
    assert created > 10
    assert pruned > 5


def test_rate_rules_same_bits_on_every_engine(rate_runs) -> None:
    ref, ref_ages = rate_runs[("llvm", 1)]
    for key, (runs, ages) in rate_runs.items():
        for (sums, syn), (want_sums, want_syn) in zip(runs, ref, strict=True):
            np.testing.assert_array_equal(sums, want_sums, err_msg=str(key))
            assert syn == want_syn, key
        assert [list(a) for a in ages] == [list(a) for a in ref_ages], key


def test_dendrite_monitor_follows_its_synapses(rate_runs) -> None:
    runs, ages = rate_runs[("interp", 1)]
    for k, (_, syn) in enumerate(runs):
        want = [v["age"] for (post, _), v in sorted(syn.items()) if post == 2]
        assert list(np.atleast_1d(ages[k])) == want, f"step {k}"


# ---------------------------------------------------------------------------------------------- spiking
PRE_SPIKING = ann.Neuron(
    parameters="period = 3\na = 0.0",
    equations="c = c + 1",
    spike="c >= period",
    reset="c = 0",
)
POST_SPIKING = ann.Neuron(parameters="b = 0.0", equations="rec = g_exc\ng_exc = 0.0", spike="rec > 1e9")
SPIKE_SYNAPSE = ann.Synapse(
    pre_spike="g_target += w",
    creating=ann.Creating("pre.a + post.b > 1.0", proba=0.5, w=0.25),
    pruning="w < 0.3 and pre.a < 0.5 : proba = 0.3",
)
PERIODS = np.array([2, 3, 4, 5, 3, 2, 7, 4, 3, 5])
A = np.random.default_rng(7).uniform(0.0, 1.0, len(PERIODS))
B = np.random.default_rng(8).uniform(0.0, 1.0, 4)


def spiking_model(initial: dict, steps: int, delay: int) -> list:
    """Per step: ``rec`` of every post neuron (weights of the spikes delivered) and the synapses."""
    syn = dict(initial)
    dendrites = sorted({post for post, _ in syn})
    spikes = {k: [j for j in range(len(PERIODS)) if (k + 1) % PERIODS[j] == 0] for k in range(steps)}
    out = []
    for k in range(steps):
        rec = np.zeros(len(B))
        for j in spikes.get(k - delay, []):
            for (post, pre), w in syn.items():
                if pre == j:
                    rec[post] += w
        if k >= 1:  # both rules started at step 1 with period 1
            for post in dendrites:
                for pre in range(len(PERIODS)):
                    ok = (post, pre) not in syn and A[pre] + B[post] > 1.0
                    if ok and uniform(SEED, _stream(0, CREATING_DRAW), post, pre, k) < 0.5:
                        syn[(post, pre)] = 0.25
            for (post, pre), w in list(syn.items()):
                if w < 0.3 and A[pre] < 0.5 and uniform(SEED, _stream(0, PRUNING_DRAW), post, pre, k) < 0.3:
                    del syn[(post, pre)]
        out.append((rec, dict(syn)))
    return out


def run_spiking(engine: str, threads: int, steps: int = 30, delay: float = 3.0) -> list:
    net = ann.Network(seed=SEED)
    net.config(engine=engine, num_threads=threads, structural_plasticity=True)
    pre = net.create(len(PERIODS), PRE_SPIKING)
    post = net.create(len(B), POST_SPIKING)
    proj = net.connect(pre, post, "exc", SPIKE_SYNAPSE)
    proj.fixed_probability(0.4, ann.Uniform(0.1, 0.6, rng=np.random.default_rng(9)), delays=delay)
    net.compile()
    pre.period, pre.a, post.b = PERIODS, A, B
    net.step()
    proj.start_creating()
    proj.start_pruning()
    out = [(post.rec.copy(), _weights(proj))]
    for _ in range(steps - 1):
        net.step()
        out.append((post.rec.copy(), _weights(proj)))
    return out


def _weights(proj) -> dict:
    return {
        (post, pre): w
        for post, pres, ws in zip(proj.post_ranks, proj.pre_ranks, proj.w, strict=True)
        for pre, w in zip(pres, ws, strict=True)
    }


@pytest.mark.parametrize(("engine", "threads"), [("interp", 1), ("llvm", 1), ("llvm", 2)])
def test_spiking_rules_follow_the_model(engine: str, threads: int) -> None:
    runs = run_spiking(engine, threads)
    expected = spiking_model(runs[0][1], len(runs), delay=3)
    for k, ((rec, syn), (want_rec, want_syn)) in enumerate(zip(runs, expected, strict=True)):
        assert syn == want_syn, f"step {k}"
        np.testing.assert_allclose(rec, want_rec, rtol=1e-12, err_msg=f"step {k}")
    assert runs[-1][1].keys() != runs[0][1].keys()


def test_random_distribution_in_a_condition(engine: str) -> None:
    """``Uniform(0, 1)`` in a creating condition draws per (post, pre, step) on the synapse's own stream."""
    net = ann.Network(seed=SEED)
    net.config(engine=engine)
    pre, post = (
        net.create(N_PRE, ann.Neuron(parameters="r = 0.0")),
        net.create(N_POST, ann.Neuron(parameters="r = 0")),
    )
    syn = ann.Synapse(creating="Uniform(0.0, 1.0) < 0.2 : w = 1.0")
    proj = net.connect(pre, post, "exc", syn).one_to_one(1.0)
    net.compile()
    proj.start_creating()
    net.simulate(3.0)
    want = {(i, i) for i in range(N_POST)}
    for k in range(3):
        for i in range(N_POST):
            for j in range(N_PRE):
                if uniform(SEED, _stream(0, 0), i, j, k) < 0.2:
                    want.add((i, j))
    assert set(_weights(proj)) == want
