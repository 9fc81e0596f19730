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

import functools
import itertools
import math
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from nnc.diagnostics import BackendError

if TYPE_CHECKING:
    from nnc.backend.llvm.pcg64 import BernoulliKernel

_MASK128 = (1 << 128) - 1
_MASK64 = (1 << 64) - 1
#: PCG64's multiplier (PCG_DEFAULT_MULTIPLIER_128 in numpy/random/src/pcg64/pcg64.h)
PCG64_MULTIPLIER = 0x2360ED051FC65DA44385DF649FCCF645
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
@functools.lru_cache(maxsize=256)
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


def advanced(state: int, delta: int, inc: int) -> int:
    """The PCG64 state ``delta`` draws after ``state``."""
    a, c = jump(delta, inc)
    return (a * state + c) & _MASK128


def threshold(p: float) -> int:
    """``t`` with ``(x >> 11) * 2**-53 < p`` ⟺ ``x < t`` for every 64-bit ``x`` (``0 < p < 1``)."""
    return math.ceil(p * 2.0**53) << 11


@functools.lru_cache(maxsize=16)
def lane_table(inc: int, lanes: int) -> np.ndarray:
    """``A_j, C_j`` for ``j = 1..lanes`` as little-endian 64-bit words (read-only): the kernel's lanes."""
    words = []
    for j in range(1, lanes + 1):
        a, c = jump(j, inc)
        words += [a & _MASK64, a >> 64, c & _MASK64, c >> 64]
    table = np.array(words, dtype=np.uint64)
    table.setflags(write=False)
    return table


# ------------------------------------------------------------------------------------------ the kernel
def _self_check(k: BernoulliKernel) -> bool:
    """The kernel agrees with ``Generator.random`` on a few runs (lengths around the lane count)."""
    for seed, n, p in ((12345, 1000, 0.3), (7, 37, 0.9), (2**40 + 3, 5, 0.5), (1, 4099, 1e-3)):
        gen = np.random.default_rng(seed)
        st = gen.bit_generator.state["state"]
        out = np.empty(n + k.lanes, dtype=np.int32)
        kept = k.run(st["state"], lane_table(st["inc"], k.lanes), n, threshold(p), out)
        if not np.array_equal(out[:kept], np.flatnonzero(gen.random(n) < p)):
            return False
    return True


@functools.lru_cache(maxsize=1)
def _compiled() -> BernoulliKernel | None:
    from nnc.backend.llvm.pcg64 import BernoulliKernel  # llvmlite: imported when first needed

    try:
        k = BernoulliKernel()
    except (BackendError, RuntimeError, OSError):  # no usable LLVM target: the plain path gives the same
        return None
    return k if _self_check(k) else None


def kernel(compile_if_missing: bool = True) -> BernoulliKernel | None:
    """The process's kernel, compiled (and checked against NumPy) on first request; None if unusable."""
    if not compile_if_missing and _compiled.cache_info().currsize == 0:
        return None
    return _compiled()


# ------------------------------------------------------------------------------------------ entry point
def bernoulli_indices(rng: np.random.Generator, n: int, p: float) -> np.ndarray:
    """Ascending int64 indices ``i < n`` with ``rng.random(n)[i] < p``; ``rng`` advances as by that call."""
    n, p = int(n), float(p)
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
        pieces = _spans(_Stream(k, inc, threshold(p), lane_table(inc, k.lanes)), s0, n)
        state["state"]["state"] = advanced(s0, n, inc)  # has_uint32 / uinteger stay as they were
        bg.state = state
    flat = [x for piece in pieces for x in piece]
    return np.concatenate(flat) if flat else np.zeros(0, dtype=np.int64)


@dataclass(frozen=True, slots=True)
class _Stream:
    """A kernel call but for its start state: the kernel, ``inc``, the threshold, the lane table."""

    kernel: BernoulliKernel
    inc: int
    thr: int
    table: np.ndarray


def _spans(stream: _Stream, s0: int, n: int) -> list[list[np.ndarray]]:
    """Kept indices of ``n`` draws from state ``s0``: on two threads (each from its jump) for long runs."""
    parts = 2 if n >= THREAD_MIN_DRAWS and (os.cpu_count() or 1) > 1 else 1
    bounds = [n * i // parts for i in range(parts + 1)]
    jobs = [(advanced(s0, lo, stream.inc), lo, hi) for lo, hi in itertools.pairwise(bounds)]
    if parts == 1:
        return [_run_span(stream, *jobs[0])]
    with ThreadPoolExecutor(max_workers=parts) as pool:  # the kernel runs without the GIL (ctypes)
        return list(pool.map(lambda job: _run_span(stream, *job), jobs))


def _run_span(stream: _Stream, state: int, lo: int, hi: int) -> list[np.ndarray]:
    """Kept indices of draws ``lo .. hi`` (``state``: the state before draw ``lo``), chunk by chunk."""
    buf = np.empty(min(CHUNK, hi - lo) + stream.kernel.lanes, dtype=np.int32)
    out = []
    for start in range(lo, hi, CHUNK):
        n = min(CHUNK, hi - start)
        kept = stream.kernel.run(state, stream.table, n, stream.thr, buf)
        if kept:
            out.append(buf[:kept] + np.int64(start))
        state = advanced(state, n, stream.inc)
    return out


def _advance(bg: np.random.PCG64, n: int) -> None:
    """Move ``bg`` by ``n`` draws as ``random(n)`` would (unlike ``advance``, keeps the 32-bit buffer)."""
    with bg.lock:
        state = bg.state
        state["state"]["state"] = advanced(state["state"]["state"], n, state["state"]["inc"])
        bg.state = state


def _plain(rng: np.random.Generator, n: int, p: float) -> np.ndarray:
    """``np.flatnonzero(rng.random(n) < p)``, block by block."""
    out = []
    for start in range(0, n, NUMPY_BLOCK):
        kept = np.flatnonzero(rng.random(min(NUMPY_BLOCK, n - start)) < p)
        if len(kept):
            out.append(kept + start)
    return np.concatenate(out) if out else np.zeros(0, dtype=np.int64)
