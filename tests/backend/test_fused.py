"""Fused kernels on the LLVM engine: the same bits as the interpreter and as any thread count; global
operations in blocks of 1024 neurons; a fused transmission is one loop over the neurons.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from passes.fusekit import (
    Net,
    Proj,
    assert_same,
    fused,
    global_neuron,
    input_neuron,
    leaky_neuron,
    mul,
    nets,
    snapshot,
    synapse,
    v,
)

from nnc.backend.abi import ConnField, ConnKey, GlobalOpKey, PopField, PopKey, StateKey
from nnc.backend.interp.engine import InterpEngine
from nnc.backend.llvm.engine import LlvmEngine
from nnc.ir.model import Module
from nnc.ir.nodes import Dist, GlobalOp, Random
from nnc.ir.reductions import global_op
from nnc.ir.types import ObjKind, Precision, Scope
from nnc.options import CompileOptions

POP, PROJ = ObjKind.POPULATION, ObjKind.PROJECTION


def _engine(m: Module) -> LlvmEngine:
    return LlvmEngine.compile(m, CompileOptions(precision=m.precision))


def _runs(net: Net, m: Module, steps: int, threads: tuple[int, ...] = (1, 2)) -> list[dict]:
    """Snapshots after ``steps`` steps: the interpreter first, then LLVM with each thread count."""
    b = net.buffers(m)
    assert InterpEngine(m).run(b, steps) == steps
    out = [snapshot(b)]
    engine = _engine(m)
    for n in threads:
        engine.num_threads = n
        b = net.buffers(m, engine.layout)
        assert engine.run(b, steps) == steps
        out.append(snapshot(b))
    engine.close()
    return out


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(nets())
def test_fused_llvm_equals_interpreter_and_thread_counts(net: Net) -> None:
    first, *others = _runs(net, net.module(), 5)
    for other in others:
        assert_same(first, other)


# --------------------------------------------------------------------------------------------------
# global operations in blocks of 1024 neurons


def _global_net(size: int, op: GlobalOp, precision: Precision = Precision.F64) -> Net:
    return Net([(global_neuron(op), size)], precision=precision)


@pytest.mark.parametrize("size", [1023, 1024, 1025, 2048 + 7, 5000])
@pytest.mark.parametrize("fuse", [False, True])
def test_global_ops_over_blocks(size: int, fuse: bool) -> None:
    """mean/norm1/norm2/min (and max) over > 1024 neurons: interpreter == LLVM with 1, 2 and 3 threads."""
    for op in (GlobalOp.MEAN, GlobalOp.NORM2):
        net = _global_net(size, op)
        m = net.module(fuse=fuse)
        assert ("pop0.globalops" in fused(m)) is fuse
        first, *others = _runs(net, m, 4, threads=(1, 2, 3))
        for other in others:
            assert_same(first, other)


@pytest.mark.parametrize("op", list(GlobalOp))
def test_global_op_order_written_out(op: GlobalOp) -> None:
    """The interpreter's order, re-derived: 1024-neuron blocks of 8 sequential lanes, blocks in order."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=2600).astype(np.float32)
    value = {GlobalOp.NORM1: np.abs, GlobalOp.NORM2: np.square}.get(op, lambda a: a)(x)
    comb = {GlobalOp.MAX: max, GlobalOp.MIN: min}.get(op, lambda a, b: a + b)
    ident = {GlobalOp.MAX: -np.inf, GlobalOp.MIN: np.inf}.get(op, 0.0)
    blocks = []
    for start in range(0, len(value), 1024):
        lanes = [np.float32(ident)] * 8
        for p, item in enumerate(value[start : start + 1024]):
            lanes[p % 8] = comb(lanes[p % 8], item)
        blocks.append(
            comb(
                comb(comb(lanes[0], lanes[4]), comb(lanes[2], lanes[6])),
                comb(comb(lanes[1], lanes[5]), comb(lanes[3], lanes[7])),
            )
        )
    total = blocks[0]
    for b in blocks[1:]:
        total = comb(total, b)
    match op:
        case GlobalOp.MEAN:
            expected = total / np.float32(len(x))
        case GlobalOp.NORM2:
            expected = np.sqrt(total)
        case _:
            expected = total
    got = global_op(op, x)
    assert got.dtype == np.float32
    assert got[0] == np.float32(expected)


def test_fused_global_ops_in_single_precision_over_blocks() -> None:
    net = _global_net(3000, GlobalOp.NORM1, Precision.F32)
    first, *others = _runs(net, net.module(), 3, threads=(1, 2))
    for other in others:
        assert_same(first, other)
    assert_same(first, _runs(net, net.module(fuse=False), 3, threads=())[0])


def test_neuron_equations_see_the_previous_global_op() -> None:
    """In the fused loop the result slots change only when the loop is done (SEMANTICS.md §7): one step
    of ``m = mean(r)``, ``r = 0.5 r + 0.0 - 0.25 m + 0.125 max(r)`` computed by hand from the slots."""
    net = _global_net(1500, GlobalOp.MEAN)
    mod = net.module()
    assert fused(mod) == {"pop0.globalops"}
    engine = _engine(mod)
    engine.num_threads = 2
    b = net.buffers(mod, engine.layout)
    r0 = b.array(StateKey(POP, 0, "r"))[:1500].copy()
    mean0 = b.array(GlobalOpKey(0, GlobalOp.MEAN, "r"))[0]
    max0 = b.array(GlobalOpKey(0, GlobalOp.MAX, "r"))[0]
    engine.run(b, 1)
    r1 = ((0.5 * r0 + 0.0) + (-0.25 * mean0)) + 0.125 * max0
    np.testing.assert_array_equal(b.array(StateKey(POP, 0, "r"))[:1500], r1)
    assert b.array(StateKey(POP, 0, "m"))[0] == mean0
    assert b.array(GlobalOpKey(0, GlobalOp.MEAN, "r"))[0] == global_op(GlobalOp.MEAN, r1)[0]
    assert b.array(GlobalOpKey(0, GlobalOp.MAX, "r"))[0] == global_op(GlobalOp.MAX, r1)[0]
    engine.close()


# --------------------------------------------------------------------------------------------------
# one pass over the data


_BRANCH = re.compile(r'br (?:i1 %"?[\w.]+"?, )?label %"([\w.]+)"(?:, label %"([\w.]+)")?')


def _blocks(fn: str) -> dict[str, tuple[str, list[str]]]:
    """Basic blocks of one LLVM function: name -> (text, successors)."""
    out: dict[str, tuple[str, list[str]]] = {}
    for m in re.finditer(r"^([\w.]+):\n(.*?)(?=^[\w.]+:\n|^}$)", fn, re.S | re.M):
        succ = [t for br in _BRANCH.finditer(m.group(2)) for t in br.groups() if t]
        out[m.group(1)] = (m.group(2), succ)
    return out


def _loop_body(blocks: dict[str, tuple[str, list[str]]], header: str, entry: str) -> set[str]:
    """Blocks reachable from ``entry`` without passing through the loop ``header``."""
    seen, todo = set(), [entry]
    while todo:
        name = todo.pop()
        if name in seen or name == header:
            continue
        seen.add(name)
        todo += blocks[name][1]
    return seen


def _functions(ir: str) -> dict[str, str]:
    return {m.group(1): m.group(0) for m in re.finditer(r'^define [^@]*@"([^"]+)"\(.*?^}$', ir, re.S | re.M)}


def test_fused_transmission_is_one_loop_over_neurons() -> None:
    """Unfused: a clear loop, a dendrite loop and a neuron loop. Fused: one loop over the thread's
    neurons (in groups of 64: the group's inputs, then its updates) holding every other loop."""
    net = Net([(input_neuron(), 50), (leaky_neuron(), 200)], [Proj(0, 1, [list(range(0, 50, 3))] * 200)])
    unfused = _functions(_engine(net.module(fuse=False)).llvm_ir)
    assert any(".transmit." in name for name in unfused)
    functions = _functions(_engine(net.module()).llvm_ir)
    assert not any(".transmit." in name or ".clear_inputs." in name for name in functions)
    # a kernel class's code names its objects canonically: the owner P1 is P0 there, the pre P0 is P1
    (name,) = [n for n, text in functions.items() if '%"J0.pre_rank"' in text.split("\n", 1)[0]]
    blocks = _blocks(functions[name])
    body = _loop_body(blocks, "for.head", "for.body")  # the first loop: from the thread's chunk
    assert re.search(r'%"i" = phi\s+i64 \[%"[.\d]+", %"entry"\]', blocks["for.head"][0])
    assert {b for b in blocks if b.startswith("for.head")} - {"for.head"} <= body  # every other loop inside
    text = "\n".join(blocks[b][0] for b in body)
    assert re.search(r'getelementptr inbounds i32, ptr %"J0\.post_index", i64 %"i\.\d+"', text)
    assert "fadd <8 x double>" in text  # the dendrite's lane reduction ...
    assert re.search(r'getelementptr inbounds double, ptr %"P0\.r", i64 %"i\.\d+"', text)  # ... the update


# --------------------------------------------------------------------------------------------------
# gating and connectivity


def _gated_net() -> Net:
    pops = [(input_neuron(), 6), (leaky_neuron(), 5), (global_neuron(), 4)]
    return Net(
        pops,
        [
            Proj(0, 1, [[0, 1], [], [2, 3, 4], [5], [0, 5]]),
            Proj(2, 1, [[0], [1], [2], [3], []], delay=2),
            Proj(0, 2, [[0, 1, 2, 3, 4, 5]] * 4),
        ],
    )


@pytest.mark.parametrize("control", ["transmission", "disabled"])
def test_gates_of_fused_kernels(control: str) -> None:
    """TRANSMISSION off for one fused projection, or the post population disabled: fused LLVM ==
    interpreter == unfused interpreter."""
    net = _gated_net()
    assert {"proj0.transmit", "proj1.transmit", "proj2.transmit"} <= fused(net.module())

    def make(m: Module, layout: object = None):
        b = net.buffers(m, layout)
        if control == "transmission":
            b.set_value(ConnKey(1, ConnField.TRANSMISSION), 0)
        else:
            b.set_value(PopKey(1, PopField.ENABLED), 0)
        return b

    results = []
    for m in (net.module(fuse=False), net.module()):
        b = make(m)
        InterpEngine(m).run(b, 4)
        results.append(snapshot(b))
    engine = _engine(net.module())
    for n in (1, 2):
        engine.num_threads = n
        b = make(engine.module, engine.layout)
        engine.run(b, 4)
        results.append(snapshot(b))
    for other in results[1:]:
        assert_same(results[0], other)


def test_post_index_maps_post_ranks_to_dendrites() -> None:
    net = _gated_net()
    m = net.module()
    b = net.buffers(m)
    np.testing.assert_array_equal(b.array(ConnKey(0, ConnField.POST_INDEX)), [0, -1, 1, 2, 3])
    np.testing.assert_array_equal(b.array(ConnKey(1, ConnField.POST_INDEX)), [0, 1, 2, 3, -1])
    m_unfused = net.module(fuse=False)
    assert not any(
        isinstance(k, ConnKey) and k.field is ConnField.POST_INDEX
        for k in net.buffers(m_unfused).layout.slots
    )


def test_connectivity_refill_updates_post_index() -> None:
    """A new connectivity (as after create_synapse / prune_synapse) is refilled, dendrite map included."""
    net = _gated_net()
    m = net.module()
    engine = _engine(m)
    b = net.buffers(m, engine.layout)
    other = Proj(0, 1, [[3], [0, 1, 2], [], [], [4, 5]])
    conn = other.connectivity(6, 5)
    conn.fill(b, 0, m.projections[0].format, m.projections[0].holes)
    b.array(StateKey(PROJ, 0, "w"))[: conn.n_synapses] = 0.5
    # dendrites by ascending post rank: post 0 -> 0, post 1 -> 1, post 4 -> 2
    np.testing.assert_array_equal(b.array(ConnKey(0, ConnField.POST_INDEX)), [0, 1, -1, -1, 2])
    ref = net.buffers(m)
    conn.fill(ref, 0, m.projections[0].format, m.projections[0].holes)
    ref.array(StateKey(PROJ, 0, "w"))[: conn.n_synapses] = 0.5
    engine.run(b, 3)
    InterpEngine(m).run(ref, 3)
    assert_same(snapshot(ref), snapshot(b))
    engine.close()


_N = 21
_LAYOUTS = {
    "dense": [list(range(3, 19))] * _N,
    "dense holes=self": [[j for j in range(_N) if j != i] for i in range(_N)],
    "ell": [[(i + k) % _N for k in range(6)] for i in range(_N)],
    "csr": [list(range(0, _N, 1 + i % 5)) if i % 4 else [] for i in range(_N)],
}


@pytest.mark.parametrize("layout", list(_LAYOUTS))
def test_fused_dendrites_in_every_storage_format(layout: str) -> None:
    """A delayed self-projection (fused) stored dense, dense with holes, ELL or CSR: fused LLVM (1 and 2
    threads) == fused interpreter == unfused interpreter."""
    rows = _LAYOUTS[layout]
    weights = [[0.01 * (i - j) for j in r] for i, r in enumerate(rows)]
    net = Net([(global_neuron(GlobalOp.NORM2), _N)], [Proj(0, 0, rows, delay=2, weights=weights)])
    m = net.module()
    decl = m.projections[0]
    assert f"{decl.format.value}{' holes=self' if decl.holes.value == 'self' else ''}" == layout
    assert "proj0.transmit" in fused(m)
    b = net.buffers(net.module(fuse=False))
    InterpEngine(b.module).run(b, 6)
    for other in _runs(net, m, 6):
        assert_same(snapshot(b), other)


def test_large_fused_population_with_inputs_and_blocks() -> None:
    """1300 neurons (two global-op blocks) with a fused input and a fused delayed self-projection."""
    rng = np.random.default_rng(8)
    n = 1300

    def rows(n_pre: int, most: int) -> list[list[int]]:
        sizes = rng.integers(0, most, size=n)
        return [sorted(rng.choice(n_pre, size=int(k), replace=False).tolist()) for k in sizes]

    inp_rows, rec_rows = rows(40, 9), rows(n, 5)
    net = Net(
        [(input_neuron(), 40), (global_neuron(GlobalOp.MIN), n)],
        [
            Proj(0, 1, inp_rows, weights=[rng.uniform(-1, 1, len(r)).tolist() for r in inp_rows]),
            Proj(
                1, 1, rec_rows, delay=3, weights=[rng.uniform(-0.1, 0.1, len(r)).tolist() for r in rec_rows]
            ),
        ],
    )
    m = net.module()
    assert {"proj0.transmit", "proj1.transmit", "pop1.globalops"} <= fused(m)
    first, *others = _runs(net, m, 5, threads=(1, 2, 3))
    for other in others:
        assert_same(first, other)
    assert_same(first, _runs(net, net.module(fuse=False), 5, threads=())[0])


def test_random_draws_in_fused_dendrites_keep_their_counters() -> None:
    """A psp with a uniform draw per synapse: the fused dendrite draws what the TRANSMIT kernel drew."""
    noise = Random(Dist.UNIFORM, (v("w"), v("r", scope=Scope.PRE)), 0)
    rows = [[0, 2, 3], [1], [], [0, 1, 2, 3]]
    net = Net([(input_neuron(), 4), (leaky_neuron(), 4)], [Proj(0, 1, rows, syn=synapse(mul(v("w"), noise)))])
    m = net.module()
    assert "proj0.transmit" in fused(m)
    b = net.buffers(net.module(fuse=False))
    InterpEngine(b.module).run(b, 5)
    for other in _runs(net, m, 5):
        assert_same(snapshot(b), other)
