"""nnc's own exp, log, sin and cos, defined once over a small operation set and run with NumPy.

**Why.** The C library's functions are scalar calls: they keep LLVM from vectorising a loop that uses
them, and the interpreter can only match them by calling the same library. These functions are written
against :class:`Ops`, a handful of IEEE operations (``+ - * /`` rounded to nearest, comparisons and
selects) plus 64-bit integer and bit operations on the encodings. :class:`NumpyOps` runs a definition with
NumPy arrays (the reference interpreter); :mod:`nnc.backend.llvm.transcendental` runs the *same Python
function* with an IRBuilder, so both engines perform the same operations in the same order and agree bit
for bit. There is no FMA, no table and no branch (special cases are selects), so the emitted code is
straight-line and vectorises; rounding to an integer is the exact ``(z + 1.5·2**52) - 1.5·2**52`` trick,
whose encoding also holds the integer (no float/int conversion instructions).

**Definitions** (f64; the algorithms and constants are fdlibm's / FreeBSD msun's, each < 1 ulp):

* ``exp``: ``k = rint(x/ln 2)``, ``r = (x - k·ln2_hi) - k·ln2_lo``, fdlibm's rational form
  ``1 - ((lo - r·c/(2 - c)) - hi)``, scaled by ``2**(k >> 1)`` (exact) then ``2**(k - (k >> 1))``
  (one rounding, so subnormal results are rounded once). ``x > 709.78...`` gives inf, ``x < -745.13...``
  gives 0, NaN gives x.
* ``log``: ``x = 2**k·(1 + f)`` with ``1 + f`` in [√2/2, √2) (subnormals are scaled by 2**54 first),
  ``s = f/(2 + f)``, fdlibm's ``Lg1..Lg7`` polynomial in s² and its two final forms (chosen by a select).
  ``log(±0) = -inf``, ``log(x < 0) = NaN``, ``log(inf) = inf``, NaN gives x.
* ``sin``, ``cos``: ``n = rint(x·2/π)``, ``r = x - n·π/2`` as a double-double: π/2 is split into three
  30-bit parts (each ``n·part`` exact for ``|n| < 2**23``) and a fourth double, the differences are
  exact TwoSums. The quadrant ``n mod 4`` picks FreeBSD's ``__kernel_sin`` or ``__kernel_cos`` of
  ``(r_hi, r_lo)`` and a sign. Accurate (< 1 ulp) for ``|x| < 2**23·π/2`` (about 1.3e7). Beyond, ``n·part``
  is rounded: the result is the function at a point within about ``2**-53·|x|`` of x (an absolute error
  that grows with |x|). For ``|x| >= 2**50`` (where that bound passes 1/8) and for ±inf the result is NaN.
  ``sin(±0) = ±0``.

**Single precision**: the f32 function of x is the f64 function of ``double(x)`` rounded to f32 (as the
ARM optimized-routines and musl compute ``expf``/``logf``/``sinf``): within 0.5 ulp + 2**-29 ulp of the
true value, and the special cases follow from the f64 ones.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar

import numpy as np

from nnc.ir.functions import Func
from nnc.ir.types import Enum

V = TypeVar("V")


class MathFn(Enum):
    """The functions nnc implements itself."""

    EXP = "exp"
    LOG = "log"
    SIN = "sin"
    COS = "cos"


#: DSL functions computed with nnc's implementations in both engines (docs/DESIGN-NOTES.md "Numbers" has
#: the measurements behind the choice). Removing an entry makes both engines call the C library's
#: function instead: the one place to change.
DSL_MATH: dict[Func, MathFn] = {
    Func.EXP: MathFn.EXP,
    Func.LOG: MathFn.LOG,
    Func.SIN: MathFn.SIN,
    Func.COS: MathFn.COS,
}


class Ops(Protocol[V]):
    """The operations a definition may use: f64 values, i64 values and booleans (lanes of one width)."""

    def const(self, c: float) -> V: ...
    def iconst(self, c: int) -> V: ...
    def fadd(self, a: V, b: V) -> V: ...
    def fsub(self, a: V, b: V) -> V: ...
    def fmul(self, a: V, b: V) -> V: ...
    def fdiv(self, a: V, b: V) -> V: ...
    def fneg(self, a: V) -> V: ...
    def flt(self, a: V, b: V) -> V: ...
    def fgt(self, a: V, b: V) -> V: ...
    def fge(self, a: V, b: V) -> V: ...
    def feq(self, a: V, b: V) -> V: ...
    def isnan(self, a: V) -> V: ...
    def select(self, c: V, a: V, b: V) -> V: ...
    def bits(self, a: V) -> V: ...
    def real(self, i: V) -> V: ...
    def add(self, a: V, b: V) -> V: ...
    def sub(self, a: V, b: V) -> V: ...
    def and_(self, a: V, b: V) -> V: ...
    def or_(self, a: V, b: V) -> V: ...
    def xor(self, a: V, b: V) -> V: ...
    def shl(self, a: V, n: int) -> V: ...
    def lshr(self, a: V, n: int) -> V: ...
    def sgt(self, a: V, b: V) -> V: ...
    def widen(self, a: V) -> V: ...
    def narrow(self, a: V) -> V: ...


_h = float.fromhex
SHIFT = _h("0x1.8p52")  # z + SHIFT rounds z to an integer (|z| < 2**51), held in the low bits
SHIFT_BITS = 0x4338000000000000
INF = float("inf")
NAN = float("nan")
# exp (fdlibm e_exp.c)
INV_LN2, LN2_HI, LN2_LO = _h("0x1.71547652b82fep+0"), _h("0x1.62e42feep-1"), _h("0x1.a39ef35793c76p-33")
EXP_P = tuple(
    map(
        _h,
        (
            "0x1.555555555553ep-3",
            "-0x1.6c16c16bebd93p-9",
            "0x1.1566aaf25de2cp-14",
            "-0x1.bbd41c5d26bf1p-20",
            "0x1.6376972bea4d0p-25",
        ),
    )
)
EXP_OVER, EXP_UNDER = _h("0x1.62e42fefa39efp+9"), _h("-0x1.74910d52d3051p+9")
# log (fdlibm e_log.c)
LOG_LG = tuple(
    map(
        _h,
        (
            "0x1.5555555555593p-1",
            "0x1.999999997fa04p-2",
            "0x1.2492494229359p-2",
            "0x1.c71c51d8e78afp-3",
            "0x1.7466496cb03dep-3",
            "0x1.39a09d078c69fp-3",
            "0x1.2f112df3e5244p-3",
        ),
    )
)
# sin, cos (FreeBSD k_sin.c, k_cos.c); pi/2 = PIO2[0] + PIO2[1] + PIO2[2] + PIO2[3] (+ 2**-145)
SIN_S = tuple(
    map(
        _h,
        (
            "-0x1.5555555555549p-3",
            "0x1.111111110f8a6p-7",
            "-0x1.a01a019c161d5p-13",
            "0x1.71de357b1fe7dp-19",
            "-0x1.ae5e68a2b9cebp-26",
            "0x1.5d93a5acfd57cp-33",
        ),
    )
)
COS_C = tuple(
    map(
        _h,
        (
            "0x1.555555555554cp-5",
            "-0x1.6c16c16c15177p-10",
            "0x1.a01a019cb1590p-16",
            "-0x1.27e4f809c52adp-22",
            "0x1.1ee9ebdb4b1c4p-29",
            "-0x1.8fae9be8838d4p-37",
        ),
    )
)
TWO_OVER_PI = _h("0x1.45f306dc9c883p-1")
PIO2 = tuple(map(_h, ("0x1.921fb54p+0", "0x1.10b46118p-30", "0x1.313198ap-61", "0x1.701b839a25205p-92")))
TRIG_LIMIT = 2.0**50


def _poly(o: Ops[V], x: V, coeffs: tuple[float, ...]) -> V:
    """``c0 + x·(c1 + x·(c2 + ...))`` (Horner, in this order)."""
    acc = o.const(coeffs[-1])
    for c in reversed(coeffs[:-1]):
        acc = o.fadd(o.const(c), o.fmul(x, acc))
    return acc


def _rint(o: Ops[V], z: V) -> tuple[V, V]:
    """``rint(z)`` (half to even) as a real and as an i64, for ``|z| < 2**51``."""
    t = o.fadd(z, o.const(SHIFT))
    return o.fsub(t, o.const(SHIFT)), o.sub(o.bits(t), o.iconst(SHIFT_BITS))


def _power_of_two(o: Ops[V], k: V) -> V:
    """``2**k`` for an i64 ``k`` in the normal range."""
    return o.real(o.shl(o.add(k, o.iconst(1023)), 52))


def exp(o: Ops[V], x: V) -> V:
    """``e**x`` (module docstring)."""
    xc = o.select(o.fgt(x, o.const(710.0)), o.const(710.0), x)
    xc = o.select(o.flt(xc, o.const(-746.0)), o.const(-746.0), xc)
    kd, k = _rint(o, o.fmul(xc, o.const(INV_LN2)))
    hi = o.fsub(xc, o.fmul(kd, o.const(LN2_HI)))
    lo = o.fmul(kd, o.const(LN2_LO))
    r = o.fsub(hi, lo)
    t = o.fmul(r, r)
    c = o.fsub(r, o.fmul(t, _poly(o, t, EXP_P)))
    rc = o.fdiv(o.fmul(r, c), o.fsub(o.const(2.0), c))
    y = o.fsub(o.const(1.0), o.fsub(o.fsub(lo, rc), hi))
    k1 = o.sub(o.lshr(o.add(k, o.iconst(2048)), 1), o.iconst(1024))  # floor(k / 2)
    out = o.fmul(o.fmul(y, _power_of_two(o, k1)), _power_of_two(o, o.sub(k, k1)))
    out = o.select(o.fgt(x, o.const(EXP_OVER)), o.const(INF), out)
    out = o.select(o.flt(x, o.const(EXP_UNDER)), o.const(0.0), out)
    return o.select(o.isnan(x), x, out)


def _log_split(o: Ops[V], x: V) -> tuple[V, V, V]:
    """``(k, f, hm)`` with ``x = 2**k·(1 + f)``, ``1 + f`` in [√2/2, √2), hm the high mantissa bits."""
    sub = o.flt(x, o.const(2.0**-1022))
    xs = o.select(sub, o.fmul(x, o.const(2.0**54)), x)
    ix = o.bits(xs)
    hx = o.lshr(ix, 32)
    k = o.add(o.sub(o.lshr(hx, 20), o.iconst(1023)), o.select(sub, o.iconst(-54), o.iconst(0)))
    hm = o.and_(hx, o.iconst(0x000FFFFF))
    i = o.and_(o.add(hm, o.iconst(0x95F64)), o.iconst(0x100000))
    high = o.shl(o.or_(hm, o.xor(i, o.iconst(0x3FF00000))), 32)
    xn = o.real(o.or_(high, o.and_(ix, o.iconst(0xFFFFFFFF))))
    k = o.add(k, o.lshr(i, 20))
    return k, o.fsub(xn, o.const(1.0)), hm


def log(o: Ops[V], x: V) -> V:
    """Natural logarithm (module docstring)."""
    k, f, hm = _log_split(o, x)
    s = o.fdiv(f, o.fadd(o.const(2.0), f))
    dk = o.fsub(o.real(o.add(k, o.iconst(SHIFT_BITS))), o.const(SHIFT))
    z = o.fmul(s, s)
    w = o.fmul(z, z)
    t1 = o.fmul(w, _poly(o, w, LOG_LG[1::2]))
    t2 = o.fmul(z, _poly(o, w, LOG_LG[0::2]))
    big_r = o.fadd(t2, t1)
    wide = o.sgt(o.or_(o.sub(hm, o.iconst(0x6147A)), o.sub(o.iconst(0x6B851), hm)), o.iconst(0))
    hfsq = o.fmul(o.fmul(o.const(0.5), f), f)
    dk_lo = o.fmul(dk, o.const(LN2_LO))
    a = o.fsub(hfsq, o.fadd(o.fmul(s, o.fadd(hfsq, big_r)), dk_lo))
    b = o.fsub(o.fmul(s, o.fsub(f, big_r)), dk_lo)
    out = o.fsub(o.fmul(dk, o.const(LN2_HI)), o.fsub(o.select(wide, a, b), f))
    out = o.select(o.feq(x, o.const(INF)), x, out)
    out = o.select(o.feq(x, o.const(0.0)), o.const(-INF), out)
    out = o.select(o.flt(x, o.const(0.0)), o.const(NAN), out)
    return o.select(o.isnan(x), x, out)


def _two_sum(o: Ops[V], a: V, b: V) -> tuple[V, V]:
    """``(s, e)`` with ``s = fl(a + b)`` and ``s + e = a + b`` exactly (Knuth)."""
    s = o.fadd(a, b)
    bb = o.fsub(s, a)
    return s, o.fadd(o.fsub(a, o.fsub(s, bb)), o.fsub(b, bb))


def _reduce(o: Ops[V], x: V) -> tuple[V, V, V]:
    """``(n, hi, lo)`` with ``hi + lo = x - n·π/2`` (n an i64; module docstring)."""
    nd, n = _rint(o, o.fmul(x, o.const(TWO_OVER_PI)))
    a = o.fsub(x, o.fmul(nd, o.const(PIO2[0])))
    s, e = _two_sum(o, a, o.fneg(o.fmul(nd, o.const(PIO2[1]))))
    s2, e2 = _two_sum(o, s, o.fneg(o.fmul(nd, o.const(PIO2[2]))))
    tail = o.fsub(o.fadd(e, e2), o.fmul(nd, o.const(PIO2[3])))
    hi, lo = _two_sum(o, s2, tail)
    return n, hi, lo


def _sin_kernel(o: Ops[V], x: V, y: V) -> V:
    """FreeBSD ``__kernel_sin(x, y, 1)`` on [-π/4, π/4]."""
    z = o.fmul(x, x)
    w = o.fmul(z, z)
    r = o.fadd(_poly(o, z, SIN_S[1:4]), o.fmul(o.fmul(z, w), _poly(o, z, SIN_S[4:])))
    v = o.fmul(z, x)
    inner = o.fsub(o.fmul(z, o.fsub(o.fmul(o.const(0.5), y), o.fmul(v, r))), y)
    return o.fsub(x, o.fsub(inner, o.fmul(v, o.const(SIN_S[0]))))


def _cos_kernel(o: Ops[V], x: V, y: V) -> V:
    """FreeBSD ``__kernel_cos(x, y)`` on [-π/4, π/4]."""
    z = o.fmul(x, x)
    w = o.fmul(z, z)
    r = o.fadd(o.fmul(z, _poly(o, z, COS_C[:3])), o.fmul(o.fmul(w, w), _poly(o, z, COS_C[3:])))
    hz = o.fmul(o.const(0.5), z)
    one_hz = o.fsub(o.const(1.0), hz)
    tail = o.fadd(o.fsub(o.fsub(o.const(1.0), one_hz), hz), o.fsub(o.fmul(z, r), o.fmul(x, y)))
    return o.fadd(one_hz, tail)


def _quadrant(o: Ops[V], x: V, shift: int) -> V:
    """``sin(x)`` (shift 0) or ``cos(x) = sin(x + π/2)`` (shift 1)."""
    n, hi, lo = _reduce(o, x)
    q = o.add(n, o.iconst(shift))
    zero = o.iconst(0)
    swap = o.sgt(o.and_(q, o.iconst(1)), zero)
    v = o.select(swap, _cos_kernel(o, hi, lo), _sin_kernel(o, hi, lo))
    v = o.select(o.sgt(o.and_(q, o.iconst(2)), zero), o.fneg(v), v)
    v = o.select(
        o.fge(o.real(o.and_(o.bits(x), o.iconst(0x7FFFFFFFFFFFFFFF))), o.const(TRIG_LIMIT)), o.const(NAN), v
    )
    return o.select(o.isnan(x), x, v)


def sin(o: Ops[V], x: V) -> V:
    """Sine (module docstring)."""
    return o.select(o.feq(x, o.const(0.0)), x, _quadrant(o, x, 0))


def cos(o: Ops[V], x: V) -> V:
    """Cosine (module docstring)."""
    return _quadrant(o, x, 1)


DEFINITIONS: dict[MathFn, Callable[[Ops[V], V], V]] = {
    MathFn.EXP: exp,
    MathFn.LOG: log,
    MathFn.SIN: sin,
    MathFn.COS: cos,
}


def apply(o: Ops[V], fn: MathFn, x: V, single: bool) -> V:
    """``fn(x)`` in f64, or for an f32 ``x`` the f64 result rounded to f32."""
    definition: Callable[[Ops[V], V], V] = DEFINITIONS[fn]
    if single:
        return o.narrow(definition(o, o.widen(x)))
    return definition(o, x)


# --------------------------------------------------------------------------------------------------
# NumPy


class NumpyOps:
    """:class:`Ops` on NumPy arrays: float64, int64 and bool (IEEE arithmetic, wrapping integers)."""

    def const(self, c: float) -> np.ndarray:
        return np.float64(c)  # type: ignore[return-value]

    def iconst(self, c: int) -> np.ndarray:
        return np.int64(c)  # type: ignore[return-value]

    fadd, fsub, fmul, fdiv = (staticmethod(f) for f in (np.add, np.subtract, np.multiply, np.divide))
    flt, fgt, fge, feq = (staticmethod(f) for f in (np.less, np.greater, np.greater_equal, np.equal))
    add, sub, sgt = staticmethod(np.add), staticmethod(np.subtract), staticmethod(np.greater)
    and_, or_, xor = (staticmethod(f) for f in (np.bitwise_and, np.bitwise_or, np.bitwise_xor))
    fneg, isnan, select = staticmethod(np.negative), staticmethod(np.isnan), staticmethod(np.where)

    def bits(self, a: np.ndarray) -> np.ndarray:
        return np.asarray(a, dtype=np.float64).view(np.int64)

    def real(self, i: np.ndarray) -> np.ndarray:
        return np.asarray(i, dtype=np.int64).view(np.float64)

    def shl(self, a: np.ndarray, n: int) -> np.ndarray:
        return (np.asarray(a, dtype=np.int64).view(np.uint64) << np.uint64(n)).view(np.int64)

    def lshr(self, a: np.ndarray, n: int) -> np.ndarray:
        return (np.asarray(a, dtype=np.int64).view(np.uint64) >> np.uint64(n)).view(np.int64)

    def widen(self, a: np.ndarray) -> np.ndarray:
        return np.asarray(a).astype(np.float64)

    def narrow(self, a: np.ndarray) -> np.ndarray:
        return np.asarray(a).astype(np.float32)


def evaluate(fn: MathFn, x: np.ndarray) -> np.ndarray:
    """``fn`` of every element of a float64 or float32 array (the result has x's shape and dtype)."""
    arr = np.asarray(x)
    single = arr.dtype == np.float32
    flat = np.ascontiguousarray(arr, dtype=np.float32 if single else np.float64).reshape(-1)
    with np.errstate(all="ignore"):
        out = np.asarray(apply(NumpyOps(), fn, flat, single))
    return out.reshape(arr.shape)
