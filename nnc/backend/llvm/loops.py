"""Control-flow builders: counted loops and branches as context managers, static loop partition, barrier.

Parallel loops are statically partitioned (DESIGN.md §4): thread ``tid`` of ``nthreads`` runs a
contiguous chunk of ``[0, n)`` whose length is a multiple of 8 elements (a 64-byte cache line of doubles),
so threads never write the same cache line of a per-element array. Phases are separated by a barrier
written in IR: spin ~100 times, then ``sched_yield``, then sleep on a futex (``syscall(SYS_futex)``), libc
only. With one thread the barrier returns at once.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from llvmlite import ir

from nnc.diagnostics import BackendError

I1 = ir.IntType(1)
I32 = ir.IntType(32)
I64 = ir.IntType(64)
PTR = ir.PointerType()

#: Elements per partition granule (a cache line of 8 doubles).
CHUNK_ALIGN = 8
#: Barrier: busy polls before yielding, then yields before sleeping on the futex.
SPIN_POLLS = 100
YIELD_POLLS = 20

_SYS_FUTEX = {"x86_64": 202, "aarch64": 98}
_FUTEX_WAIT_PRIVATE = 128
_FUTEX_WAKE_PRIVATE = 129
_INT_MAX = 2**31 - 1

#: Words of the module's synchronisation state (``@nnc.sync``, one cache line each).
SYNC_ARRIVED, SYNC_GENERATION, SYNC_SLEEPERS, SYNC_STOP = 0, 16, 32, 48
_SYNC_WORDS = 64


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


def lane_max(b: ir.IRBuilder, v: ir.Value) -> ir.Value:
    """Largest lane of an integer vector (``v`` itself for a scalar)."""
    if not isinstance(v.type, ir.VectorType):
        return v
    name = f"llvm.vector.reduce.smax.v{v.type.count}i{v.type.element.width}"
    fn = b.module.globals.get(name) or ir.Function(b.module, ir.FunctionType(v.type.element, [v.type]), name)
    return b.call(fn, [v])


# --------------------------------------------------------------------------------------------------
# barrier


def sync_state(module: ir.Module) -> ir.GlobalVariable:
    """The module's synchronisation words (``@nnc.sync``): barrier counters and the published stop flag."""
    existing = module.globals.get("nnc.sync")
    if existing is not None:
        return existing
    ty = ir.ArrayType(I32, _SYNC_WORDS)
    gv = ir.GlobalVariable(module, ty, "nnc.sync")
    gv.linkage = "internal"
    gv.initializer = ir.Constant(ty, None)
    gv.align = 64
    return gv


def sync_word(b: ir.IRBuilder, word: int) -> ir.Value:
    """Pointer to one word of ``@nnc.sync``."""
    state = sync_state(b.module)
    addr = b.gep(state, [I32(0), I32(word)], inbounds=True, source_etype=state.value_type)
    addr.type = ir.PointerType(I32)  # a typed pointer: llvmlite's atomic builders check the pointee
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
        case "x86_64":
            b.call(_declare(b.module, "llvm.x86.sse2.pause", ir.VoidType(), []), [])
        case "aarch64":
            b.call(_declare(b.module, "llvm.aarch64.hint", ir.VoidType(), [I32]), [I32(1)])


def _futex(b: ir.IRBuilder, arch: str, word: ir.Value, op: int, val: ir.Value) -> None:
    syscall = _declare(b.module, "syscall", I64, [I64], var_arg=True)
    null = ir.Constant(PTR, None)
    b.call(syscall, [I64(_SYS_FUTEX[arch]), word, I32(op), val, null, null, I32(0)])


def _changed(b: ir.IRBuilder, gen_ptr: ir.Value, gen: ir.Value) -> ir.Value:
    return b.icmp_unsigned("!=", b.load_atomic(gen_ptr, "acquire", 4), gen)


def _publish_stop(b: ir.IRBuilder, stop: ir.Value) -> None:
    """Copy ``*stop != 0`` (the host's STOP slot) into ``@nnc.sync``'s stop word."""
    flag = b.icmp_signed("!=", b.load_atomic(stop, "monotonic", 8, typ=I64), I64(0))
    b.store_atomic(b.zext(flag, I32), sync_word(b, SYNC_STOP), "monotonic", 4)


def build_barrier(module: ir.Module, arch: str) -> ir.Function:
    """Define ``void @nnc.barrier(i64 nthreads, ptr stop)``: a reusable central barrier.

    The last thread to arrive copies the host's STOP flag (``*stop``) into the shared stop word before
    releasing the others, so every thread reads the same decision after the barrier.
    """
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
        if arch in _SYS_FUTEX:
            with b.if_then(b.icmp_unsigned("!=", b.load_atomic(sleepers, "seq_cst", 4), I32(0))):
                _futex(b, arch, gen_ptr, _FUTEX_WAKE_PRIVATE, I32(_INT_MAX))
        b.ret_void()
    sched_yield = _declare(module, "sched_yield", I32, [])
    for polls, wait in (
        (SPIN_POLLS, lambda: _pause(b, arch)),
        (YIELD_POLLS, lambda: b.call(sched_yield, [])),
    ):
        with for_range(b, I32(0), I32(polls)):
            with b.if_then(_changed(b, gen_ptr, gen)):
                b.ret_void()
            wait()
    _sleep_until_changed(b, arch, gen_ptr, sleepers, gen)
    b.ret_void()
    return fn


def _sleep_until_changed(
    b: ir.IRBuilder, arch: str, gen_ptr: ir.Value, sleepers: ir.Value, gen: ir.Value
) -> None:
    """Sleep on the futex (or keep yielding where there is none) until the generation changes."""
    loop = b.append_basic_block("sleep")
    done = b.append_basic_block("sleep.done")
    b.branch(loop)
    b.position_at_end(loop)
    if arch in _SYS_FUTEX:
        b.atomic_rmw("add", sleepers, I32(1), "seq_cst")
        with b.if_then(b.icmp_unsigned("==", b.load_atomic(gen_ptr, "seq_cst", 4), gen)):
            _futex(b, arch, gen_ptr, _FUTEX_WAIT_PRIVATE, gen)
        b.atomic_rmw("sub", sleepers, I32(1), "seq_cst")
    else:
        b.call(_declare(b.module, "sched_yield", I32, []), [])
    b.cbranch(_changed(b, gen_ptr, gen), done, loop)
    b.position_at_end(done)


def arch_of(triple: str) -> str:
    """Architecture part of a target triple."""
    arch = triple.split("-", 1)[0]
    if not arch:
        raise BackendError(f"cannot read the architecture of target triple '{triple}'")
    return arch
