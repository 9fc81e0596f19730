"""Bernoulli trials ``rng.random(n) < p`` of a NumPy generator, draw for draw, without the doubles.

``fixed_probability`` (API.md §7.2) keeps pre rank ``i`` of a row iff ``rng.random(width)[i] < p``; for big
projections that is hundreds of millions of draws. :func:`bernoulli_indices` returns the indices ``i < n``
with ``rng.random(n)[i] < p`` and leaves the generator exactly where ``rng.random(n)`` would.

Facts it relies on (NumPy's ``PCG64``, numpy/random/src/pcg64):

* ``Generator.random`` makes one double per 64-bit output ``x``: ``(x >> 11) * 2**-53``; nothing is buffered
  in the Generator, and the bit generator's 32-bit buffer (``has_uint32``/``uinteger``) is neither read nor
  written. So for ``0 < p < 1``: ``u < p`` ⟺ ``(x >> 11) < T`` with ``T = ceil(p·2**53)`` ⟺
  ``x < T << 11`` (exact; ``T << 11 < 2**64``). ``p >= 1`` keeps everything, ``p <= 0`` (or NaN) nothing.
* PCG64 is a 128-bit LCG ``s ← a·s + c`` (c = ``inc``) whose output after each step is
  ``rotr64(hi(s) ^ lo(s), s >> 122)``. ``k`` steps at once are ``s ← A_k·s + C_k`` (:func:`jump`), so the
  draws ``i, i+1, ... i+V-1`` come from ``V`` independent lanes each stepping by ``V``: the JIT kernel below
  runs 16 lanes in vector registers and stores the indices kept (a compress-store), about 10x faster than
  ``rng.random`` plus a comparison. Long runs are split across two threads (each starts at its own jump).
* The final state is set through ``bit_generator.state`` with the 32-bit buffer fields left as they were
  (``PCG64.advance`` would clear them).

Other bit generators (and small ``n`` before the kernel exists) take the plain path:
``np.flatnonzero(rng.random(block) < p)`` block by block.
"""

from __future__ import annotations

import ctypes
import itertools
import math
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

_MASK128 = (1 << 128) - 1
_MASK64 = (1 << 64) - 1
#: PCG64's multiplier (PCG_DEFAULT_MULTIPLIER_128 in numpy/random/src/pcg64/pcg64.h)
PCG64_MULTIPLIER = 0x2360ED051FC65DA44385DF649FCCF645
#: lanes of the kernel (draws per loop iteration)
LANES = 16
#: draws per kernel call (the index buffer holds one int32 per draw)
CHUNK = 1 << 20
#: runs at least this long compile the kernel if it does not exist yet (below: NumPy's ``random``)
JIT_MIN_DRAWS = 1 << 23
#: once compiled, the kernel serves runs at least this long
KERNEL_MIN_DRAWS = 1 << 12
#: runs at least this long are split across threads
THREAD_MIN_DRAWS = 1 << 24
#: block of the plain path (doubles per ``rng.random`` call)
NUMPY_BLOCK = 1 << 18


# ------------------------------------------------------------------------------------------ PCG64 maths
def jump(delta: int, inc: int, mult: int = PCG64_MULTIPLIER) -> tuple[int, int]:
    """``(A, C)`` with ``s_{n+delta} = A·s_n + C (mod 2**128)`` for the LCG ``s ← mult·s + inc``.

    Brown's algorithm (the one of ``pcg_advance_lcg_128``): square-and-multiply on the affine map.
    """
    acc_mult, acc_plus = 1, 0
    cur_mult, cur_plus = mult, inc
    delta &= _MASK128
    while delta:
        if delta & 1:
            acc_mult = acc_mult * cur_mult & _MASK128
            acc_plus = (acc_plus * cur_mult + cur_plus) & _MASK128
        cur_plus = (cur_mult + 1) * cur_plus & _MASK128
        cur_mult = cur_mult * cur_mult & _MASK128
        delta >>= 1
    return acc_mult, acc_plus


def threshold(p: float) -> int:
    """``t`` with ``(x >> 11) * 2**-53 < p`` ⟺ ``x < t`` for every 64-bit ``x`` (``0 < p < 1``)."""
    return math.ceil(p * 2.0**53) << 11


_jumps: dict[tuple[int, int], tuple[int, int]] = {}
_tables: dict[int, np.ndarray] = {}


def _jump_cached(delta: int, inc: int) -> tuple[int, int]:
    key = (delta, inc)
    hit = _jumps.get(key)
    if hit is None:
        if len(_jumps) > 256:
            _jumps.clear()
        hit = _jumps[key] = jump(delta, inc)
    return hit


def _lane_table(inc: int) -> np.ndarray:
    """``A_j, C_j`` for ``j = 1..LANES`` as little-endian 64-bit words: the kernel's lane starts."""
    table = _tables.get(inc)
    if table is None:
        words = []
        for j in range(1, LANES + 1):
            a, c = jump(j, inc)
            words += [a & _MASK64, a >> 64, c & _MASK64, c >> 64]
        if len(_tables) > 64:
            _tables.clear()
        table = _tables[inc] = np.array(words, dtype=np.uint64)
    return table


# ------------------------------------------------------------------------------------------ the kernel
def kernel_ir(lanes: int = LANES) -> str:
    """LLVM IR of ``i64 nnc_bernoulli(ptr s0, ptr table, i64 n, i64 thr, ptr out)``.

    ``s0``: the PCG64 state (two little-endian words) before the first draw; ``table``: ``A_j, C_j``
    (``j = 1..lanes``) so that lane ``j`` starts at the state of draw ``j - 1`` and steps by
    ``A_lanes, C_lanes``. Stores every index ``i < n`` whose output is ``< thr`` into ``out`` (int32,
    ascending; ``out`` has room for ``n + lanes``) and returns how many. ``n < 2**31``.
    """
    v = lanes
    vec, vec32, mask = f"<{v} x i64>", f"<{v} x i32>", f"<{v} x i1>"

    def splat(x: int) -> str:
        return "<" + ", ".join(f"i64 {x}" for _ in range(v)) + ">"

    lo32, s32 = splat(0xFFFFFFFF), splat(32)
    out = [
        f"declare {vec} @llvm.fshr.v{v}i64({vec}, {vec}, {vec})",
        f"declare void @llvm.masked.compressstore.v{v}i32({vec32}, ptr, {mask})",
        f"declare i{v} @llvm.ctpop.i{v}(i{v})",
        "define i64 @nnc_bernoulli(ptr %s0p, ptr %tab, i64 %n, i64 %thr, ptr noalias %out) {",
        "entry:",
        "  %seed = load i128, ptr %s0p, align 8",
    ]
    a = out.append
    for j in range(v):  # lane j: state after j + 1 steps
        a(f"  %pA{j} = getelementptr i128, ptr %tab, i64 {2 * j}")
        a(f"  %pC{j} = getelementptr i128, ptr %tab, i64 {2 * j + 1}")
        a(f"  %A{j} = load i128, ptr %pA{j}, align 8")
        a(f"  %C{j} = load i128, ptr %pC{j}, align 8")
        a(f"  %m{j} = mul i128 %A{j}, %seed")
        a(f"  %st{j} = add i128 %m{j}, %C{j}")
        a(f"  %sl{j} = trunc i128 %st{j} to i64")
        a(f"  %sh{j}w = lshr i128 %st{j}, 64")
        a(f"  %sh{j} = trunc i128 %sh{j}w to i64")
        prev_l, prev_h = ("poison", "poison") if j == 0 else (f"%vl{j - 1}", f"%vh{j - 1}")
        a(f"  %vl{j} = insertelement {vec} {prev_l}, i64 %sl{j}, i32 {j}")
        a(f"  %vh{j} = insertelement {vec} {prev_h}, i64 %sh{j}, i32 {j}")
    step_a, step_c = f"%A{v - 1}", f"%C{v - 1}"  # the jump by `lanes` draws
    a(f"  %al = trunc i128 {step_a} to i64")
    a(f"  %ahw = lshr i128 {step_a}, 64")
    a("  %ah = trunc i128 %ahw to i64")
    a(f"  %cl = trunc i128 {step_c} to i64")
    a(f"  %chw = lshr i128 {step_c}, 64")
    a("  %ch = trunc i128 %chw to i64")
    for name in ("al", "ah", "cl", "ch", "thr"):
        a(f"  %{name}i = insertelement {vec} poison, i64 %{name}, i32 0")
        a(f"  %{name}V = shufflevector {vec} %{name}i, {vec} poison, <{v} x i32> zeroinitializer")
    a(f"  %a0V = and {vec} %alV, {lo32}")
    a(f"  %a1V = lshr {vec} %alV, {s32}")
    a("  %n32 = trunc i64 %n to i32")
    a(f"  %n32i = insertelement {vec32} poison, i32 %n32, i32 0")
    a(f"  %nV = shufflevector {vec32} %n32i, {vec32} poison, <{v} x i32> zeroinitializer")
    lane_ids = "<" + ", ".join(f"i32 {j}" for j in range(v)) + ">"
    out += [
        "  %empty = icmp eq i64 %n, 0",
        "  br i1 %empty, label %exit, label %loop",
        "loop:",
        "  %i = phi i64 [0, %entry], [%inext, %cont]",
        "  %k = phi i64 [0, %entry], [%knext, %cont]",
        f"  %l = phi {vec} [%vl{v - 1}, %entry], [%nl, %cont]",
        f"  %h = phi {vec} [%vh{v - 1}, %entry], [%nh, %cont]",
        # output: rotr64(hi ^ lo, hi >> 58)
        f"  %x0 = xor {vec} %h, %l",
        f"  %rot = lshr {vec} %h, {splat(58)}",
        f"  %x = call {vec} @llvm.fshr.v{v}i64({vec} %x0, {vec} %x0, {vec} %rot)",
        f"  %lt = icmp ult {vec} %x, %thrV",
        "  %i32 = trunc i64 %i to i32",
        f"  %i32i = insertelement {vec32} poison, i32 %i32, i32 0",
        f"  %iV = shufflevector {vec32} %i32i, {vec32} poison, <{v} x i32> zeroinitializer",
        f"  %idx = add {vec32} %iV, {lane_ids}",
        f"  %inr = icmp ult {vec32} %idx, %nV",
        f"  %keep = and {mask} %lt, %inr",
        f"  %bits = bitcast {mask} %keep to i{v}",
        f"  %any = icmp ne i{v} %bits, 0",
        "  br i1 %any, label %store, label %cont",
        "store:",
        "  %po = getelementptr i32, ptr %out, i64 %k",
        f"  call void @llvm.masked.compressstore.v{v}i32({vec32} %idx, ptr %po, {mask} %keep)",
        f"  %pc = call i{v} @llvm.ctpop.i{v}(i{v} %bits)",
        f"  %pcz = zext i{v} %pc to i64",
        "  %k2 = add i64 %k, %pcz",
        "  br label %cont",
        "cont:",
        "  %knext = phi i64 [%k, %loop], [%k2, %store]",
        # s <- A*s + C mod 2**128 on (hi, lo) words; lo*al in full through 32-bit halves
        f"  %l0 = and {vec} %l, {lo32}",
        f"  %l1 = lshr {vec} %l, {s32}",
        f"  %p00 = mul {vec} %l0, %a0V",
        f"  %p01 = mul {vec} %l0, %a1V",
        f"  %p10 = mul {vec} %l1, %a0V",
        f"  %p11 = mul {vec} %l1, %a1V",
        f"  %p00h = lshr {vec} %p00, {s32}",
        f"  %p01l = and {vec} %p01, {lo32}",
        f"  %p10l = and {vec} %p10, {lo32}",
        f"  %mid1 = add {vec} %p00h, %p01l",
        f"  %mid = add {vec} %mid1, %p10l",
        f"  %p01h = lshr {vec} %p01, {s32}",
        f"  %p10h = lshr {vec} %p10, {s32}",
        f"  %midh = lshr {vec} %mid, {s32}",
        f"  %hi1 = add {vec} %p11, %p01h",
        f"  %hi2 = add {vec} %hi1, %p10h",
        f"  %hiLL = add {vec} %hi2, %midh",
        f"  %midl = shl {vec} %mid, {s32}",
        f"  %p00l = and {vec} %p00, {lo32}",
        f"  %loLL = or {vec} %midl, %p00l",
        f"  %x1 = mul {vec} %l, %ahV",
        f"  %x2 = mul {vec} %h, %alV",
        f"  %nl = add {vec} %loLL, %clV",
        f"  %carry = icmp ult {vec} %nl, %clV",
        f"  %cz = zext {mask} %carry to {vec}",
        f"  %h1 = add {vec} %hiLL, %x1",
        f"  %h2 = add {vec} %h1, %x2",
        f"  %h3 = add {vec} %h2, %chV",
        f"  %nh = add {vec} %h3, %cz",
        f"  %inext = add i64 %i, {v}",
        "  %more = icmp ult i64 %inext, %n",
        "  br i1 %more, label %loop, label %exit",
        "exit:",
        "  %res = phi i64 [0, %entry], [%knext, %cont]",
        "  ret i64 %res",
        "}",
    ]
    return "\n".join(out)


_KERNEL_TYPE = ctypes.CFUNCTYPE(
    ctypes.c_int64, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64, ctypes.c_uint64, ctypes.c_void_p
)


class _Kernel:
    """The compiled kernel (one per process), checked against NumPy once before first use."""

    def __init__(self) -> None:
        from nnc.backend.llvm import jit

        host = jit.host_target()
        tm = jit.target_machine(host, 1)
        mod = jit.parse(kernel_ir(), "nnc_bernoulli")
        jit.optimise(mod, tm, 1)
        self._loaded = jit.LoadedObject(jit.emit_object(mod, tm), host, 1)
        self._fn = _KERNEL_TYPE(self._loaded.address("nnc_bernoulli"))

    def run(self, state: int, table: np.ndarray, n: int, thr: int, out: np.ndarray) -> int:
        """Indices ``< n`` kept from ``state`` on, into ``out`` (int32, ``n + LANES`` long); their count."""
        s0 = np.array([state & _MASK64, state >> 64], dtype=np.uint64)
        return int(self._fn(s0.ctypes.data, table.ctypes.data, n, thr, out.ctypes.data))

    def self_check(self) -> bool:
        """The kernel agrees with ``Generator.random`` on a few runs (lengths around the lane count)."""
        for seed, n, p in ((12345, 1000, 0.3), (7, 37, 0.9), (2**40 + 3, 5, 0.5), (1, 4099, 1e-3)):
            gen = np.random.default_rng(seed)
            st = gen.bit_generator.state["state"]
            out = np.empty(n + LANES, dtype=np.int32)
            k = self.run(st["state"], _lane_table(st["inc"]), n, threshold(p), out)
            if not np.array_equal(out[:k], np.flatnonzero(gen.random(n) < p)):
                return False
        return True


_kernel: _Kernel | None = None
_kernel_failed = False
_kernel_lock = threading.Lock()


def kernel(compile_if_missing: bool = True) -> _Kernel | None:
    """The process's kernel, compiled on first request; None if it cannot be built (plain path then)."""
    global _kernel, _kernel_failed
    if _kernel is not None or _kernel_failed or not compile_if_missing:
        return _kernel
    with _kernel_lock:
        if _kernel is None and not _kernel_failed:
            try:
                k = _Kernel()
                if k.self_check():
                    _kernel = k
                else:
                    _kernel_failed = True
            except Exception:  # no LLVM target, llvmlite trouble ...: the plain path is always right
                _kernel_failed = True
    return _kernel


# ------------------------------------------------------------------------------------------ entry point
def bernoulli_indices(rng: np.random.Generator, n: int, p: float) -> np.ndarray:
    """Ascending int64 indices ``i < n`` with ``rng.random(n)[i] < p``; ``rng`` advances as by that call."""
    n = int(n)
    p = float(p)
    if n <= 0:
        return np.zeros(0, dtype=np.int64)
    bg = rng.bit_generator
    if type(bg) is not np.random.PCG64:
        return _plain(rng, n, p)
    if not p > 0.0 or p >= 1.0:  # p <= 0 or NaN: nothing; p >= 1: everything (u < 1 always)
        _advance(bg, n)
        return np.arange(n, dtype=np.int64) if p >= 1.0 else np.zeros(0, dtype=np.int64)
    k = kernel(compile_if_missing=n >= JIT_MIN_DRAWS) if n >= KERNEL_MIN_DRAWS else None
    if k is None:
        return _plain(rng, n, p)
    with bg.lock:  # read, draw and write back the state as one step, like Generator.random
        state = bg.state
        s0, inc = state["state"]["state"], state["state"]["inc"]
        pieces = _spans(k, s0, inc, n, threshold(p))
        a, c = _jump_cached(n, inc)
        state["state"]["state"] = (a * s0 + c) & _MASK128  # has_uint32 / uinteger stay as they were
        bg.state = state
    flat = [x for piece in pieces for x in piece]
    return np.concatenate(flat) if flat else np.zeros(0, dtype=np.int64)


def _spans(k: _Kernel, s0: int, inc: int, n: int, thr: int) -> list[list[np.ndarray]]:
    """Kept indices of ``n`` draws from state ``s0``: on two threads (each from its jump) for long runs."""
    table = _lane_table(inc)
    parts = 2 if n >= THREAD_MIN_DRAWS and (os.cpu_count() or 1) > 1 else 1
    bounds = [n * i // parts for i in range(parts + 1)]
    jobs = []
    for lo, hi in itertools.pairwise(bounds):
        a, c = jump(lo, inc)  # the state before draw `lo`
        jobs.append((k, (a * s0 + c) & _MASK128, table, lo, hi, thr, inc))
    if parts == 1:
        return [_run_span(*jobs[0])]
    with ThreadPoolExecutor(max_workers=parts) as pool:  # the kernel runs without the GIL (ctypes)
        return list(pool.map(lambda job: _run_span(*job), jobs))


def _run_span(
    k: _Kernel, state: int, table: np.ndarray, lo: int, hi: int, thr: int, inc: int
) -> list[np.ndarray]:
    """Kept indices of draws ``lo .. hi`` (``state``: the state before draw ``lo``), chunk by chunk."""
    buf = np.empty(min(CHUNK, hi - lo) + LANES, dtype=np.int32)
    out = []
    start = lo
    while start < hi:
        n = min(CHUNK, hi - start)
        kept = k.run(state, table, n, thr, buf)
        if kept:
            out.append(buf[:kept] + np.int64(start))
        a, c = _jump_cached(n, inc)
        state = (a * state + c) & _MASK128
        start += n
    return out


def _advance(bg: np.random.PCG64, n: int) -> None:
    """Move ``bg`` by ``n`` draws as ``random(n)`` would (unlike ``advance``, keeps the 32-bit buffer)."""
    with bg.lock:
        state = bg.state
        a, c = _jump_cached(n, state["state"]["inc"])
        state["state"]["state"] = (a * state["state"]["state"] + c) & _MASK128
        bg.state = state


def _plain(rng: np.random.Generator, n: int, p: float) -> np.ndarray:
    """``np.flatnonzero(rng.random(n) < p)``, block by block."""
    out = []
    for start in range(0, n, NUMPY_BLOCK):
        kept = np.flatnonzero(rng.random(min(NUMPY_BLOCK, n - start)) < p)
        if len(kept):
            out.append(kept + start)
    return np.concatenate(out) if out else np.zeros(0, dtype=np.int64)
