"""The threads' barrier (both implementations): nobody passes early, the stop flag is published, the
spin budget adapts to late threads, and each platform gets its own wait calls."""

from __future__ import annotations

import ctypes
import threading
import time

import numpy as np
import pytest
from llvmlite import ir

from nnc.backend.llvm import loops
from nnc.backend.llvm.jit import LoadedObject, emit_object, host_target, optimise, parse, target_machine
from nnc.backend.llvm.loops import (
    SPIN_MAX,
    SPIN_MIN,
    SYNC_SPIN,
    SYNC_STOP,
    BarrierKind,
    _pause,
    build_barrier,
    default_barrier_kind,
    for_range,
    sync_word,
)

I32, I64, PTR = ir.IntType(32), ir.IntType(64), ir.PointerType()
KINDS = [
    k for k in BarrierKind if k is not BarrierKind.FUTEX or default_barrier_kind(host_target().arch) is k
]


def _element(b: ir.IRBuilder, base: ir.Value, i: ir.Value) -> ir.Value:
    addr = b.gep(base, [i], source_etype=I64)
    addr.type = ir.PointerType(I64)
    return addr


def _module(kind: BarrierKind) -> ir.Module:
    """``run(nthreads, tid, counters, rounds, stop, errors, lag)``: per round (the last thread first
    pauses ``lag`` times), publish the round in ``counters[tid]``, pass the barrier, count the threads
    whose counter is behind; ``word(i)`` reads ``@nnc.sync``."""
    m = ir.Module(f"barrier_{kind.value}")
    barrier = build_barrier(m, host_target().arch, kind)
    fn = ir.Function(m, ir.FunctionType(ir.VoidType(), [I64, I64, PTR, I64, PTR, PTR, I64]), "run")
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    nthreads, tid, counters, rounds, stop, errors, lag = fn.args
    with for_range(b, I64(0), rounds) as r:
        with b.if_then(b.icmp_signed("==", tid, b.sub(nthreads, I64(1)))), for_range(b, I64(0), lag):
            _pause(b, host_target().arch)  # as long as one poll of the waiting threads
        b.store_atomic(b.add(r, I64(1)), _element(b, counters, tid), "release", 8)
        b.call(barrier, [nthreads, stop])
        with for_range(b, I64(0), nthreads) as j:
            seen = b.load_atomic(_element(b, counters, j), "acquire", 8)
            with b.if_then(b.icmp_signed("<", seen, b.add(r, I64(1)))):
                err = _element(b, errors, tid)
                b.store(b.add(b.load(err, typ=I64), I64(1)), err)
    b.ret_void()
    word = ir.Function(m, ir.FunctionType(I32, [I32]), "word")
    b = ir.IRBuilder(word.append_basic_block("entry"))
    for w in (SYNC_SPIN, SYNC_STOP):
        with b.if_then(b.icmp_signed("==", word.args[0], I32(w))):
            b.ret(b.load_atomic(sync_word(b, w), "monotonic", 4))
    b.ret(I32(-1))
    return m


class Harness:
    """A JIT-compiled barrier module and threads that run it."""

    RUN = ctypes.CFUNCTYPE(
        None, *[ctypes.c_int64] * 2, ctypes.c_void_p, ctypes.c_int64, *[ctypes.c_void_p] * 2, ctypes.c_int64
    )

    def __init__(self, kind: BarrierKind):
        host = host_target()
        tm = target_machine(host, 2)
        mod = parse(str(_module(kind)), f"barrier_{kind.value}")
        optimise(mod, tm, 2)
        self.loaded = LoadedObject(emit_object(mod, tm), host, 2)
        self.run_fn = self.RUN(self.loaded.address("run"))
        self.word = ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.c_int32)(self.loaded.address("word"))
        self.stop = np.zeros(1, dtype=np.int64)

    def run(self, nthreads: int, rounds: int, delays: tuple[float, ...] = (), lag: int = 0) -> np.ndarray:
        """Run ``rounds`` barriers on ``nthreads`` threads (thread i starts after ``delays[i]`` s, the
        last one polls ``lag`` times before each barrier); the number of violations each thread saw."""
        counters = np.zeros(nthreads, dtype=np.int64)
        errors = np.zeros(nthreads, dtype=np.int64)

        def work(tid: int) -> None:
            time.sleep(delays[tid] if tid < len(delays) else 0.0)
            stop, err = self.stop.ctypes.data, errors.ctypes.data
            self.run_fn(nthreads, tid, counters.ctypes.data, rounds, stop, err, lag)

        threads = [threading.Thread(target=work, args=(t,)) for t in range(nthreads)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert not any(t.is_alive() for t in threads), "a thread is stuck in the barrier"
        assert np.all(counters == rounds)
        return errors


@pytest.fixture(scope="module", params=KINDS, ids=[k.value for k in KINDS])
def harness(request: pytest.FixtureRequest):
    h = Harness(request.param)
    yield h
    h.loaded.close()


@pytest.mark.parametrize("nthreads", [1, 2, 3, 5])
def test_no_thread_passes_before_all_arrive(harness: Harness, nthreads: int) -> None:
    errors = harness.run(nthreads, 3000)
    assert errors.sum() == 0


def test_late_threads_wake_sleepers(harness: Harness) -> None:
    """Threads that arrive long after the others (which went to sleep) release them."""
    assert harness.run(3, 4, delays=(0.0, 0.05, 0.1)).sum() == 0


def test_the_last_thread_publishes_the_stop_flag(harness: Harness) -> None:
    for flag in (1, 0):
        harness.stop[0] = flag
        harness.run(2, 1)
        assert harness.word(SYNC_STOP) == flag
    harness.stop[0] = 1
    harness.run(1, 1)  # one thread: the barrier returns at once, still publishing
    assert harness.word(SYNC_STOP) == 1
    harness.stop[0] = 0
    harness.run(1, 1)


@pytest.fixture(params=KINDS, ids=[k.value for k in KINDS])
def adaptive(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest):
    """A harness whose waits count as short up to 20 ms of sleep (futex) or 12 sleeps (portable, about
    1.5 ms), and whose sleepers are late 20 ms after their wake-up: on a busy test machine a wake-up can
    take longer than the default thresholds."""
    monkeypatch.setattr(loops, "SHORT_WAIT_NS", 20_000_000)
    monkeypatch.setattr(loops, "WAKE_LATE_NS", 20_000_000)
    monkeypatch.setattr(loops, "SHORT_NAPS", 12)
    h = Harness(request.param)
    yield h
    h.loaded.close()


def test_spin_budget_halves_after_long_waits_and_grows_after_short_ones(adaptive: Harness) -> None:
    """A thread 50 ms late (busy, or not running at all) halves the budget down to SPIN_MIN; waits a
    little longer than the spin raise it by SPIN_MIN each."""
    h = adaptive
    assert h.word(SYNC_SPIN) == SPIN_MAX
    budgets = []
    for _ in range(3):
        h.run(2, 1, delays=(0.0, 0.05))
        budgets.append(h.word(SYNC_SPIN))
    assert budgets == [SPIN_MAX // 2, SPIN_MAX // 4, SPIN_MAX // 8]
    while h.word(SYNC_SPIN) > SPIN_MIN:
        h.run(2, 1, delays=(0.0, 0.05))
    h.run(2, 100, lag=4 * SPIN_MIN)  # each wait lasts about 4 SPIN_MIN polls
    assert h.word(SYNC_SPIN) >= 4 * SPIN_MIN


@pytest.mark.skipif(BarrierKind.FUTEX not in KINDS, reason="the futex barrier is Linux's")
def test_a_sleeper_woken_late_halves_the_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same short waits as above, but every futex sleeper counts as late after its wake-up (its core
    was taken): the budget stays at SPIN_MIN."""
    monkeypatch.setattr(loops, "SHORT_WAIT_NS", 20_000_000)
    monkeypatch.setattr(loops, "WAKE_LATE_NS", -1)
    h = Harness(BarrierKind.FUTEX)
    try:
        while h.word(SYNC_SPIN) > SPIN_MIN:
            h.run(2, 1, delays=(0.0, 0.05))
        h.run(2, 100, lag=4 * SPIN_MIN)
        assert h.word(SYNC_SPIN) == SPIN_MIN
    finally:
        h.loaded.close()


@pytest.mark.parametrize(
    ("platform", "arch", "kind", "calls"),
    [
        ("linux", "x86_64", BarrierKind.FUTEX, {"syscall", "clock_gettime"}),
        ("linux", "aarch64", BarrierKind.FUTEX, {"syscall", "clock_gettime"}),
        ("linux", "riscv64", BarrierKind.PORTABLE, {"usleep"}),
        ("darwin", "arm64", BarrierKind.PORTABLE, {"usleep"}),
        ("darwin", "x86_64", BarrierKind.PORTABLE, {"usleep"}),
        ("win32", "x86_64", BarrierKind.PORTABLE, {"Sleep"}),
        ("freebsd14", "x86_64", BarrierKind.PORTABLE, {"usleep"}),
    ],
)
def test_each_platform_gets_its_barrier(platform: str, arch: str, kind: BarrierKind, calls: set[str]) -> None:
    assert default_barrier_kind(arch, platform) is kind
    m = ir.Module("b")
    build_barrier(m, arch, platform=platform)
    declared = {f.name for f in m.functions if f.is_declaration and not f.name.startswith("llvm.")}
    assert declared == calls
    parse(str(m), "b")  # valid LLVM IR
    assert "sched_yield" not in str(m)
