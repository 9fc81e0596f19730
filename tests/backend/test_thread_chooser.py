"""The adaptive thread count (CompileOptions.adaptive_threads): which count each chunk of a run uses."""

from __future__ import annotations

import itertools

import pytest

import nnc as ann
from nnc.backend.llvm.engine import CHUNK_SECONDS, MIN_LIMIT_SECONDS, OVERRUN, PROBE_EVERY, ThreadChooser


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


def test_a_chunk_that_overruns_its_limit_switches_to_one_thread_at_once() -> None:
    chooser = ThreadChooser(2)
    _drive(chooser, {2: 1e-5, 1: 2e-5}, 20)  # two threads faster
    threads, steps = chooser.next_chunk(10**9)
    assert threads == 2
    limit = chooser.limit(threads, steps)
    assert limit == max(MIN_LIMIT_SECONDS, OVERRUN * steps * 1e-5)
    # the other core became busy: 500 us per step; the chunk is cut at its limit
    done = int(limit / 5e-4)
    chooser.observe(2, done, limit, overran=True)
    assert chooser.per_step[2] == limit / done  # the earlier, faster samples are forgotten
    assert chooser.next_chunk(10**9)[0] == 1
    assert chooser.limit(1, 1000) is None  # one thread is never cut short


def test_chunks_cut_at_their_limit_lose_no_step_and_change_no_bit(monkeypatch: pytest.MonkeyPatch) -> None:
    """End to end: two-thread chunks stopped by their limit (here a tiny one, as on a starved machine)
    continue where they stopped; the run does every step and gives the bits of an uncut run."""
    results = []
    for cut in (False, True):
        if cut:
            monkeypatch.setattr(
                ThreadChooser, "limit", lambda self, threads, steps: 1e-3 if threads > 1 else None
            )
        net = ann.Network(dt=0.1, seed=3)
        pop = net.create(400, ann.IF_cond_exp(i_offset=0.5, tau_refrac=2.0))
        pop.v = ann.Uniform(-70.0, -50.0, rng=net.default_rng)
        net.connect(pop, pop, "exc").fixed_probability(0.1, weights=0.05)
        m = net.monitor(pop, "spike")
        net.config(num_threads=2)
        net.compile()
        engine = net._runtime.engine
        chunks: list[tuple[int, int, int]] = []
        real = engine._run_chunk

        def spy(buffers, nsteps, threads, limit=None, real=real, chunks=chunks):  # type: ignore[no-untyped-def]
            got, seconds = real(buffers, nsteps, threads, limit)
            chunks.append((threads, nsteps, got))
            return got, seconds

        monkeypatch.setattr(engine, "_run_chunk", spy)
        net.simulate(2000.0)
        assert net.current_step == 20000
        assert sum(got for _, _, got in chunks) == 20000
        if cut:
            assert any(got < asked for threads, asked, got in chunks if threads == 2)
        results.append((m.get("spike"), pop.v.copy()))
    assert results[0][0] == results[1][0]
    assert (results[0][1] == results[1][1]).all()
