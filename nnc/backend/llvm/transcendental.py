"""nnc's exp, log, sin and cos (:mod:`nnc.ir.transcendental`) emitted as LLVM IR with IRBuilder.

The definitions are the Python functions of :mod:`nnc.ir.transcendental`; here they run with
:class:`IrOps`, whose every operation appends one instruction (``fadd``, ``bitcast``, ``select`` ...,
without fast-math flags), so the generated code performs the interpreter's operations in the
interpreter's order. Each function and argument type becomes one ``internal alwaysinline`` function
``nnc.math.<fn>.<type>`` (``f64``, ``f32``, ``v8f64`` ...), created on first use: straight-line code
without calls, which LLVM inlines into the loop and can vectorise.
"""

from __future__ import annotations

from llvmlite import ir

from nnc.diagnostics import InternalError
from nnc.ir.transcendental import MathFn, apply

I64 = ir.IntType(64)
F32, F64 = ir.FloatType(), ir.DoubleType()


class IrOps:
    """:class:`nnc.ir.transcendental.Ops` as IRBuilder instructions on f64/i64/i1 values of one width."""

    def __init__(self, b: ir.IRBuilder, width: int):
        self.b = b
        self.width = width

    def _of(self, t: ir.Type) -> ir.Type:
        return t if self.width == 1 else ir.VectorType(t, self.width)

    def const(self, c: float) -> ir.Constant:
        return self._splat(F64, c)

    def iconst(self, c: int) -> ir.Constant:
        return self._splat(I64, c)

    def _splat(self, t: ir.Type, c: float | int) -> ir.Constant:
        return ir.Constant(t, c) if self.width == 1 else ir.Constant(self._of(t), [c] * self.width)

    def fadd(self, a: ir.Value, b: ir.Value) -> ir.Value:
        return self.b.fadd(a, b)

    def fsub(self, a: ir.Value, b: ir.Value) -> ir.Value:
        return self.b.fsub(a, b)

    def fmul(self, a: ir.Value, b: ir.Value) -> ir.Value:
        return self.b.fmul(a, b)

    def fdiv(self, a: ir.Value, b: ir.Value) -> ir.Value:
        return self.b.fdiv(a, b)

    def fneg(self, a: ir.Value) -> ir.Value:
        return self.b.fneg(a)

    def flt(self, a: ir.Value, b: ir.Value) -> ir.Value:
        return self.b.fcmp_ordered("<", a, b)

    def fgt(self, a: ir.Value, b: ir.Value) -> ir.Value:
        return self.b.fcmp_ordered(">", a, b)

    def fge(self, a: ir.Value, b: ir.Value) -> ir.Value:
        return self.b.fcmp_ordered(">=", a, b)

    def feq(self, a: ir.Value, b: ir.Value) -> ir.Value:
        return self.b.fcmp_ordered("==", a, b)

    def isnan(self, a: ir.Value) -> ir.Value:
        return self.b.fcmp_unordered("uno", a, a)

    def select(self, c: ir.Value, a: ir.Value, b: ir.Value) -> ir.Value:
        return self.b.select(c, a, b)

    def bits(self, a: ir.Value) -> ir.Value:
        return self.b.bitcast(a, self._of(I64))

    def real(self, i: ir.Value) -> ir.Value:
        return self.b.bitcast(i, self._of(F64))

    def add(self, a: ir.Value, b: ir.Value) -> ir.Value:
        return self.b.add(a, b)

    def sub(self, a: ir.Value, b: ir.Value) -> ir.Value:
        return self.b.sub(a, b)

    def and_(self, a: ir.Value, b: ir.Value) -> ir.Value:
        return self.b.and_(a, b)

    def or_(self, a: ir.Value, b: ir.Value) -> ir.Value:
        return self.b.or_(a, b)

    def xor(self, a: ir.Value, b: ir.Value) -> ir.Value:
        return self.b.xor(a, b)

    def shl(self, a: ir.Value, n: int) -> ir.Value:
        return self.b.shl(a, self.iconst(n))

    def lshr(self, a: ir.Value, n: int) -> ir.Value:
        return self.b.lshr(a, self.iconst(n))

    def sgt(self, a: ir.Value, b: ir.Value) -> ir.Value:
        return self.b.icmp_signed(">", a, b)

    def widen(self, a: ir.Value) -> ir.Value:
        return self.b.fpext(a, self._of(F64))

    def narrow(self, a: ir.Value) -> ir.Value:
        return self.b.fptrunc(a, self._of(F32))


def _type_name(t: ir.Type) -> str:
    if isinstance(t, ir.VectorType):
        return f"v{t.count}{_type_name(t.element)}"
    if isinstance(t, ir.DoubleType):
        return "f64"
    if isinstance(t, ir.FloatType):
        return "f32"
    raise InternalError("llvm-math", f"nnc's math functions take double or float values, not {t}")


def math_function(module: ir.Module, fn: MathFn, ty: ir.Type) -> ir.Function:
    """``nnc.math.<fn>.<type>(x) -> <type>``, created once per module and type."""
    name = f"nnc.math.{fn.value}.{_type_name(ty)}"
    if name in module.globals:
        return module.globals[name]
    func = ir.Function(module, ir.FunctionType(ty, [ty]), name)
    func.linkage = "internal"
    func.attributes.add("alwaysinline")
    func.attributes.add("nounwind")
    b = ir.IRBuilder(func.append_basic_block("entry"))
    element = ty.element if isinstance(ty, ir.VectorType) else ty
    width = ty.count if isinstance(ty, ir.VectorType) else 1
    b.ret(apply(IrOps(b, width), fn, func.args[0], isinstance(element, ir.FloatType)))
    return func


def emit_math(builder: ir.IRBuilder, fn: MathFn, x: ir.Value) -> ir.Value:
    """``fn(x)`` for a double or float value, or a vector of them (one call, inlined by LLVM)."""
    return builder.call(math_function(builder.module, fn, x.type), [x])
