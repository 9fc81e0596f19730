"""The LLVM IR random numbers against Random123's answers and the NumPy reference (nnc.ir.rng)."""

from __future__ import annotations

import re

import llvmlite.binding as llvm
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from llvmlite import ir
from rng_harness import RngJit, optimise

from nnc.backend.llvm.rng import LIBM_SYMBOLS, emit_philox, emit_random
from nnc.diagnostics import InternalError
from nnc.ir.nodes import Dist
from nnc.ir.rng import draw, philox4x32, philox_key

M32 = 0xFFFFFFFF
F64, F32 = np.dtype(np.float64), np.dtype(np.float32)

# Random123 kat_vectors, philox4x32 R=10: counter, key, expected output.
KAT = [
    ((0, 0, 0, 0), (0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
    ((M32,) * 4, (M32, M32), (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
    (
        (0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344),
        (0xA4093822, 0x299F31D0),
        (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1),
    ),
]


@pytest.fixture(scope="module")
def jit() -> RngJit:
    return RngJit.build(opt=2)


@pytest.mark.parametrize(("ctr", "key", "expected"), KAT)
def test_philox_known_answers(jit, ctr, key, expected):
    got = jit.philox(np.array(ctr, dtype=np.uint32).reshape(4, 1), key)
    assert tuple(int(w) for w in got[:, 0]) == expected


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.tuples(*[st.integers(0, M32)] * 4), min_size=1, max_size=40),
    st.tuples(st.integers(0, M32), st.integers(0, M32)),
)
def test_philox_words_equal_the_reference(jit, counters, key):
    ctr = np.array(counters, dtype=np.uint32).T
    np.testing.assert_array_equal(jit.philox(ctr, key), philox4x32(ctr, key))


# --------------------------------------------------------------------------------------------------
# distributions: IR == reference, bit for bit (nnc's own log/exp/cos in both, no C library)


def _compare(got: np.ndarray, ref: np.ndarray) -> None:
    """The same values, NaN where the reference has NaN."""
    assert got.dtype == ref.dtype
    np.testing.assert_array_equal(got, ref)


def _args(dist: Dist) -> st.SearchStrategy:
    pos = st.floats(0.01, 100.0)
    match dist:
        case Dist.UNIFORM | Dist.NORMAL:
            return st.tuples(st.floats(-1e3, 1e3), st.floats(0.0, 1e3))
        case Dist.LOGNORMAL:
            return st.tuples(st.floats(-5.0, 5.0), st.floats(0.0, 2.0))
        case Dist.DISCRETE_UNIFORM:
            return st.tuples(st.floats(-1e6, 1e6), st.floats(0.0, 1e6)).map(lambda ab: (ab[0], ab[0] + ab[1]))
        case Dist.EXPONENTIAL:
            return st.tuples(pos)
        case Dist.GAMMA:
            return st.tuples(st.floats(0.001, 50.0), pos)
        case Dist.BINOMIAL:
            return st.tuples(st.floats(-1.0, 3000.0), st.floats(-0.1, 1.1))
    raise AssertionError(dist)


_ELEMS = st.lists(st.tuples(st.integers(0, M32), st.integers(0, M32)), min_size=1, max_size=16)


@pytest.mark.parametrize("real", [F64, F32], ids=str)
@pytest.mark.parametrize("dist", list(Dist), ids=lambda d: d.value)
@settings(max_examples=25, deadline=None)
@given(
    data=st.data(),
    seed=st.integers(0, 2**64 - 1),
    stream=st.integers(0, M32),
    elems=_ELEMS,
    step=st.integers(0, 2**40),
)
def test_draws_equal_the_reference(jit, dist, real, data, seed, stream, elems, step):
    args = tuple(np.asarray(a, dtype=real) for a in data.draw(_args(dist)))
    ea = np.array([e[0] for e in elems], dtype=np.int64)
    eb = np.array([e[1] for e in elems], dtype=np.int64)
    ref = draw(dist, args, seed, stream, ea, eb, step, real)
    got = jit.draw(dist, args, philox_key(seed, stream), (ea, eb), step, real)
    _compare(got, ref)


@pytest.mark.parametrize("real", [F64, F32], ids=str)
def test_many_elements_and_varying_arguments(jit, real):
    """10^4 elements per distribution with per-element arguments (covers rare rejection paths)."""
    n = 10_000
    gen = np.random.default_rng(3)
    e = (np.arange(n), np.full(n, 5))
    for dist in Dist:
        args = _spread(dist, gen, n, real)
        ref = draw(dist, args, 77, 8, *e, 1234, real)
        got = jit.draw(dist, args, philox_key(77, 8), e, 1234, real)
        _compare(got, ref)


def _spread(dist: Dist, gen: np.random.Generator, n: int, real: np.dtype) -> tuple[np.ndarray, ...]:
    match dist:
        case Dist.EXPONENTIAL:
            raw = (np.exp(gen.uniform(-5, 5, n)),)
        case Dist.GAMMA:
            raw = (np.exp(gen.uniform(-6, 4, n)), gen.uniform(0.1, 10, n))
        case Dist.BINOMIAL:
            raw = (np.floor(gen.uniform(0, 1500, n)), gen.uniform(0, 1, n))
        case Dist.DISCRETE_UNIFORM:
            lo = np.floor(gen.uniform(-1e4, 1e4, n))
            raw = (lo, lo + np.floor(gen.uniform(0, 1e4, n)))
        case _:
            raw = (gen.uniform(-3, 3, n), gen.uniform(0.01, 3, n))
    return tuple(a.astype(real) for a in raw)


def test_optimisation_does_not_change_any_value(jit):
    plain = RngJit.build(opt=0)
    gen = np.random.default_rng(4)
    e = (np.arange(4000), np.zeros(4000))
    for dist in Dist:
        for real in (F64, F32):
            args = _spread(dist, gen, 4000, real)
            fast = jit.draw(dist, args, (9, 10), e, 11, real)
            np.testing.assert_array_equal(fast, plain.draw(dist, args, (9, 10), e, 11, real))


# --------------------------------------------------------------------------------------------------
# the shape of the emitted IR


def _module_with(draws: list[tuple[Dist, ir.Type]]) -> ir.Module:
    """``f(k0, k1, c0..c3, a, s, out*)`` storing each draw, as a double, to out[0], out[1], ..."""
    module = ir.Module("shape")
    i32, f64 = ir.IntType(32), ir.DoubleType()
    fnty = ir.FunctionType(ir.VoidType(), [i32] * 6 + [f64] * 2 + [ir.PointerType(f64)])
    fn = ir.Function(module, fnty, "f")
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    k0, k1, c0, c1, c2, c3, a, s, out = fn.args
    for k, (dist, real) in enumerate(draws):
        args = [b.fptrunc(x, real) if isinstance(real, ir.FloatType) else x for x in (a, s)][: dist.arity]
        value = emit_random(b, dist, args, (k0, k1), (c0, c1, c2, c3), real)
        if value.type != f64:
            value = b.sitofp(value, f64) if value.type == i32 else b.fpext(value, f64)
        b.store(value, b.gep(out, [ir.Constant(i32, k)]))
    emit_philox(b, (k0, k1), (c0, c1, c2, c3))
    b.ret_void()
    return module


def test_helpers_are_internal_and_created_once_per_module():
    text = str(
        _module_with(
            [(Dist.NORMAL, ir.DoubleType())] * 3
            + [(Dist.NORMAL, ir.FloatType())]
            + [(Dist.GAMMA, ir.DoubleType())] * 2
        )
    )
    assert len(re.findall(r"define internal .*@\"nnc\.rng\.Normal\.f64\"", text)) == 1
    assert len(re.findall(r"define internal .*@\"nnc\.rng\.Normal\.f32\"", text)) == 1
    assert len(re.findall(r"define internal .*@\"nnc\.rng\.Gamma\.f64\"", text)) == 1
    assert len(re.findall(r"define internal .*@\"nnc\.philox4x32_10\"", text)) == 1
    assert len(re.findall(r"call .*@\"nnc\.rng\.Normal\.f64\"", text)) == 3
    for fn in ("log.f64", "cos.f64", "log.f32", "cos.f32"):
        assert len(re.findall(rf"define internal .*@\"nnc\.math\.{re.escape(fn)}\"", text)) == 1
    assert not re.search(r"declare .*@\"llvm\.(log|cos|exp|pow)\.", text)


def _definition(text: str, name: str) -> str:
    start = re.search(rf'define internal [^@]*@"{re.escape(name)}"\(.*', text)
    assert start, name
    return text[start.start() : text.index("\n}", start.start())]


def test_philox_is_straight_line_with_twenty_multiplies():
    body = _definition(str(_module_with([])), "nnc.philox4x32_10")
    assert "alwaysinline" in body.splitlines()[0]
    assert len(re.findall(r"= mul i64", body)) == 2 * 10
    assert not re.search(r"\bbr\b|\bphi\b", body)


def test_rejection_and_inversion_loops_are_basic_blocks():
    text = str(_module_with([(Dist.GAMMA, ir.DoubleType()), (Dist.BINOMIAL, ir.FloatType())]))
    assert re.search(r"phi\s+i32 .*%\"gamma\.reject\"", _definition(text, "nnc.rng.Gamma.f64"))
    binomial = _definition(text, "nnc.rng.Binomial.f32")
    assert re.search(r"phi\s+double .*%\"binv\.body\"", binomial)
    assert "fpext float" in binomial  # computed in f64 for both real types


def test_misuse_is_an_internal_error():
    module = ir.Module("bad")
    fn = ir.Function(module, ir.FunctionType(ir.VoidType(), [ir.IntType(32), ir.DoubleType()]), "f")
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    i, x = fn.args
    y = b.fptrunc(x, ir.FloatType())
    with pytest.raises(InternalError, match="needs 2"):
        emit_random(b, Dist.UNIFORM, [x], (i, i), (i, i, i, i), ir.DoubleType())
    with pytest.raises(InternalError, match="needs 1"):
        emit_random(b, Dist.EXPONENTIAL, [y], (i, i), (i, i, i, i), ir.DoubleType())
    with pytest.raises(InternalError, match="double or float"):
        emit_random(b, Dist.EXPONENTIAL, [b.fptosi(x, ir.IntType(32))], (i, i), (i, i, i, i), ir.IntType(32))


def test_every_external_call_is_a_listed_libm_symbol(jit):
    """The symbols the JIT must find (DESIGN.md §3: MCJIT turns a missing one into a null call): none of
    log, exp, cos or pow, which are nnc's own now."""
    module = _module_with([(d, r) for d in Dist for r in (ir.DoubleType(), ir.FloatType())])
    tm = llvm.Target.from_default_triple().create_target_machine(
        cpu=llvm.get_host_cpu_name(),
        features=llvm.get_host_cpu_features().flatten(),
        opt=2,
        reloc="pic",
        codemodel="small",
    )
    asm = tm.emit_assembly(optimise(module, tm, 2))
    called = set(re.findall(r"^\s+(?:call|jmp)[a-z]*\s+([A-Za-z_][\w.]*)(?:@PLT)?\s*$", asm, re.M))
    external = {name for name in called if not name.startswith(("nnc.", "llvm."))}
    assert external <= LIBM_SYMBOLS
    assert not external & {"log", "cos", "exp", "pow", "logf", "cosf", "expf", "powf"}
