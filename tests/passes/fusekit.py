"""Test kit for the fuse pass: small rate networks with real connectivity, compiled with or without fusion,
run on the interpreter or the LLVM engine from identical initial buffers, and compared array by array.

Neuron models use arithmetic only (no libm call), so every engine must agree bit for bit.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
from hypothesis import strategies as st

from nnc.backend.abi import PopField, PopKey, QueueKey, SlotKind, StateKey, layout_of
from nnc.frontend.assemble import PopulationSpec, ProjectionSpec, assemble
from nnc.ir.functions import Func
from nnc.ir.model import Attribute, Module, NeuronModel, SynapseModel
from nnc.ir.nodes import (
    Assign,
    Binary,
    BinaryOp,
    Call,
    Const,
    Expr,
    GlobalOp,
    GlobalOpValue,
    Input,
    ReduceOp,
    Var,
)
from nnc.ir.types import AttrKind, DelayKind, DType, Locality, NeuronKind, ObjKind, Precision, Scope
from nnc.options import CompileOptions
from nnc.passes.pipeline import default_pipeline, run_pipeline
from nnc.runtime.buffers import Buffers
from nnc.runtime.connectivity import Connectivity

REAL, LOCAL, GLOBAL = DType.REAL, Locality.LOCAL, Locality.GLOBAL
VAR, PARAM = AttrKind.VARIABLE, AttrKind.PARAMETER


def v(name: str, loc: Locality = LOCAL, scope: Scope = Scope.SELF) -> Var:
    """A real attribute reference."""
    return Var(name, REAL, loc, scope)


def c(x: float) -> Const:
    """A real literal."""
    return Const(float(x))


def add(*xs: Expr) -> Expr:
    """Left-associated sum."""
    out = xs[0]
    for x in xs[1:]:
        out = Binary(BinaryOp.ADD, out, x)
    return out


def mul(a: Expr, b: Expr) -> Expr:
    """Product."""
    return Binary(BinaryOp.MUL, a, b)


def gop(op: GlobalOp, var: str = "r", scope: Scope = Scope.SELF) -> GlobalOpValue:
    """A global operation of the population seen through ``scope``."""
    return GlobalOpValue(op, var, scope)


# --------------------------------------------------------------------------------------------------
# neuron and synapse models


def input_neuron() -> NeuronModel:
    """``InputArray``: ``r = r`` (set from outside, never changed)."""
    attrs = (Attribute("r", REAL, LOCAL, VAR),)
    return NeuronModel("Input", NeuronKind.RATE, attrs, (Assign(v("r"), v("r")),))


def leaky_neuron() -> NeuronModel:
    """``v += 0.25 (sum(exc) - v)``, ``r = pos(v)``."""
    eqs = (
        Assign(v("v"), add(v("v"), mul(c(0.25), Binary(BinaryOp.SUB, Input("exc"), v("v"))))),
        Assign(v("r"), Call(Func.POS, (v("v"),))),
    )
    attrs = (Attribute("v", REAL, LOCAL, VAR), Attribute("r", REAL, LOCAL, VAR))
    return NeuronModel("Leaky", NeuronKind.RATE, attrs, eqs)


def global_neuron(op: GlobalOp = GlobalOp.MEAN) -> NeuronModel:
    """A global equation ``m = op(r)`` and ``r = 0.5 r + sum(exc) - 0.25 m + 0.125 max(r)``."""
    eqs = (
        Assign(v("m", GLOBAL), gop(op)),
        Assign(
            v("r"),
            add(
                mul(c(0.5), v("r")),
                Input("exc"),
                mul(c(-0.25), v("m", GLOBAL)),
                mul(c(0.125), gop(GlobalOp.MAX)),
            ),
        ),
    )
    attrs = (Attribute("r", REAL, LOCAL, VAR), Attribute("m", REAL, GLOBAL, VAR))
    return NeuronModel("Global", NeuronKind.RATE, attrs, eqs)


def synapse(psp: Expr | None = None, op: ReduceOp = ReduceOp.SUM, plastic: bool = False) -> SynapseModel:
    """Weight ``w``; ``psp`` (default ``w * pre.r``); ``plastic``: Hebbian ``w += 0.01 pre.r post.r``."""
    eqs = ()
    if plastic:
        hebb = mul(c(0.01), mul(v("r", scope=Scope.PRE), v("r", scope=Scope.POST)))
        eqs = (Assign(v("w"), add(v("w"), hebb)),)
    return SynapseModel("Syn", (Attribute("w", REAL, LOCAL, VAR),), eqs, psp=psp, operation=op)


# --------------------------------------------------------------------------------------------------
# networks


@dataclass
class Proj:
    """A projection: rows of pre ranks per post rank (empty: no dendrite), weights, delay (steps)."""

    pre: int
    post: int
    rows: list[list[int]]
    syn: SynapseModel = field(default_factory=synapse)
    delay: int = 1  # > 1: uniform delay in steps
    delays: list[list[int]] | None = None  # per-synapse delays (non-uniform)
    weights: list[list[float]] | None = None
    target: str = "exc"

    def connectivity(self, n_pre: int, n_post: int) -> Connectivity:
        """The connector's output."""
        post = [i for i, r in enumerate(self.rows) if r]
        pre = [self.rows[i] for i in post]
        w = [self.weights[i] for i in post] if self.weights else [[0.1] * len(r) for r in pre]
        d: list[list[int]] | int = [self.delays[i] for i in post] if self.delays else self.delay
        return Connectivity.from_rows((n_pre, n_post), post, pre, w, d)

    @property
    def kind(self) -> DelayKind:
        """How the projection delays its pre-synaptic reads."""
        if self.delays is not None:
            return DelayKind.NONUNIFORM
        return DelayKind.UNIFORM if self.delay > 1 else DelayKind.NONE


@dataclass
class Net:
    """Populations ``(model, size)`` and projections, in creation order."""

    pops: list[tuple[NeuronModel, int]]
    projs: list[Proj] = field(default_factory=list)
    precision: Precision = Precision.F64

    def conns(self) -> list[Connectivity]:
        """Connectivity of every projection."""
        return [p.connectivity(self.pops[p.pre][1], self.pops[p.post][1]) for p in self.projs]

    def module(self, fuse: bool = True) -> Module:
        """The module after the default pipeline, fused or not."""
        pspecs = tuple(PopulationSpec(i, f"pop{i}", (n,), m) for i, (m, n) in enumerate(self.pops))
        prspecs = tuple(
            ProjectionSpec(
                j, f"proj{j}", p.pre, p.post, (p.target,), p.syn, conn.stats(p.pre == p.post), delay=p.kind
            )
            for j, (p, conn) in enumerate(zip(self.projs, self.conns(), strict=True))
        )
        m = assemble("net", self.precision, 1.0, pspecs, prspecs)
        return run_pipeline(m, default_pipeline(CompileOptions(precision=self.precision, fuse=fuse)))

    def buffers(self, module: Module, layout: object = None, seed: int = 0) -> Buffers:
        """Buffers of ``module`` with this connectivity, random initial state and filled delay queues."""
        conns = self.conns()
        queues: dict[int, int] = {}
        for p, conn in zip(self.projs, conns, strict=True):
            queues[p.pre] = max(queues.get(p.pre, 1), conn.max_delay)
        shapes = {j: conn.shape(module.projections[j].format) for j, conn in enumerate(conns)}
        b = Buffers(module, layout or layout_of(module), shapes, queues)
        rng = np.random.default_rng(seed)
        for j, conn in enumerate(conns):
            decl = module.projections[j]
            conn.fill(b, j, decl.format, decl.holes)
            b.array(StateKey(ObjKind.PROJECTION, j, "w"))[:] = conn.scatter(decl.format, conn.weights)
        for pop in module.populations:
            for a in pop.attributes:
                arr = b.array(StateKey(ObjKind.POPULATION, pop.id, a.name))
                arr[:] = rng.uniform(-1.0, 1.0, len(arr)).astype(arr.dtype)
            for name in pop.delayed:
                q = b.array(QueueKey(pop.id, name)).reshape(-1, pop.size)
                q[:] = b.array(StateKey(ObjKind.POPULATION, pop.id, name))[None, : pop.size]
        return b


def snapshot(b: Buffers) -> dict[str, np.ndarray]:
    """Every array and value slot a module computes (scratch and connectivity left out)."""
    out: dict[str, np.ndarray] = {}
    for key, kind in b.layout.kinds.items():
        name = type(key).__name__
        if name in ("ConnKey", "BlockPartialKey", "RuntimeKey"):
            continue
        if kind is SlotKind.POINTER:
            out[str(key)] = b.array(key).copy()
        elif isinstance(key, PopKey) and key.field is PopField.QUEUE_HEAD:
            out[str(key)] = np.array([b.value(key)])
    return out


def assert_same(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> None:
    """Bit-identical snapshots (NaN where NaN), over the slots both modules have."""
    common = a.keys() & b.keys()
    assert common, "nothing to compare"
    for k in sorted(common):
        x, y = a[k], b[k]
        same = np.array_equal(x.view(np.uint8), y.view(np.uint8)) if x.dtype == y.dtype else False
        assert same, f"{k}: {x} != {y}"


def fused(module: Module) -> set[str]:
    """Names of the kernels merged into others."""
    return {name for k in module.kernels for name in k.fused}


def with_syn(p: Proj, **changes: object) -> Proj:
    """A copy of ``p`` with a different synapse."""
    return replace(p, syn=replace(p.syn, **changes))


# --------------------------------------------------------------------------------------------------
# random networks (hypothesis)


def _psp(draw) -> Expr | None:
    choice = draw(st.sampled_from(["default", "post", "pre_mean", "scaled"]))
    w, pre_r, post_r = v("w"), v("r", scope=Scope.PRE), v("r", scope=Scope.POST)
    match choice:
        case "post":
            return add(mul(w, pre_r), mul(c(0.5), post_r))
        case "pre_mean":
            return mul(w, add(pre_r, gop(GlobalOp.MEAN, "r", Scope.PRE)))
        case "scaled":
            return mul(mul(w, pre_r), c(1.5))
    return None


def _rows(draw, n_pre: int, n_post: int) -> list[list[int]]:
    ranks = st.lists(st.integers(0, n_pre - 1), max_size=min(n_pre, 12), unique=True).map(sorted)
    return draw(st.lists(ranks, min_size=n_post, max_size=n_post))


@st.composite
def nets(draw, max_pops: int = 4, max_size: int = 10) -> Net:
    """Small rate networks: input arrays, leaky and global-operation populations; projections in both
    creation orders (self-projections too), with and without delays, psps that read pre / post values
    and global operations, every dendrite operation."""
    models = st.sampled_from(["input", "leaky", "mean", "norm1", "min"])
    pops: list[tuple[NeuronModel, int]] = []
    for _ in range(draw(st.integers(1, max_pops))):
        kind = draw(models)
        model = {"input": input_neuron, "leaky": leaky_neuron}.get(kind)
        pops.append((model() if model else global_neuron(GlobalOp(kind)), draw(st.integers(1, max_size))))
    projs = []
    for _ in range(draw(st.integers(0, 4))):
        pre, post = draw(st.integers(0, len(pops) - 1)), draw(st.integers(0, len(pops) - 1))
        n_pre, n_post = pops[pre][1], pops[post][1]
        rows = _rows(draw, n_pre, n_post)
        weights = [[draw(st.floats(-1.0, 1.0, width=32)) for _ in r] for r in rows]
        op = draw(st.sampled_from(list(ReduceOp)))
        proj = Proj(pre, post, rows, synapse(_psp(draw), op), weights=weights)
        match draw(st.sampled_from(["none", "uniform", "nonuniform"])):
            case "uniform":
                proj.delay = draw(st.integers(2, 4))
            case "nonuniform":
                proj.delays = [[draw(st.integers(1, 4)) for _ in r] for r in rows]
        projs.append(proj)
    return Net(pops, projs)
