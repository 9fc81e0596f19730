"""In-equation random draws (Philox4x32-10 and the distributions) emitted as LLVM IR with IRBuilder.

The definition is the docstring of :mod:`nnc.ir.rng`; this module follows it operation by operation, so
every distribution is bit-identical to the NumPy reference: log, exp and cos are nnc's own
(:mod:`nnc.backend.llvm.transcendental`, the same definitions the reference runs), and sqrt, floor and
trunc are exact.

Each distribution becomes one ``internal`` function per module and real type,
``nnc.rng.<Dist>.<f64|f32>(k0, k1, c0, c1, c2, c3, args...)``, created on first use; rejection and
inversion loops are basic blocks inside it. Philox itself is the ``internal alwaysinline`` function
``nnc.philox4x32_10`` (straight-line rounds). The distributions without loops (Uniform, Normal,
LogNormal, Exponential, DiscreteUniform) are ``alwaysinline`` and call nothing but inlined
straight-line functions and instruction-like intrinsics (``llvm.sqrt/floor/trunc``), so a loop drawing
them can be vectorised.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from llvmlite import ir

from nnc.backend.llvm.transcendental import emit_math
from nnc.diagnostics import InternalError
from nnc.ir.nodes import Dist
from nnc.ir.rng import (
    BINOMIAL_CHUNK_LOG,
    BINOMIAL_MAX_N,
    GAMMA_MAX_ITERATIONS,
    PHILOX_M,
    PHILOX_ROUNDS,
    PHILOX_W,
)
from nnc.ir.transcendental import MathFn
from nnc.ir.types import DType

I1, I32, I64 = ir.IntType(1), ir.IntType(32), ir.IntType(64)
F32, F64 = ir.FloatType(), ir.DoubleType()
_WORDS = ir.LiteralStructType((I32, I32, I32, I32))
_PHILOX = "nnc.philox4x32_10"

#: C library functions the intrinsics emitted here may lower to (for the JIT's symbol check, DESIGN.md §3;
#: on x86-64 with SSE4.1 they are instructions).
LIBM_SYMBOLS = frozenset({"sqrt", "floor", "trunc", "sqrtf"})

Words = tuple[ir.Value, ir.Value, ir.Value, ir.Value]


def _real_name(real: ir.Type) -> str:
    match real:
        case ir.DoubleType():
            return "f64"
        case ir.FloatType():
            return "f32"
    raise InternalError("llvm-rng", f"random draws are double or float, not {real}")


# --------------------------------------------------------------------------------------------------
# Philox4x32-10


def _philox_function(module: ir.Module) -> ir.Function:
    """``nnc.philox4x32_10(c0, c1, c2, c3, k0, k1) -> {x0, x1, x2, x3}``, created once per module.

    The words travel in i64 lanes with zero high halves (products ``lo·M`` in full, ``and``/``lshr`` for
    lo/hi), so the loop vectoriser maps each product to one ``vpmuludq`` without shuffles between i32
    and i64 lanes: 2.75x the throughput of i32 words with zext/trunc around each multiply (measured).
    """
    if _PHILOX in module.globals:
        return module.globals[_PHILOX]
    fn = ir.Function(module, ir.FunctionType(_WORDS, [I32] * 6), _PHILOX)
    fn.linkage = "internal"
    fn.attributes.add("alwaysinline")
    fn.attributes.add("nounwind")
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    c = tuple(b.zext(x, I64) for x in fn.args[:4])
    k0, k1 = fn.args[4:]
    mask = ir.Constant(I64, 0xFFFFFFFF)
    for rnd in range(PHILOX_ROUNDS):
        if rnd:
            k0 = b.add(k0, ir.Constant(I32, PHILOX_W[0]))
            k1 = b.add(k1, ir.Constant(I32, PHILOX_W[1]))
        p0 = b.mul(c[0], ir.Constant(I64, PHILOX_M[0]))
        p1 = b.mul(c[2], ir.Constant(I64, PHILOX_M[1]))
        hi0, hi1 = (b.lshr(x, ir.Constant(I64, 32)) for x in (p0, p1))
        c = (
            b.xor(b.xor(hi1, c[1]), b.zext(k0, I64)),
            b.and_(p1, mask),
            b.xor(b.xor(hi0, c[3]), b.zext(k1, I64)),
            b.and_(p0, mask),
        )
    out = ir.Constant(_WORDS, ir.Undefined)
    for i, word in enumerate(c):
        out = b.insert_value(out, b.trunc(word, I32), i)
    b.ret(out)
    return fn


def emit_philox(builder: ir.IRBuilder, key: tuple[ir.Value, ir.Value], counter: Words) -> Words:
    """The four i32 words of Philox4x32-10 at ``counter`` under ``key`` (i32 values)."""
    out = builder.call(_philox_function(builder.module), [*counter, *key])
    return tuple(builder.extract_value(out, i) for i in range(4))  # type: ignore[return-value]


# --------------------------------------------------------------------------------------------------
# the body of one distribution function


@dataclass(frozen=True, slots=True)
class _Body:
    """A distribution function under construction: its builder, key, counter and real type."""

    b: ir.IRBuilder
    key: tuple[ir.Value, ir.Value]
    counter: Words
    real: ir.Type

    def const(self, x: float) -> ir.Constant:
        """A constant of the real type (rounded to it)."""
        return ir.Constant(self.real, x)

    def math(self, name: str | MathFn, x: ir.Value) -> ir.Value:
        """nnc's log/exp/cos (a MathFn), or the exact intrinsic ``llvm.<name>`` (sqrt, floor, trunc)."""
        if isinstance(name, MathFn):
            return emit_math(self.b, name, x)
        return self.b.call(self.b.module.declare_intrinsic(f"llvm.{name}", [x.type]), [x])

    def words(self, block: ir.Value | int) -> Words:
        """The Philox block ``c3 + block`` of this element."""
        b = self.b
        offset = ir.Constant(I32, block) if isinstance(block, int) else block
        c0, c1, c2, c3 = self.counter
        return emit_philox(b, self.key, (c0, c1, c2, b.add(c3, offset)))

    def u53(self, xa: ir.Value, xb: ir.Value) -> ir.Value:
        """``U(xa, xb)`` as ``(xa >> 5)·2**-27 + (xb >> 6)·2**-53``: the same exact value, from two i32
        conversions (AVX2 has no i64 -> f64 vector conversion)."""
        b = self.b
        hi = b.fmul(b.sitofp(b.lshr(xa, ir.Constant(I32, 5)), F64), ir.Constant(F64, 2.0**-27))
        return b.fadd(hi, b.fmul(b.sitofp(b.lshr(xb, ir.Constant(I32, 6)), F64), ir.Constant(F64, 2.0**-53)))

    def u24(self, x: ir.Value, plus_one: bool = False) -> ir.Value:
        """``V(x)`` (or ``(x >> 8) + 1`` scaled, in (0, 1]): f32 uniform."""
        b = self.b
        k = b.lshr(x, ir.Constant(I32, 8))
        if plus_one:
            k = b.add(k, ir.Constant(I32, 1))
        return b.fmul(b.sitofp(k, F32), ir.Constant(F32, 2.0**-24))

    def uniform(self, words: Words, second: bool, real: ir.Type) -> ir.Value:
        """The first or second uniform of a block, of type ``real``."""
        x0, x1, x2, x3 = words
        if isinstance(real, ir.FloatType):
            return self.u24(x2 if second else x0)
        return self.u53(x2, x3) if second else self.u53(x0, x1)

    def normal01(self, u1: ir.Value, u2: ir.Value) -> ir.Value:
        """Box-Muller ``sqrt(-2·log(1 - u1))·cos(2π·u2)``."""
        b = self.b
        log = self.math(MathFn.LOG, b.fsub(self.const(1.0), u1))
        r = self.math("sqrt", b.fmul(self.const(-2.0), log))
        return b.fmul(r, self.math(MathFn.COS, b.fmul(self.const(2.0 * math.pi), u2)))

    def new_block(self, name: str) -> ir.Block:
        """A new basic block at the end of the function."""
        return self.b.function.append_basic_block(name)


_Emit = Callable[[_Body, list[ir.Value]], ir.Value]


def _uniform(fb: _Body, args: list[ir.Value]) -> ir.Value:
    b = fb.b
    a, hi = args
    return b.fadd(a, b.fmul(b.fsub(hi, a), fb.uniform(fb.words(0), False, fb.real)))


def _normal(fb: _Body, args: list[ir.Value]) -> ir.Value:
    b = fb.b
    mu, s = args
    words = fb.words(0)
    z = fb.normal01(fb.uniform(words, False, fb.real), fb.uniform(words, True, fb.real))
    return b.fadd(mu, b.fmul(s, z))


def _lognormal(fb: _Body, args: list[ir.Value]) -> ir.Value:
    return fb.math(MathFn.EXP, _normal(fb, args))


def _exponential(fb: _Body, args: list[ir.Value]) -> ir.Value:
    b = fb.b
    u = fb.uniform(fb.words(0), False, fb.real)
    return b.fdiv(b.fneg(fb.math(MathFn.LOG, b.fsub(fb.const(1.0), u))), args[0])


def _to_f64(fb: _Body, args: list[ir.Value]) -> list[ir.Value]:
    return [fb.b.fpext(a, F64) if isinstance(a.type, ir.FloatType) else a for a in args]


def _select_min(b: ir.IRBuilder, x: ir.Value, y: ir.Value) -> ir.Value:
    """``x if x < y else y``."""
    return b.select(b.fcmp_ordered("<", x, y), x, y)


def _discrete_uniform(fb: _Body, args: list[ir.Value]) -> ir.Value:
    b = fb.b
    lo, hi = (fb.math("trunc", a) for a in _to_f64(fb, args))
    width = b.fsub(hi, lo)
    u = fb.uniform(fb.words(0), False, F64)
    k = fb.math("floor", b.fmul(u, b.fadd(width, ir.Constant(F64, 1.0))))
    return b.fptosi(b.fadd(lo, _select_min(b, k, width)), I32)


# --------------------------------------------------------------------------------------------------
# Gamma: Marsaglia-Tsang rejection, one block per iteration


def _gamma_iteration(
    fb: _Body, block: ir.Value, d: ir.Value, c: ir.Value, targets: tuple[ir.Block, ir.Block]
) -> ir.Value:
    """Emit one iteration from the current block; branches to ``accept`` or ``reject``; returns d·v."""
    b, one = fb.b, fb.const(1.0)
    accept, reject = targets
    x0, _, x2, x3 = words = fb.words(block)
    if isinstance(fb.real, ir.FloatType):
        u1, angle, w = fb.u24(x0), fb.u24(x2), fb.u24(x3, plus_one=True)
    else:
        u1 = fb.uniform(words, False, F64)
        angle = b.fmul(b.uitofp(x2, F64), fb.const(2.0**-32))
        w = b.fmul(b.uitofp(b.add(b.zext(x3, I64), ir.Constant(I64, 1)), F64), fb.const(2.0**-32))
    z = fb.normal01(u1, angle)
    t = b.fadd(one, b.fmul(c, z))
    v = b.fmul(b.fmul(t, t), t)
    zz = b.fmul(z, z)
    dv = b.fmul(d, v)
    squeeze, full = fb.new_block("gamma.squeeze"), fb.new_block("gamma.full")
    b.cbranch(b.fcmp_ordered(">", t, fb.const(0.0)), squeeze, reject)
    b.position_at_end(squeeze)
    bound = b.fsub(one, b.fmul(fb.const(0.0331), b.fmul(zz, zz)))
    b.cbranch(b.fcmp_ordered("<", w, bound), accept, full)
    b.position_at_end(full)
    rhs = b.fadd(b.fmul(fb.const(0.5), zz), b.fmul(d, b.fadd(b.fsub(one, v), fb.math(MathFn.LOG, v))))
    b.cbranch(b.fcmp_ordered("<", fb.math(MathFn.LOG, w), rhs), accept, reject)
    return dv


def _gamma(fb: _Body, args: list[ir.Value]) -> ir.Value:
    b, one = fb.b, fb.const(1.0)
    alpha, beta = args
    boost = b.fcmp_ordered("<", alpha, one)
    d = b.fsub(b.select(boost, b.fadd(alpha, one), alpha), fb.const(1.0 / 3.0))
    c = b.fdiv(one, fb.math("sqrt", b.fmul(fb.const(9.0), d)))
    start = b.zext(boost, I32)
    entry = b.block
    loop, reject, accept, boosted, finish = (
        fb.new_block(n) for n in ("gamma.loop", "gamma.reject", "gamma.accept", "gamma.boost", "gamma.end")
    )
    b.cbranch(b.fcmp_ordered(">", alpha, fb.const(0.0)), loop, finish)
    b.position_at_end(loop)
    i = b.phi(I32, "i")
    i.add_incoming(ir.Constant(I32, 0), entry)
    dv = _gamma_iteration(fb, b.add(start, i), d, c, (accept, reject))
    b.position_at_end(reject)
    i_next = b.add(i, ir.Constant(I32, 1))
    i.add_incoming(i_next, reject)
    b.cbranch(b.icmp_unsigned("<", i_next, ir.Constant(I32, GAMMA_MAX_ITERATIONS)), loop, finish)
    b.position_at_end(accept)
    b.cbranch(boost, boosted, finish)
    b.position_at_end(boosted)
    u = fb.uniform(fb.words(0), False, fb.real)
    g_boost = b.fmul(dv, fb.math(MathFn.EXP, b.fdiv(fb.math(MathFn.LOG, u), alpha)))
    b.branch(finish)
    b.position_at_end(finish)
    g = b.phi(fb.real, "g")
    nan = fb.const(math.nan)
    for value, pred in ((nan, entry), (nan, reject), (dv, accept), (g_boost, boosted)):
        g.add_incoming(value, pred)
    return b.fmul(g, beta)


# --------------------------------------------------------------------------------------------------
# Binomial: chunked sequential inversion, in f64 for both real types


def _while(
    fb: _Body,
    name: str,
    init: list[ir.Value],
    cond: Callable[..., ir.Value],
    step: Callable[..., list[ir.Value]],
) -> list[ir.Value]:
    """``v = init; while cond(*v): v = step(*v)`` as blocks ``name.head/body/end``; returns the final v."""
    b = fb.b
    pre = b.block
    head, body, done = (fb.new_block(f"{name}.{part}") for part in ("head", "body", "end"))
    b.branch(head)
    b.position_at_end(head)
    phis = [b.phi(v.type) for v in init]
    b.cbranch(cond(*phis), body, done)
    b.position_at_end(body)
    for phi, start, new in zip(phis, init, step(*phis), strict=True):
        phi.add_incoming(start, pre)
        phi.add_incoming(new, b.block)
    b.branch(head)
    b.position_at_end(done)
    return phis


def _powi(fb: _Body, base: ir.Value, exponent: ir.Value) -> ir.Value:
    """``base**exponent`` (i32 exponent >= 0) by binary powering, as the definition orders it."""
    b, zero, one = fb.b, ir.Constant(I32, 0), ir.Constant(I32, 1)

    def step(y: ir.Value, sq: ir.Value, e: ir.Value) -> list[ir.Value]:
        return [b.select(b.trunc(e, I1), b.fmul(y, sq), y), b.fmul(sq, sq), b.lshr(e, one)]

    y, _, _ = _while(
        fb,
        "powi",
        [ir.Constant(F64, 1.0), base, exponent],
        lambda y, sq, e: b.icmp_unsigned("!=", e, zero),
        step,
    )
    return y


def _binv(fb: _Body, u: ir.Value, m: ir.Value, pp: ir.Value) -> ir.Value:
    """Successes of Binomial(m, pp) at the uniform u by sequential search (BINV)."""
    b, one = fb.b, ir.Constant(F64, 1.0)
    q = b.fsub(one, pp)
    s = b.fdiv(pp, q)
    a = b.fmul(b.fadd(m, one), s)
    r0 = _powi(fb, q, b.fptosi(m, I32))

    def step(x: ir.Value, uu: ir.Value, r: ir.Value) -> list[ir.Value]:
        x1 = b.fadd(x, one)
        return [x1, b.fsub(uu, r), b.fmul(r, b.fsub(b.fdiv(a, x1), s))]

    x, _, _ = _while(
        fb,
        "binv",
        [ir.Constant(F64, 0.0), u, r0],
        lambda x, uu, r: b.and_(b.fcmp_ordered("<", x, m), b.fcmp_ordered(">=", uu, r)),
        step,
    )
    return x


def _binomial_trials(fb: _Body, big_n: ir.Value, pp: ir.Value) -> ir.Value:
    """Successes of ``big_n`` trials with probability pp <= 0.5, one uniform per chunk."""
    b, zero = fb.b, ir.Constant(F64, 0.0)
    q = b.fsub(ir.Constant(F64, 1.0), pp)
    limit = b.fdiv(b.fmul(ir.Constant(F64, BINOMIAL_CHUNK_LOG), q), pp)
    chunk = _select_min(b, big_n, fb.math("floor", limit))

    def step(j: ir.Value, used: ir.Value, total: ir.Value) -> list[ir.Value]:
        m = _select_min(b, chunk, b.fsub(big_n, used))
        x0, x1, x2, x3 = fb.words(b.lshr(j, ir.Constant(I32, 1)))
        u = b.select(b.trunc(j, I1), fb.u53(x2, x3), fb.u53(x0, x1))
        x = _binv(fb, u, m, pp)
        return [b.add(j, ir.Constant(I32, 1)), b.fadd(used, m), b.fadd(total, x)]

    _, _, total = _while(
        fb,
        "binomial",
        [ir.Constant(I32, 0), zero, zero],
        lambda j, used, total: b.fcmp_ordered("<", used, big_n),
        step,
    )
    return total


def _binomial(fb: _Body, args: list[ir.Value]) -> ir.Value:
    b, zero, one = fb.b, ir.Constant(F64, 0.0), ir.Constant(F64, 1.0)
    n, p = _to_f64(fb, args)
    big_n = _select_min(b, fb.math("trunc", n), ir.Constant(F64, BINOMIAL_MAX_N))
    big_n = b.select(b.fcmp_ordered(">=", n, one), big_n, zero)
    big_n = b.select(b.fcmp_ordered(">", p, zero), big_n, zero)
    flip = b.fcmp_ordered(">", p, ir.Constant(F64, 0.5))
    pp = b.select(flip, b.fsub(one, p), p)
    inner = b.and_(b.fcmp_ordered(">", big_n, zero), b.fcmp_ordered("<", p, one))
    entry = b.block
    work, finish = fb.new_block("binomial.work"), fb.new_block("binomial.out")
    b.cbranch(inner, work, finish)
    b.position_at_end(work)
    total = _binomial_trials(fb, big_n, pp)
    x = b.select(flip, b.fsub(big_n, total), total)
    last = b.block
    b.branch(finish)
    b.position_at_end(finish)
    out = b.phi(F64, "x")
    out.add_incoming(big_n, entry)
    out.add_incoming(x, last)
    return b.fptosi(out, I32)


# --------------------------------------------------------------------------------------------------
# entry point


_EMIT: dict[Dist, _Emit] = {
    Dist.UNIFORM: _uniform,
    Dist.DISCRETE_UNIFORM: _discrete_uniform,
    Dist.NORMAL: _normal,
    Dist.LOGNORMAL: _lognormal,
    Dist.EXPONENTIAL: _exponential,
    Dist.GAMMA: _gamma,
    Dist.BINOMIAL: _binomial,
}

#: Distributions with loops: left to LLVM's inliner instead of forced inline.
_LOOPING = frozenset({Dist.GAMMA, Dist.BINOMIAL})


def _dist_function(module: ir.Module, dist: Dist, real: ir.Type) -> ir.Function:
    """``nnc.rng.<Dist>.<real>(k0, k1, c0, c1, c2, c3, args...)``, created once per module."""
    name = f"nnc.rng.{dist.value}.{_real_name(real)}"
    if name in module.globals:
        return module.globals[name]
    result = I32 if dist.dtype is DType.INT else real
    fn = ir.Function(module, ir.FunctionType(result, [I32] * 6 + [real] * dist.arity), name)
    fn.linkage = "internal"
    fn.attributes.add("nounwind")
    if dist not in _LOOPING:
        fn.attributes.add("alwaysinline")
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    k0, k1, c0, c1, c2, c3, *args = fn.args
    b.ret(_EMIT[dist](_Body(b, (k0, k1), (c0, c1, c2, c3), real), list(args)))
    return fn


def emit_random(
    builder: ir.IRBuilder,
    dist: Dist,
    args: list[ir.Value],
    key: tuple[ir.Value, ir.Value],
    counter: tuple[ir.Value, ir.Value, ir.Value, ir.Value],
    real: ir.Type,
) -> ir.Value:
    """One draw of ``dist(*args)`` for ``key``/``counter`` (i32 values; counter[3] is the first block).

    ``args`` are of type ``real`` (double or float). Returns a ``real`` value, or an i32 for
    DiscreteUniform and Binomial. Emits one call of the distribution's internal function (see the
    module docstring); the current block of ``builder`` is not split.
    """
    if len(args) != dist.arity or any(a.type != real for a in args):
        raise InternalError("llvm-rng", f"{dist.value} needs {dist.arity} {real} arguments, got {args}")
    fn = _dist_function(builder.module, dist, real)
    return builder.call(fn, [*key, *counter, *args])
