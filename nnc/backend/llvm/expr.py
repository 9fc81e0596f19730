"""Expression lowering: IR expression nodes to llvmlite ``IRBuilder`` instructions, scalar or in lanes.

Types follow SEMANTICS.md §14: ``REAL`` is ``double`` or ``float`` (``Module.precision``), ``INT`` is ``i32``,
``BOOL`` is ``i1`` in registers and ``u8`` in memory. The implicit conversions are those stated at the top
of :mod:`nnc.ir.nodes`. Every operator and function is a table entry (op -> builder method, intrinsic or
libm symbol), not an ``if`` chain; the functions of :data:`nnc.ir.transcendental.DSL_MATH` are nnc's own
(:mod:`nnc.backend.llvm.transcendental`), the others the C library's. A :class:`Lowering` works at a
fixed ``width``: 1 gives scalars, 8 gives ``<8 x T>`` vectors (the fixed-order dendrite reductions);
scalars coming from the environment are splatted to the width. Context nodes (attributes, inputs,
temporaries, time, random draws, reductions) are delegated to an :class:`Env` provided by the kernel
builder.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from llvmlite import ir

from nnc.backend.llvm.transcendental import emit_math
from nnc.diagnostics import BackendError
from nnc.ir.functions import Func
from nnc.ir.nodes import (
    Binary,
    BinaryOp,
    Call,
    Cast,
    CmpOp,
    Compare,
    Const,
    Expr,
    Logic,
    LogicOp,
    Select,
    Unary,
    UnaryOp,
)
from nnc.ir.transcendental import DSL_MATH
from nnc.ir.types import DType, Precision

I1 = ir.IntType(1)
I8 = ir.IntType(8)
I32 = ir.IntType(32)
I64 = ir.IntType(64)
PTR = ir.PointerType()


def real_type(precision: Precision) -> ir.Type:
    """LLVM type of ``DType.REAL`` (SEMANTICS.md §14)."""
    return ir.DoubleType() if precision is Precision.F64 else ir.FloatType()


def storage_type(dtype: DType, real: ir.Type) -> ir.Type:
    """LLVM type of one element of a buffer of ``dtype`` (bool is stored as ``u8``)."""
    return {DType.REAL: real, DType.INT: I32, DType.BOOL: I8}[dtype]


def mangle(t: ir.Type) -> str:
    """Overload suffix of an intrinsic for type ``t`` (``f64``, ``v8f32``, ``i32`` ...)."""
    if isinstance(t, ir.VectorType):
        return f"v{t.count}{mangle(t.element)}"
    if isinstance(t, ir.DoubleType):
        return "f64"
    if isinstance(t, ir.FloatType):
        return "f32"
    return f"i{t.width}"


@dataclass(frozen=True, slots=True)
class Typing:
    """The model float type and the lane count of a lowering."""

    real: ir.Type
    width: int = 1

    def scalar(self, dtype: DType) -> ir.Type:
        """Register type of one element of ``dtype``."""
        return {DType.REAL: self.real, DType.INT: I32, DType.BOOL: I1}[dtype]

    def of(self, t: ir.Type) -> ir.Type:
        """``t`` widened to the lane count."""
        return t if self.width == 1 else ir.VectorType(t, self.width)

    def reg(self, dtype: DType) -> ir.Type:
        """Register type of a value of ``dtype`` at this width."""
        return self.of(self.scalar(dtype))

    def const(self, t: ir.Type, value: float | int | bool) -> ir.Constant:
        """A constant of scalar type ``t`` at this width."""
        if self.width == 1:
            return ir.Constant(t, value)
        return ir.Constant(ir.VectorType(t, self.width), [value] * self.width)

    def splat(self, b: ir.IRBuilder, v: ir.Value) -> ir.Value:
        """``v`` as a value of this width (scalars are broadcast)."""
        if self.width == 1 or isinstance(v.type, ir.VectorType):
            return v
        return splat(b, v, self.width)


def splat(b: ir.IRBuilder, v: ir.Value, width: int) -> ir.Value:
    """``v`` broadcast to ``width`` lanes."""
    vec = b.insert_element(ir.Constant(ir.VectorType(v.type, width), ir.Undefined), v, I32(0))
    zeros = ir.Constant(ir.VectorType(I32, width), [0] * width)
    return b.shuffle_vector(vec, ir.Constant(vec.type, ir.Undefined), zeros)


def element(b: ir.IRBuilder, ptr: ir.Value, index: ir.Value, elem: ir.Type) -> ir.Value:
    """Address of element ``index`` of an ``elem`` array (one address per lane for a vector index)."""
    addr = b.gep(ptr, [index], inbounds=True, source_etype=elem)
    if isinstance(index.type, ir.VectorType):
        addr.type = ir.VectorType(PTR, index.type.count)
    return addr


# --------------------------------------------------------------------------------------------------
# math library: intrinsics and libm symbols


@dataclass(slots=True)
class MathLib:
    """Declares intrinsics and libm functions in one module (the JIT checks the symbols they need)."""

    module: ir.Module
    real: ir.Type

    def function(self, name: str, ret: ir.Type, args: list[ir.Type]) -> ir.Function:
        """The declaration ``name`` of the module, created on first use."""
        existing = self.module.globals.get(name)
        if existing is not None:
            return existing
        fn = ir.Function(self.module, ir.FunctionType(ret, args), name)
        if not name.startswith("llvm."):
            fn.attributes.add("nounwind")
            fn.attributes.add("readnone")
        return fn

    def intrinsic(self, b: ir.IRBuilder, name: str, args: list[ir.Value]) -> ir.Value:
        """Call the overloaded intrinsic ``name`` on arguments of one type (scalar or vector)."""
        t = args[0].type
        return b.call(self.function(f"{name}.{mangle(t)}", t, [t] * len(args)), args)

    def libm(self, b: ir.IRBuilder, name: str, args: list[ir.Value]) -> ir.Value:
        """Call C's ``name`` (``namef`` in single precision) on scalar reals."""
        symbol = name if isinstance(self.real, ir.DoubleType) else name + "f"
        return b.call(self.function(symbol, self.real, [self.real] * len(args)), args)

    def fmod(self, b: ir.IRBuilder, x: ir.Value, y: ir.Value) -> ir.Value:
        """C ``fmod`` (exact); LLVM's ``frem`` is that on the CPU (another target overrides this)."""
        return b.frem(x, y)


# --------------------------------------------------------------------------------------------------
# operator tables

_BINARY_OP_MAP = {
    BinaryOp.ADD: "fadd",
    BinaryOp.SUB: "fsub",
    BinaryOp.MUL: "fmul",
    BinaryOp.DIV: "fdiv",
}
#: C comparison semantics: every comparison with NaN is false except ``!=``.
_CMP_OP_MAP = {
    CmpOp.LT: ("fcmp_ordered", "<"),
    CmpOp.LE: ("fcmp_ordered", "<="),
    CmpOp.GT: ("fcmp_ordered", ">"),
    CmpOp.GE: ("fcmp_ordered", ">="),
    CmpOp.EQ: ("fcmp_ordered", "=="),
    CmpOp.NE: ("fcmp_unordered", "!="),
}
_LOGIC_OP_MAP = {LogicOp.AND: "and_", LogicOp.OR: "or_"}

#: Functions that are LLVM intrinsics (exact or libm-backed; LLVM knows they have no side effects).
#: Those named in ``DSL_MATH`` are lowered to nnc's own functions instead (see ``_call``).
_INTRINSIC_FUNCS = {
    Func.EXP: "llvm.exp",
    Func.LOG: "llvm.log",
    Func.LOG10: "llvm.log10",
    Func.LOG2: "llvm.log2",
    Func.SQRT: "llvm.sqrt",
    Func.SIN: "llvm.sin",
    Func.COS: "llvm.cos",
    Func.TAN: "llvm.tan",
    Func.ASIN: "llvm.asin",
    Func.ACOS: "llvm.acos",
    Func.ATAN: "llvm.atan",
    Func.SINH: "llvm.sinh",
    Func.COSH: "llvm.cosh",
    Func.TANH: "llvm.tanh",
    Func.FLOOR: "llvm.floor",
    Func.CEIL: "llvm.ceil",
    Func.TRUNC: "llvm.trunc",
    Func.ROUND: "llvm.round",  # C round: half away from zero
    Func.FABS: "llvm.fabs",
    Func.POW: "llvm.pow",
    Func.ATAN2: "llvm.atan2",
    Func.FMAX: "llvm.maxnum",  # C fmax: a NaN operand is ignored
    Func.FMIN: "llvm.minnum",
}
#: Functions called in the C math library (scalar calls; lanes are called one by one).
_LIBM_FUNCS = {
    Func.LOG1P: "log1p",
    Func.EXPM1: "expm1",
    Func.CBRT: "cbrt",
    Func.ERF: "erf",
    Func.ERFC: "erfc",
    Func.TGAMMA: "tgamma",
    Func.LGAMMA: "lgamma",
    Func.HYPOT: "hypot",
}


# --------------------------------------------------------------------------------------------------
# conversions


def _real_to_int(lo: Lowering, v: ir.Value) -> ir.Value:
    """Truncation toward zero; saturating, so NaN and out-of-range values are defined (NaN -> 0)."""
    ity = lo.ty.of(I32)
    fn = lo.lib.function(f"llvm.fptosi.sat.{mangle(ity)}.{mangle(v.type)}", ity, [v.type])
    return lo.b.call(fn, [v])


_CONVERSIONS: dict[tuple[DType, DType], Callable[[Lowering, ir.Value], ir.Value]] = {
    (DType.INT, DType.REAL): lambda lo, v: lo.b.sitofp(v, lo.ty.reg(DType.REAL)),
    (DType.BOOL, DType.REAL): lambda lo, v: lo.b.uitofp(v, lo.ty.reg(DType.REAL)),
    (DType.REAL, DType.INT): _real_to_int,
    (DType.BOOL, DType.INT): lambda lo, v: lo.b.zext(v, lo.ty.reg(DType.INT)),
    (DType.REAL, DType.BOOL): lambda lo, v: lo.b.fcmp_unordered("!=", v, lo.ty.const(lo.ty.real, 0.0)),
    (DType.INT, DType.BOOL): lambda lo, v: lo.b.icmp_signed("!=", v, lo.ty.const(I32, 0)),
}


# --------------------------------------------------------------------------------------------------
# environment and lowering


class Env(Protocol):
    """Supplies the values of context nodes (Var, Input, Temp, Time, Dt, Random, Reduce ...)."""

    def leaf(self, node: Expr, lo: Lowering) -> ir.Value:
        """Value of ``node`` (scalar or of the lowering's width), in its register type."""
        ...


@dataclass(slots=True)
class Lowering:
    """Lowers expressions at one insertion point, for one lane count."""

    b: ir.IRBuilder
    ty: Typing
    lib: MathLib
    env: Env

    def expr(self, e: Expr) -> ir.Value:
        """Value of ``e`` in the register type of ``e.dtype`` at this width."""
        handler = _NODE_LOWERING.get(type(e))
        if handler is None:
            return self.ty.splat(self.b, self.env.leaf(e, self))
        return handler(self, e)

    def as_type(self, e: Expr, dtype: DType) -> ir.Value:
        """Value of ``e`` converted to ``dtype`` (the implicit conversions of :mod:`nnc.ir.nodes`)."""
        return self.convert(self.expr(e), e.dtype, dtype)

    def convert(self, v: ir.Value, src: DType, dst: DType) -> ir.Value:
        """``v`` of type ``src`` converted to ``dst``."""
        if src is dst:
            return v
        return _CONVERSIONS[(src, dst)](self, v)

    def real(self, e: Expr) -> ir.Value:
        """Value of ``e`` as a real."""
        return self.as_type(e, DType.REAL)

    def zero(self) -> ir.Constant:
        """Real 0 at this width."""
        return self.ty.const(self.ty.real, 0.0)

    def per_lane(self, fn: Callable[[list[ir.Value]], ir.Value], args: list[ir.Value]) -> ir.Value:
        """Apply a scalar builder ``fn`` to each lane of ``args`` (directly when the width is 1)."""
        if self.ty.width == 1:
            return fn(args)
        out: ir.Value | None = None
        for lane in range(self.ty.width):
            r = fn([self.b.extract_element(a, I32(lane)) for a in args])
            if out is None:
                out = ir.Constant(ir.VectorType(r.type, self.ty.width), ir.Undefined)
            out = self.b.insert_element(out, r, I32(lane))
        assert out is not None
        return out


def _const(lo: Lowering, e: Const) -> ir.Value:
    match e.type:
        case DType.REAL:
            return lo.ty.const(lo.ty.real, float(e.value))
        case DType.INT:
            return lo.ty.const(I32, int(e.value))
    return lo.ty.const(I1, bool(e.value))


def _unary(lo: Lowering, e: Unary) -> ir.Value:
    if e.op is UnaryOp.NEG:
        return lo.b.fneg(lo.real(e.operand))
    return lo.b.xor(lo.as_type(e.operand, DType.BOOL), lo.ty.const(I1, 1))


def _binary(lo: Lowering, e: Binary) -> ir.Value:
    a, c = lo.real(e.lhs), lo.real(e.rhs)
    if e.op is BinaryOp.POW:
        return lo.lib.intrinsic(lo.b, "llvm.pow", [a, c])
    return getattr(lo.b, _BINARY_OP_MAP[e.op])(a, c)


def _compare(lo: Lowering, e: Compare) -> ir.Value:
    method, op = _CMP_OP_MAP[e.op]
    return getattr(lo.b, method)(op, lo.real(e.lhs), lo.real(e.rhs))


def _logic(lo: Lowering, e: Logic) -> ir.Value:
    a, c = lo.as_type(e.lhs, DType.BOOL), lo.as_type(e.rhs, DType.BOOL)
    return getattr(lo.b, _LOGIC_OP_MAP[e.op])(a, c)


def _select(lo: Lowering, e: Select) -> ir.Value:
    cond = lo.as_type(e.cond, DType.BOOL)
    t = e.dtype
    return lo.b.select(cond, lo.as_type(e.if_true, t), lo.as_type(e.if_false, t))


def _cast(lo: Lowering, e: Cast) -> ir.Value:
    return lo.as_type(e.operand, e.type)


# ---------------------------------------------------------------- built-in functions (DSL.md §6)


def _pos(lo: Lowering, args: tuple[Expr, ...]) -> ir.Value:
    x = lo.real(args[0])
    return lo.b.select(lo.b.fcmp_ordered(">", x, lo.zero()), x, lo.zero())


def _neg(lo: Lowering, args: tuple[Expr, ...]) -> ir.Value:
    x = lo.real(args[0])
    return lo.b.select(lo.b.fcmp_ordered("<", x, lo.zero()), x, lo.zero())


def _clip(lo: Lowering, args: tuple[Expr, ...]) -> ir.Value:
    x, a, c = (lo.real(v) for v in args)
    upper = lo.b.select(lo.b.fcmp_ordered(">", x, c), c, x)
    return lo.b.select(lo.b.fcmp_ordered("<", x, a), a, upper)


def _modulo(lo: Lowering, args: tuple[Expr, ...]) -> ir.Value:
    """C ``%`` of the truncated operands; a divisor of 0 (or -1, avoiding the overflow trap) gives 0."""
    a, c = (lo.as_type(v, DType.INT) for v in args)
    zero, one = lo.ty.const(I32, 0), lo.ty.const(I32, 1)
    trivial = lo.b.icmp_unsigned("<=", lo.b.add(c, one), one)  # c == 0 or c == -1
    rem = lo.b.srem(a, lo.b.select(trivial, one, c))
    return lo.b.select(trivial, zero, rem)


def _power(lo: Lowering, args: tuple[Expr, ...]) -> ir.Value:
    """``x`` multiplied ``int(n)`` times, left to right (``n <= 0`` gives 1)."""
    x = lo.real(args[0])
    n = args[1]
    one = lo.ty.const(lo.ty.real, 1.0)
    if isinstance(n, Const):
        acc: ir.Value = one
        for _ in range(int(n.value)):
            acc = lo.b.fmul(acc, x)
        return acc
    return _power_loop(lo, x, lo.as_type(n, DType.INT))


def _power_loop(lo: Lowering, x: ir.Value, n: ir.Value) -> ir.Value:
    from nnc.backend.llvm.loops import for_range, lane_max

    b = lo.b
    acc_slot = b.alloca(x.type)
    b.store(lo.ty.const(lo.ty.real, 1.0), acc_slot)
    trips = b.sext(lane_max(b, n), I64)
    with for_range(b, I64(0), trips) as i:
        acc = b.load(acc_slot)
        active = b.icmp_signed("<", lo.ty.splat(b, b.trunc(i, I32)), n)
        b.store(b.select(active, b.fmul(acc, x), acc), acc_slot)
    return b.load(acc_slot)


def _isfinite(lo: Lowering, args: tuple[Expr, ...]) -> ir.Value:
    ax = lo.lib.intrinsic(lo.b, "llvm.fabs", [lo.real(args[0])])
    return lo.b.fcmp_ordered("<", ax, lo.ty.const(lo.ty.real, float("inf")))


def _isnan(lo: Lowering, args: tuple[Expr, ...]) -> ir.Value:
    x = lo.real(args[0])
    return lo.b.fcmp_unordered("uno", x, x)


def _fmod(lo: Lowering, args: tuple[Expr, ...]) -> ir.Value:
    return lo.lib.fmod(lo.b, lo.real(args[0]), lo.real(args[1]))


def _intrinsic_rule(name: str) -> Callable[[Lowering, tuple[Expr, ...]], ir.Value]:
    return lambda lo, args: lo.lib.intrinsic(lo.b, name, [lo.real(a) for a in args])


def _libm_rule(name: str) -> Callable[[Lowering, tuple[Expr, ...]], ir.Value]:
    def rule(lo: Lowering, args: tuple[Expr, ...]) -> ir.Value:
        return lo.per_lane(lambda xs: lo.lib.libm(lo.b, name, xs), [lo.real(a) for a in args])

    return rule


FUNC_LOWERING: dict[Func, Callable[[Lowering, tuple[Expr, ...]], ir.Value]] = {
    Func.POS: _pos,
    Func.NEG: _neg,
    Func.CLIP: _clip,
    Func.MODULO: _modulo,
    Func.POWER: _power,
    Func.ISFINITE: _isfinite,
    Func.ISNAN: _isnan,
    Func.FMOD: _fmod,
    **{f: _intrinsic_rule(name) for f, name in _INTRINSIC_FUNCS.items()},
    **{f: _libm_rule(name) for f, name in _LIBM_FUNCS.items()},
}


def _call(lo: Lowering, e: Call) -> ir.Value:
    own = DSL_MATH.get(e.func)
    if own is not None:
        return emit_math(lo.b, own, lo.real(e.args[0]))
    rule = FUNC_LOWERING.get(e.func)
    if rule is None:
        raise BackendError(f"no lowering for function '{e.func.value}'")
    return rule(lo, e.args)


_NODE_LOWERING: dict[type, Callable[[Lowering, Expr], ir.Value]] = {
    Const: _const,
    Unary: _unary,
    Binary: _binary,
    Compare: _compare,
    Logic: _logic,
    Select: _select,
    Cast: _cast,
    Call: _call,
}
