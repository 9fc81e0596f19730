"""Control-flow builders: counted loops and branches as context managers, static loop partition, barrier.

Parallel loops are statically partitioned (DESIGN.md §4): thread ``tid`` of ``nthreads`` runs a
contiguous chunk of ``[0, n)`` whose length is a multiple of 8 elements (a 64-byte cache line of doubles),
so threads never write the same cache line of a per-element array. Phases are separated by a barrier
written in IR, libc (or kernel32) only: a waiting thread spins with an adaptive budget, then sleeps. Two
implementations share that interface (:class:`BarrierKind`), chosen by platform when the module is built:
on Linux the waiter sleeps on a futex (``syscall(SYS_futex)``) and the last thread wakes it; elsewhere it
sleeps with a doubling delay and polls (``usleep``; on Windows ``Sleep(0)``, a yield, then ``Sleep(1)``).
Neither calls ``sched_yield``: on a machine whose cores are all busy, each yield handed the core to
another process for a whole time slice, and 2 threads ran several times slower than 1 (measured with
``benchmarks/oversubscription.py``, for both barriers; ``docs/platforms.md``). With one thread the
barrier returns at once.
"""

from __future__ import annotations

import contextlib
import enum
import sys
from collections.abc import Iterator
from dataclasses import dataclass

from llvmlite import ir

from nnc.diagnostics import BackendError

I1 = ir.IntType(1)
I32 = ir.IntType(32)
I64 = ir.IntType(64)
PTR = ir.PointerType()

#: Elements per partition granule (a cache line of 8 doubles).
CHUNK_ALIGN = 8
#: Barrier: bounds of the adaptive spin budget (polls before a waiting thread sleeps); a wait that
#: ends within SHORT_WAIT_NS of sleep on the futex, or within SHORT_NAPS sleeps of the portable
#: barrier, counts as short; a futex sleeper that runs more than WAKE_LATE_NS after its wake-up was
#: starved (its core was busy).
SPIN_MIN = 32
SPIN_MAX = 2048
SHORT_WAIT_NS = 50_000
WAKE_LATE_NS = 100_000
SHORT_NAPS = 2

_SYS_FUTEX = {"x86_64": 202, "aarch64": 98}
_FUTEX_WAIT_PRIVATE = 128
_FUTEX_WAKE_PRIVATE = 129
_INT_MAX = 2**31 - 1
_CLOCK_MONOTONIC = 1  # Linux

#: Words of the module's synchronisation state (``@nnc.sync``, one cache line each; SYNC_WOKEN is the
#: 64-bit time of the last futex wake-up, in two words).
SYNC_ARRIVED, SYNC_GENERATION, SYNC_SLEEPERS, SYNC_STOP, SYNC_SPIN, SYNC_WOKEN = 0, 16, 32, 48, 64, 80
_SYNC_WORDS = 96


def alloca_once(b: ir.IRBuilder, ty: ir.Type, name: str = "") -> ir.AllocaInstr:
    """A stack slot allocated once, in the entry block of the current function."""
    with b.goto_entry_block():
        return b.alloca(ty, name=name)


@contextlib.contextmanager
def for_range(b: ir.IRBuilder, start: ir.Value, stop: ir.Value, step: int = 1) -> Iterator[ir.Value]:
    """``for i in range(start, stop, step)`` (``step > 0``); the body is built inside the ``with``."""
    ity = start.type
    pre = b.block
    head = b.append_basic_block("for.head")
    body = b.append_basic_block("for.body")
    end = b.append_basic_block("for.end")
    b.branch(head)
    b.position_at_end(head)
    i = b.phi(ity, name="i")
    i.add_incoming(start, pre)
    b.cbranch(b.icmp_signed("<", i, stop), body, end)
    b.position_at_end(body)
    yield i
    nxt = b.add(i, ir.Constant(ity, step), name="i.next")
    i.add_incoming(nxt, b.block)
    b.branch(head)
    b.position_at_end(end)


@contextlib.contextmanager
def if_then(b: ir.IRBuilder, cond: ir.Value, likely: bool | None = None) -> Iterator[None]:
    """``if cond:`` (the body is built inside the ``with``)."""
    with b.if_then(cond, likely=likely):
        yield


def partition(
    b: ir.IRBuilder, n: ir.Value, tid: ir.Value, nthreads: ir.Value, align: int = CHUNK_ALIGN
) -> tuple[ir.Value, ir.Value]:
    """``[begin, end)`` of thread ``tid``: chunks of ``ceil(n / nthreads)`` rounded up to ``align``
    elements (a power of two: 8 by default, whole blocks of a blocked reduction otherwise)."""
    if align & (align - 1):
        raise BackendError(f"partition granule {align} is not a power of two")
    per = b.sdiv(b.add(n, b.sub(nthreads, I64(1))), nthreads)
    chunk = b.and_(b.add(per, I64(align - 1)), I64(-align))
    begin = _smin(b, b.mul(tid, chunk), n)
    end = _smin(b, b.add(begin, chunk), n)
    return begin, end


def _smin(b: ir.IRBuilder, x: ir.Value, y: ir.Value) -> ir.Value:
    return b.select(b.icmp_signed("<", x, y), x, y)


def _umin(b: ir.IRBuilder, x: ir.Value, y: ir.Value) -> ir.Value:
    return b.select(b.icmp_unsigned("<", x, y), x, y)


def _umax(b: ir.IRBuilder, x: ir.Value, y: ir.Value) -> ir.Value:
    return b.select(b.icmp_unsigned(">", x, y), x, y)


def lane_max(b: ir.IRBuilder, v: ir.Value) -> ir.Value:
    """Largest lane of an integer vector (``v`` itself for a scalar)."""
    if not isinstance(v.type, ir.VectorType):
        return v
    name = f"llvm.vector.reduce.smax.v{v.type.count}i{v.type.element.width}"
    fn = b.module.globals.get(name) or ir.Function(b.module, ir.FunctionType(v.type.element, [v.type]), name)
    return b.call(fn, [v])


# --------------------------------------------------------------------------------------------------
# barrier


class BarrierKind(enum.StrEnum):
    """How a waiting thread waits once spinning failed (both spin first, with the same adaptive budget)."""

    FUTEX = "futex"  # Linux: sleep on the generation word (syscall futex), woken by the last thread
    PORTABLE = "portable"  # any OS: sleep with a growing delay and poll again


@dataclass(frozen=True, slots=True)
class OsWait:
    """The portable barrier's sleep call on one OS family (``sleep(delay)``, delay in the function's unit,
    grows as ``min(cap, 2 * delay + 1)`` from ``first``)."""

    sleep_fn: str
    first: int
    cap: int


#: The portable wait per OS family: POSIX ``usleep`` in microseconds (1 to 255), Windows ``Sleep`` in
#: milliseconds (``Sleep(0)`` gives up the rest of the time slice to a ready thread, then 1 ms sleeps).
OS_WAITS = {
    "posix": OsWait("usleep", 1, 255),
    "windows": OsWait("Sleep", 0, 1),
}


def default_barrier_kind(arch: str, platform: str = sys.platform) -> BarrierKind:
    """The barrier of this platform: the futex on Linux (where its syscall number is known), else portable."""
    return BarrierKind.FUTEX if platform.startswith("linux") and arch in _SYS_FUTEX else BarrierKind.PORTABLE


def os_family(platform: str = sys.platform) -> str:
    """Key of :data:`OS_WAITS` for ``platform`` (``sys.platform`` by default)."""
    return "windows" if platform == "win32" else "posix"


def sync_state(module: ir.Module) -> ir.GlobalVariable:
    """The module's synchronisation words (``@nnc.sync``): barrier counters, the published stop flag and
    the barrier's spin budget (which starts at :data:`SPIN_MAX`)."""
    existing = module.globals.get("nnc.sync")
    if existing is not None:
        return existing
    ty = ir.ArrayType(I32, _SYNC_WORDS)
    gv = ir.GlobalVariable(module, ty, "nnc.sync")
    gv.linkage = "internal"
    gv.initializer = ir.Constant(ty, [I32(SPIN_MAX if w == SYNC_SPIN else 0) for w in range(_SYNC_WORDS)])
    gv.align = 64
    return gv


def sync_word(b: ir.IRBuilder, word: int, ty: ir.Type = I32) -> ir.Value:
    """Pointer to one word of ``@nnc.sync`` (``ty``: a wider integer starting there)."""
    state = sync_state(b.module)
    addr = b.gep(state, [I32(0), I32(word)], inbounds=True, source_etype=state.value_type)
    addr.type = ir.PointerType(ty)  # a typed pointer: llvmlite's atomic builders check the pointee
    return addr


def _declare(
    module: ir.Module, name: str, ret: ir.Type, args: list[ir.Type], var_arg: bool = False
) -> ir.Function:
    existing = module.globals.get(name)
    if existing is not None:
        return existing
    return ir.Function(module, ir.FunctionType(ret, args, var_arg=var_arg), name)


def _pause(b: ir.IRBuilder, arch: str) -> None:
    match arch:
        case "x86_64" | "amd64":
            b.call(_declare(b.module, "llvm.x86.sse2.pause", ir.VoidType(), []), [])
        case "aarch64" | "arm64":
            b.call(_declare(b.module, "llvm.aarch64.hint", ir.VoidType(), [I32]), [I32(1)])


def _futex(
    b: ir.IRBuilder, arch: str, word: ir.Value, op: int, val: ir.Value, timeout: ir.Value | None = None
) -> None:
    syscall = _declare(b.module, "syscall", I64, [I64], var_arg=True)
    null = ir.Constant(PTR, None)
    b.call(syscall, [I64(_SYS_FUTEX[arch]), word, I32(op), val, timeout or null, null, I32(0)])


def _changed(b: ir.IRBuilder, gen_ptr: ir.Value, gen: ir.Value) -> ir.Value:
    return b.icmp_unsigned("!=", b.load_atomic(gen_ptr, "acquire", 4), gen)


def _publish_stop(b: ir.IRBuilder, stop: ir.Value) -> None:
    """Copy ``*stop != 0`` (the host's STOP slot) into ``@nnc.sync``'s stop word."""
    flag = b.icmp_signed("!=", b.load_atomic(stop, "monotonic", 8, typ=I64), I64(0))
    b.store_atomic(b.zext(flag, I32), sync_word(b, SYNC_STOP), "monotonic", 4)


def build_barrier(
    module: ir.Module, arch: str, kind: BarrierKind | None = None, platform: str = sys.platform
) -> ir.Function:
    """Define ``void @nnc.barrier(i64 nthreads, ptr stop)``: a reusable central barrier.

    The last thread to arrive copies the host's STOP flag (``*stop``) into the shared stop word before
    releasing the others, so every thread reads the same decision after the barrier. A waiting thread
    spins (:func:`_spin`), then waits as ``kind`` says (default: :func:`default_barrier_kind` of
    ``arch`` and ``platform``, a ``sys.platform`` value: the process that builds the module runs it),
    and adapts the spin budget to how long the wait was (:func:`_adapt`). The barrier only orders the
    threads: results never depend on how a thread waited.
    """
    kind = kind if kind is not None else default_barrier_kind(arch, platform)
    fn = ir.Function(module, ir.FunctionType(ir.VoidType(), [I64, PTR]), "nnc.barrier")
    fn.linkage = "internal"
    fn.attributes.add("noinline")
    fn.attributes.add("nounwind")
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    nthreads, stop = fn.args
    with b.if_then(b.icmp_signed("<=", nthreads, I64(1))):
        _publish_stop(b, stop)
        b.ret_void()
    arrived, gen_ptr, sleepers = (sync_word(b, w) for w in (SYNC_ARRIVED, SYNC_GENERATION, SYNC_SLEEPERS))
    gen = b.load_atomic(gen_ptr, "acquire", 4)
    count = b.add(b.atomic_rmw("add", arrived, I32(1), "acq_rel"), I32(1))
    with b.if_then(b.icmp_signed("==", b.sext(count, I64), nthreads)):
        _publish_stop(b, stop)
        b.store_atomic(I32(0), arrived, "monotonic", 4)
        b.atomic_rmw("add", gen_ptr, I32(1), "seq_cst")
        if kind is BarrierKind.FUTEX:
            with b.if_then(b.icmp_unsigned("!=", b.load_atomic(sleepers, "seq_cst", 4), I32(0))):
                b.store_atomic(_now_ns(b), sync_word(b, SYNC_WOKEN, I64), "monotonic", 8)
                _futex(b, arch, gen_ptr, _FUTEX_WAKE_PRIVATE, I32(_INT_MAX))
        b.ret_void()
    spin = sync_word(b, SYNC_SPIN)
    budget = _spin(b, arch, gen_ptr, gen, spin)
    if kind is BarrierKind.FUTEX:
        short, late = _futex_wait(b, arch, gen_ptr, sleepers, gen)
    else:
        short = _portable_wait(b, OS_WAITS[os_family(platform)], gen_ptr, gen)
        late = ir.Constant(I1, 0)
    _adapt(b, spin, budget, b.and_(short, b.not_(late)))
    b.ret_void()
    return fn


def _spin(b: ir.IRBuilder, arch: str, gen_ptr: ir.Value, gen: ir.Value, spin: ir.Value) -> ir.Value:
    """Busy-poll the generation word up to the spin budget (``*spin``) times; return from the barrier if
    it changes. Returns the budget."""
    budget = b.load_atomic(spin, "monotonic", 4)
    with for_range(b, I32(0), budget):
        with b.if_then(_changed(b, gen_ptr, gen)):
            b.ret_void()
        _pause(b, arch)
    return budget


def _adapt(b: ir.IRBuilder, spin: ir.Value, budget: ir.Value, short: ir.Value) -> None:
    """After a spin that failed: raise the budget by :data:`SPIN_MIN` polls if the wait was short and the
    sleeper ran as soon as it was woken (spinning a little longer would have caught it), halve it
    otherwise: the other thread was busy for long, or not running at all, or this thread's core was
    taken when it was woken. On an oversubscribed machine spinning only burns the time of a core
    someone is waiting for, so the budget falls fast and rises slowly (measured: a spin of 2048 polls
    made 2 threads about twice as slow as one of 128 with every core busy), and a starved thread soon
    goes to sleep at once. A spin that succeeds leaves the budget as it is. Bounds: :data:`SPIN_MIN`,
    :data:`SPIN_MAX`."""
    longer = _umin(b, b.add(budget, I32(SPIN_MIN)), I32(SPIN_MAX))
    halved = _umax(b, b.lshr(budget, I32(1)), I32(SPIN_MIN))
    new = b.select(short, longer, halved)
    with b.if_then(b.icmp_unsigned("!=", new, budget)):
        b.store_atomic(new, spin, "monotonic", 4)


def _futex_wait(
    b: ir.IRBuilder, arch: str, gen_ptr: ir.Value, sleepers: ir.Value, gen: ir.Value
) -> tuple[ir.Value, ir.Value]:
    """Sleep on the futex until the generation changes (the last thread wakes the sleepers, noting the
    time in ``@nnc.sync``); the first sleep times out after :data:`SHORT_WAIT_NS`. Returns whether the
    release came before that, and whether this thread ran more than :data:`WAKE_LATE_NS` after the last
    wake-up (only if it slept)."""
    timeout = alloca_once(b, ir.ArrayType(I64, 2), "timeout")  # struct timespec {tv_sec, tv_nsec}
    b.store(ir.Constant(ir.ArrayType(I64, 2), [0, SHORT_WAIT_NS]), timeout)
    slept = alloca_once(b, I1, "slept")
    b.store(ir.Constant(I1, 0), slept)
    pre = b.block
    loop = b.append_basic_block("sleep")
    done = b.append_basic_block("sleep.done")
    b.branch(loop)
    b.position_at_end(loop)
    naps = b.phi(I32, name="naps")
    naps.add_incoming(I32(0), pre)
    first = b.icmp_unsigned("==", naps, I32(0))
    b.atomic_rmw("add", sleepers, I32(1), "seq_cst")
    with b.if_then(b.icmp_unsigned("==", b.load_atomic(gen_ptr, "seq_cst", 4), gen)):
        limit = b.select(first, timeout, ir.Constant(timeout.type, None))
        _futex(b, arch, gen_ptr, _FUTEX_WAIT_PRIVATE, gen, limit)
        b.store(ir.Constant(I1, 1), slept)
    b.atomic_rmw("sub", sleepers, I32(1), "seq_cst")
    naps.add_incoming(b.add(naps, I32(1)), b.block)
    b.cbranch(_changed(b, gen_ptr, gen), done, loop)
    b.position_at_end(done)
    late = alloca_once(b, I1, "late")
    b.store(ir.Constant(I1, 0), late)
    with b.if_then(b.load(slept, typ=I1)):
        woken = b.load_atomic(sync_word(b, SYNC_WOKEN, I64), "monotonic", 8)
        b.store(b.icmp_signed(">", b.sub(_now_ns(b), woken), I64(WAKE_LATE_NS)), late)
    return first, b.load(late, typ=I1)


def _now_ns(b: ir.IRBuilder) -> ir.Value:
    """``CLOCK_MONOTONIC`` in nanoseconds (``clock_gettime``, Linux)."""
    ts = alloca_once(b, ir.ArrayType(I64, 2), "now")
    clock_gettime = _declare(b.module, "clock_gettime", I32, [I32, PTR])
    b.call(clock_gettime, [I32(_CLOCK_MONOTONIC), ts])
    sec = b.load(b.gep(ts, [I32(0), I32(0)], source_etype=ts.allocated_type), typ=I64)
    nsec = b.load(b.gep(ts, [I32(0), I32(1)], source_etype=ts.allocated_type), typ=I64)
    return b.add(b.mul(sec, I64(1_000_000_000)), nsec)


def _portable_wait(b: ir.IRBuilder, os_wait: OsWait, gen_ptr: ir.Value, gen: ir.Value) -> ir.Value:
    """Sleep with a doubling delay until the generation changes; nobody wakes a sleeper, it sees the
    release after its current delay (at most ``cap``). Returns whether the release came within
    :data:`SHORT_NAPS` sleeps."""
    sleep_fn = _declare(b.module, os_wait.sleep_fn, I32, [I32])
    pre = b.block
    loop = b.append_basic_block("nap")
    nap = b.append_basic_block("nap.sleep")
    done = b.append_basic_block("nap.done")
    b.branch(loop)
    b.position_at_end(loop)
    naps = b.phi(I32, name="naps")
    naps.add_incoming(I32(0), pre)
    delay = b.phi(I32, name="delay")
    delay.add_incoming(I32(os_wait.first), pre)
    b.cbranch(_changed(b, gen_ptr, gen), done, nap)
    b.position_at_end(nap)
    b.call(sleep_fn, [delay])
    naps.add_incoming(b.add(naps, I32(1)), nap)
    delay.add_incoming(_umin(b, b.add(b.shl(delay, I32(1)), I32(1)), I32(os_wait.cap)), nap)
    b.branch(loop)
    b.position_at_end(done)
    return b.icmp_unsigned("<=", naps, I32(SHORT_NAPS))


def arch_of(triple: str) -> str:
    """Architecture part of a target triple."""
    arch = triple.split("-", 1)[0]
    if not arch:
        raise BackendError(f"cannot read the architecture of target triple '{triple}'")
    return arch
