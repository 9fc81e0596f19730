"""The adaptive thread count (CompileOptions.adaptive_threads): which count each chunk of a run uses."""

from __future__ import annotations

import itertools

import nnc as ann
from nnc.backend.llvm.engine import CHUNK_SECONDS, PROBE_EVERY, ThreadChooser


def _drive(chooser: ThreadChooser, seconds_per_step: dict[int, float], chunks: int) -> list[int]:
    used = []
    for _ in range(chunks):
        threads, steps = chooser.next_chunk(10**9)
        chooser.observe(threads, steps, steps * seconds_per_step[threads])
        used.append(threads)
    return used


def test_measures_both_then_runs_the_faster_and_probes_less_and_less() -> None:
    chooser = ThreadChooser(2)
    used = _drive(chooser, {2: 1e-5, 1: 2e-5}, 200)
    assert used[:5] == [2, 2, 2, 1, 1]  # a warm-up chunk, then each measured twice
    probes = [i for i, n in enumerate(used[5:], 5) if n == 1]
    assert probes[0] - 5 <= PROBE_EVERY
    gaps = [b - a for a, b in itertools.pairwise(probes)]
    assert gaps == sorted(gaps)
    assert gaps[-1] > gaps[0]
    threads, steps = chooser.next_chunk(10**9)
    if threads == 2:
        assert steps == int(CHUNK_SECONDS / 1e-5)


def test_follows_a_change_of_load() -> None:
    chooser = ThreadChooser(2)
    _drive(chooser, {2: 1e-5, 1: 2e-5}, 50)
    used = _drive(chooser, {2: 5e-5, 1: 2e-5}, 200)  # the other core became busy
    assert used[-20:].count(1) >= 18


def test_a_run_on_a_busy_machine_gives_the_same_bits_with_or_without_adaptation() -> None:
    results = []
    for adaptive in (True, False):
        net = ann.Network(dt=0.1, seed=3)
        pop = net.create(200, ann.IF_cond_exp(i_offset=0.5, tau_refrac=2.0))
        pop.v = ann.Uniform(-70.0, -50.0, rng=net.default_rng)
        net.connect(pop, pop, "exc").fixed_probability(0.1, weights=0.05)
        m = net.monitor(pop, "spike")
        net.config(num_threads=2, adaptive_threads=adaptive)
        net.compile()
        net.simulate(200.0)
        results.append((m.get("spike"), pop.v.copy()))
    assert results[0][0] == results[1][0]
    assert (results[0][1] == results[1][1]).all()


def test_keeps_the_requested_threads_within_noise() -> None:
    chooser = ThreadChooser(2)
    used = _drive(chooser, {2: 1.05e-5, 1: 1e-5}, 100)  # one thread 5 % faster: within the margin
    assert used[-32:].count(2) >= 30  # two-thread chunks, but for a probe or two of one thread
