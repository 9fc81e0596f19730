"""Random numbers drawn inside equations: the definition, written as a vectorised NumPy reference.

This docstring is the definition; ``nnc.backend.llvm.rng`` implements the same in LLVM IR. Sources:
DESIGN.md §5 (Philox4x32-10 keyed by (seed, stream), counter (element, step)), DSL.md §12 (the
distributions), SEMANTICS.md §15 (reproducible for a seed) and §17 (independent of the thread count).

**Generator.** Philox4x32-10 (Salmon, Moraes, Dror, Shaw, "Parallel random numbers: as easy as 1, 2, 3",
SC 2011; Random123 ``philox4x32_10``): ten rounds over the counter (c0, c1, c2, c3) with key (k0, k1).
A round maps (c0, c1, c2, c3) to (hi(M1·c2) ^ c1 ^ k0, lo(M1·c2), hi(M0·c0) ^ c3 ^ k1, lo(M0·c0)) with
M0 = 0xD2511F53, M1 = 0xCD9E8D57; between rounds the key is bumped by (0x9E3779B9, 0xBB67AE85) mod 2**32.
The output of one counter, the words x0..x3, is called a *block*.

**Key and counter of a draw.**
``key = (seed & 0xffffffff, (stream ^ (seed >> 32)) & 0xffffffff)``,
``counter = (elem_a, elem_b, step & 0xffffffff, block)`` (all mod 2**32). ``stream`` names the occurrence
(``nodes.Random.stream``), (elem_a, elem_b) the element, ``step`` the step k. ``block`` is 0 for the first
four words; a distribution that needs more words uses blocks 1, 2, ... as stated below. A draw is thus a
pure function of (seed, stream, element, step): no state, no dependence on threads or loop splitting.

**Uniforms.** From the words of one block:

* f64: ``U(xa, xb) = ((xa >> 5)·2**26 + (xb >> 6))·2**-53`` in [0, 1) (53 bits). The *first* uniform of
  a block is ``U(x0, x1)``, the *second* ``U(x2, x3)``.
* f32: ``V(x) = (x >> 8)·2**-24`` in [0, 1) (24 bits). The first uniform is ``V(x0)``, the second
  ``V(x2)``: each is the f64 uniform truncated to 24 bits, so both precisions draw the same numbers.
* Gamma also uses one word for the angle, ``W(x) = x·2**-32`` (f64) or ``V(x)`` (f32) in [0, 1), and one
  for the acceptance test, ``Wc(x) = (x + 1)·2**-32`` (f64) or ``((x >> 8) + 1)·2**-24`` (f32) in (0, 1].

All are exact in their type. Let u, u' be the first and second uniform of block 0.

**Real-valued distributions** are computed in the model's real type (f64, or f32 with f32 uniforms and f32
constants), IEEE-rounded after every operation, in exactly the order written (no FMA contraction, no
reassociation); log, exp and cos are nnc's own (:mod:`nnc.ir.transcendental`, < 1 ulp, in f32 the f64
function rounded to f32), sqrt is IEEE's (exact). So every distribution is a pure function of its
arguments and the Philox words, the same bits in every engine:

* ``Uniform(a, b) = a + (b - a)·u`` (in [a, b), except that rounding can give b itself).
* ``Normal(mu, s)``, Box-Muller: ``r = sqrt(-2·log(1 - u))``, ``z = r·cos(2π·u')``, result ``mu + s·z``
  (2π rounded to the real type).
* ``LogNormal(mu, s) = exp(mu + s·z)`` with z as for Normal.
* ``Exponential(lam) = -log(1 - u) / lam`` (lam is the rate, DSL.md §12).
* ``Gamma(alpha, beta)`` (shape, scale), Marsaglia-Tsang (ACM TOMS 26(3), 2000). If not alpha > 0 the
  result is NaN. Boost: if alpha < 1, ``a = alpha + 1`` and the loop starts at block 1, else ``a = alpha``
  and it starts at block 0. ``d = a - 1/3``, ``c = 1 / sqrt(9·d)``. Iteration i uses the next block:
  ``z = sqrt(-2·log(1 - U(x0, x1)))·cos(2π·W(x2))`` (f32: ``V(x0)`` for U), ``t = 1 + c·z``; if t > 0:
  ``v = t·t·t``, ``w = Wc(x3)``, ``zz = z·z``; accept ``g = d·v`` if ``w < 1 - 0.0331·(zz·zz)`` or
  ``log(w) < 0.5·zz + d·((1 - v) + log(v))``. After 256 rejections (probability below 0.05**256 for a
  valid alpha) g is NaN. With the boost, ``g = g·exp(log(u) / alpha)`` (``u**(1/alpha)``) where u is
  the first uniform of block 0. The result is ``g·beta``.

**Integer distributions** (int32 results) are computed in f64 from the f64 uniforms in *both* precisions,
so f32 and f64 networks draw the same integers (f32 would bias ranges over 2**24 and make q**n underflow
for n·p of about 100):

* ``DiscreteUniform(a, b)``: ``A = trunc(a)``, ``B = trunc(b)``, result
  ``A + min(floor(u·(B - A + 1)), B - A)`` (min as ``k if k < B - A else B - A``). Arguments must lie in
  the int32 range.
* ``Binomial(n, p)`` by chunked inversion. ``N = min(trunc(n), 2**31 - 1)`` if n >= 1, else 0. If not
  p > 0 the result is 0; if p >= 1 it is N. Otherwise ``pp = 1 - p`` if p > 0.5 else p, ``q = 1 - pp``,
  ``s = pp / q``. The N trials are split into chunks of ``m = min(N, floor(500·q / pp))`` trials (the last
  one gets the rest); since -log(q) <= pp/q, ``q**m >= e**-500``, so the start of the inversion never
  underflows. Chunk j (j = 0, 1, ...) uses the j-th uniform (the first uniform of block j >> 1 if j is
  even, else its second) and inverts Binomial(mj, pp) sequentially (Kachitvichyanukul & Schmeiser's BINV):
  ``r = q**mj`` by binary powering (``y = 1; b = q; e = mj; while e: if e & 1: y = y·b; b = b·b;
  e >>= 1``), ``a = (mj + 1)·s``, ``x = 0``; ``while x < mj and u >= r: u = u - r; x = x + 1;
  r = r·(a / x - s)``. The chunk results are summed to X; the result is ``N - X`` if p > 0.5 else X.
  Only arithmetic: the value is bit-identical everywhere. Cost: about N·min(p, 1 - p) iterations plus one
  uniform per chunk, so it suits the moderate n of neural models; very large n·p is slow but exact to
  rounding (the running ``u - r`` accumulates at most a few hundred roundings per chunk).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from nnc.diagnostics import InternalError
from nnc.ir.nodes import Dist
from nnc.ir.transcendental import MathFn, evaluate

#: Philox4x32 round multipliers and key bumps (Random123).
PHILOX_M = (0xD2511F53, 0xCD9E8D57)
PHILOX_W = (0x9E3779B9, 0xBB67AE85)
PHILOX_ROUNDS = 10
#: Gamma gives NaN after this many rejections (never reached for alpha > 0).
GAMMA_MAX_ITERATIONS = 256
#: Binomial chunks keep q**m >= exp(-BINOMIAL_CHUNK_LOG).
BINOMIAL_CHUNK_LOG = 500.0
#: Largest N of a Binomial.
BINOMIAL_MAX_N = 2.0**31 - 1

_M32 = 0xFFFFFFFF
_U64 = np.uint64


def philox_key(seed: int, stream: int) -> tuple[int, int]:
    """The Philox key of the draws of ``stream`` in a network with ``seed``."""
    return seed & _M32, (stream ^ (seed >> 32)) & _M32


def philox4x32(counter: np.ndarray, key: tuple[int, int]) -> np.ndarray:
    """Philox4x32-10 of each column of ``counter`` ((4, n) uint32) under ``key``: (4, n) uint32."""
    c0, c1, c2, c3 = np.asarray(counter, dtype=np.uint32).astype(_U64)
    k0, k1 = _U64(key[0] & _M32), _U64(key[1] & _M32)
    m0, m1 = _U64(PHILOX_M[0]), _U64(PHILOX_M[1])
    mask, shift = _U64(_M32), _U64(32)
    for rnd in range(PHILOX_ROUNDS):
        if rnd:
            k0 = (k0 + _U64(PHILOX_W[0])) & mask
            k1 = (k1 + _U64(PHILOX_W[1])) & mask
        p0, p1 = c0 * m0, c2 * m1
        c0, c1, c2, c3 = (p1 >> shift) ^ c1 ^ k0, p1 & mask, (p0 >> shift) ^ c3 ^ k1, p0 & mask
    return np.stack((c0, c1, c2, c3)).astype(np.uint32)


def uniform53(xa: np.ndarray, xb: np.ndarray) -> np.ndarray:
    """``U(xa, xb)``: the f64 uniform in [0, 1) made of two words."""
    hi = (xa.astype(np.uint64) >> _U64(5)) << _U64(26)
    return (hi | (xb.astype(np.uint64) >> _U64(6))).astype(np.float64) * 2.0**-53


def uniform24(x: np.ndarray) -> np.ndarray:
    """``V(x)``: the f32 uniform in [0, 1) made of one word."""
    return (x >> np.uint32(8)).astype(np.float32) * np.float32(2.0**-24)


@dataclass(frozen=True, slots=True)
class _Counters:
    """The key and per-element counter words of one vectorised draw; ``real`` is the model float type."""

    key: tuple[int, int]
    elem_a: np.ndarray
    elem_b: np.ndarray
    step: int
    real: type[np.floating]

    def words(self, idx: np.ndarray, block: np.ndarray | int) -> np.ndarray:
        """The block ``block`` of the elements ``idx``: (4, len(idx)) uint32."""
        n = len(idx)
        counter = np.empty((4, n), dtype=np.uint32)
        counter[0] = self.elem_a[idx]
        counter[1] = self.elem_b[idx]
        counter[2] = self.step
        counter[3] = np.broadcast_to(np.asarray(block, dtype=np.int64) & _M32, (n,))
        return philox4x32(counter, self.key)

    def uniform(self, idx: np.ndarray, which: np.ndarray | int, real: type[np.floating]) -> np.ndarray:
        """The ``which``-th uniform (block which >> 1, first or second) of the elements ``idx``."""
        which = np.broadcast_to(np.asarray(which, dtype=np.int64), (len(idx),))
        x = self.words(idx, which >> 1)
        second = (which & 1).astype(bool)
        if real is np.float32:
            return np.where(second, uniform24(x[2]), uniform24(x[0]))
        return np.where(second, uniform53(x[2], x[3]), uniform53(x[0], x[1]))

    @property
    def all(self) -> np.ndarray:
        """Indices of every element."""
        return np.arange(len(self.elem_a))


_Args = tuple[np.ndarray, ...]


def _log(x: np.ndarray) -> np.ndarray:
    return evaluate(MathFn.LOG, x)


def _exp(x: np.ndarray) -> np.ndarray:
    return evaluate(MathFn.EXP, x)


def _cos(x: np.ndarray) -> np.ndarray:
    return evaluate(MathFn.COS, x)


def _uniform(ctr: _Counters, args: _Args) -> np.ndarray:
    a, b = args
    return a + (b - a) * ctr.uniform(ctr.all, 0, ctr.real)


def _box_muller(ctr: _Counters, args: _Args) -> np.ndarray:
    """``mu + s·z`` of Normal, from the two uniforms of block 0."""
    f = ctr.real
    mu, s = args
    u1, u2 = ctr.uniform(ctr.all, 0, f), ctr.uniform(ctr.all, 1, f)
    r = np.sqrt(f(-2.0) * _log(f(1.0) - u1))
    z = r * _cos(f(2.0 * math.pi) * u2)
    return mu + s * z


def _lognormal(ctr: _Counters, args: _Args) -> np.ndarray:
    return _exp(_box_muller(ctr, args))


def _exponential(ctr: _Counters, args: _Args) -> np.ndarray:
    f = ctr.real
    (lam,) = args
    return -_log(f(1.0) - ctr.uniform(ctr.all, 0, f)) / lam


def _gamma_words(ctr: _Counters, idx: np.ndarray, block: np.ndarray) -> tuple[np.ndarray, ...]:
    """(first uniform, W(x2), Wc(x3)) of one Gamma iteration."""
    f = ctr.real
    x = ctr.words(idx, block)
    if f is np.float32:
        return uniform24(x[0]), uniform24(x[2]), uniform24(x[3]) + np.float32(2.0**-24)
    return uniform53(x[0], x[1]), x[2] * 2.0**-32, (x[3].astype(np.float64) + 1.0) * 2.0**-32


def _gamma_accept(
    ctr: _Counters, idx: np.ndarray, block: np.ndarray, d: np.ndarray, c: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """One Marsaglia-Tsang iteration for the elements ``idx``: (accepted mask, d·v)."""
    f = ctr.real
    u1, angle, w = _gamma_words(ctr, idx, block)
    z = np.sqrt(f(-2.0) * _log(f(1.0) - u1)) * _cos(f(2.0 * math.pi) * angle)
    t = f(1.0) + c * z
    v = t * t * t
    zz = z * z
    squeeze = w < f(1.0) - f(0.0331) * (zz * zz)
    full = _log(w) < f(0.5) * zz + d * ((f(1.0) - v) + _log(v))
    return (t > 0) & (squeeze | full), d * v


def _gamma(ctr: _Counters, args: _Args) -> np.ndarray:
    f = ctr.real
    alpha, beta = args
    valid = alpha > 0
    boost = alpha < 1
    a = np.where(boost, alpha + f(1.0), alpha)
    d = a - f(1.0 / 3.0)
    c = f(1.0) / np.sqrt(f(9.0) * d)
    g = np.full(len(alpha), np.nan, dtype=f)
    pending = np.flatnonzero(valid)
    for i in range(GAMMA_MAX_ITERATIONS):
        if not len(pending):
            break
        ok, dv = _gamma_accept(ctr, pending, boost[pending] + i, d[pending], c[pending])
        g[pending[ok]] = dv[ok]
        pending = pending[~ok]
    boosted = np.flatnonzero(boost & valid)
    g[boosted] *= _exp(_log(ctr.uniform(boosted, 0, f)) / alpha[boosted])
    return g * beta


def _discrete_uniform(ctr: _Counters, args: _Args) -> np.ndarray:
    lo, hi = (np.trunc(x.astype(np.float64)) for x in args)
    width = hi - lo
    k = np.floor(ctr.uniform(ctr.all, 0, np.float64) * (width + 1.0))
    return (lo + np.where(k < width, k, width)).astype(np.int32)


def power_by_squaring(base: np.ndarray, exponent: np.ndarray) -> np.ndarray:
    """``base**exponent`` (int exponent < 2**31) by binary powering, in the order the definition gives."""
    y = np.ones_like(base)
    e = exponent.astype(np.int64)
    with np.errstate(over="ignore", under="ignore"):  # squares past the top bit are not used
        for _ in range(31):
            y = np.where(e & 1, y * base, y)
            base = base * base
            e = e >> 1
    return y


def _binv(u: np.ndarray, m: np.ndarray, pp: np.ndarray) -> np.ndarray:
    """Sequential inversion of Binomial(m, pp) at the uniforms u (vectorised BINV)."""
    q = 1.0 - pp
    s = pp / q
    a = (m + 1.0) * s
    r = power_by_squaring(q, m)
    x = np.zeros(len(u))
    u = u.copy()
    active = (x < m) & (u >= r)
    while active.any():
        u[active] -= r[active]
        x[active] += 1.0
        r[active] *= a[active] / x[active] - s[active]
        active &= (x < m) & (u >= r)
    return x


def _binomial_trials(ctr: _Counters, n: np.ndarray, pp: np.ndarray) -> np.ndarray:
    """Successes of n trials with probability pp <= 0.5, chunk by chunk."""
    chunk = np.minimum(n, np.floor(BINOMIAL_CHUNK_LOG * (1.0 - pp) / pp))
    total = np.zeros(len(n))
    done = np.zeros(len(n))
    j = 0
    while (pending := np.flatnonzero(done < n)).size:
        m = np.minimum(chunk[pending], n[pending] - done[pending])
        u = ctr.uniform(pending, j, np.float64)
        total[pending] += _binv(u, m, pp[pending])
        done[pending] += m
        j += 1
    return total


def _binomial(ctr: _Counters, args: _Args) -> np.ndarray:
    n, p = (x.astype(np.float64) for x in args)
    big_n = np.where(n >= 1.0, np.minimum(np.trunc(n), BINOMIAL_MAX_N), 0.0)
    big_n = np.where(p > 0.0, big_n, 0.0)
    flip = p > 0.5
    pp = np.where(flip, 1.0 - p, p)
    inner = (big_n > 0) & (p < 1.0)
    x = np.where(inner, 0.0, big_n)
    x[inner] = _binomial_trials(_subset(ctr, inner), big_n[inner], pp[inner])
    x = np.where(inner & flip, big_n - x, x)
    return x.astype(np.int32)


def _subset(ctr: _Counters, mask: np.ndarray) -> _Counters:
    return _Counters(ctr.key, ctr.elem_a[mask], ctr.elem_b[mask], ctr.step, ctr.real)


_DRAW: dict[Dist, Callable[[_Counters, _Args], np.ndarray]] = {
    Dist.UNIFORM: _uniform,
    Dist.DISCRETE_UNIFORM: _discrete_uniform,
    Dist.NORMAL: _box_muller,
    Dist.LOGNORMAL: _lognormal,
    Dist.EXPONENTIAL: _exponential,
    Dist.GAMMA: _gamma,
    Dist.BINOMIAL: _binomial,
}


def _words32(x: np.ndarray | int) -> np.ndarray:
    return (np.asarray(x, dtype=np.int64) & _M32).astype(np.uint32)


def draw(
    dist: Dist,
    args: tuple[np.ndarray | float, ...],
    seed: int,
    stream: int,
    elem_a: np.ndarray,
    elem_b: np.ndarray | int,
    step: int,
    real: np.dtype,
) -> np.ndarray:
    """One draw of ``dist(*args)`` per element (elem_a, elem_b) at ``step`` (the module docstring).

    ``elem_a``, ``elem_b`` and ``args`` broadcast together; the result has their shape and dtype ``real``
    (float64 or float32), or int32 for DiscreteUniform and Binomial.
    """
    f = np.dtype(real).type
    if f not in (np.float64, np.float32):
        raise InternalError("rng", f"random draws are float64 or float32, not {np.dtype(real)}")
    if len(args) != dist.arity:
        raise InternalError("rng", f"{dist.value} takes {dist.arity} arguments, got {len(args)}")
    arrays = np.broadcast_arrays(np.asarray(elem_a), np.asarray(elem_b), *(np.asarray(a) for a in args))
    shape = arrays[0].shape
    ea, eb = (_words32(x.ravel()) for x in arrays[:2])
    flat_args = tuple(np.ascontiguousarray(x.ravel(), dtype=f) for x in arrays[2:])
    ctr = _Counters(philox_key(seed, stream), ea, eb, step & _M32, f)
    with np.errstate(all="ignore"):
        out = _DRAW[dist](ctr, flat_args)
    return out.reshape(shape)
