"""Hand-built modules, connectivity and buffers for the LLVM backend tests (no frontend needed)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from nnc.backend.abi import ConnField, ConnKey, StateKey
from nnc.backend.llvm.engine import LlvmEngine
from nnc.frontend.assemble import PopulationSpec, ProjectionSpec, assemble
from nnc.ir.model import Attribute, Kernel, Module, NeuronModel, SynapseModel
from nnc.ir.nodes import Stmt, Var
from nnc.ir.types import AttrKind, DelayKind, DType, Format, Locality, NeuronKind, ObjKind, Precision, Scope
from nnc.options import CompileOptions
from nnc.runtime.buffers import Buffers, ProjectionShape

R, I, B = DType.REAL, DType.INT, DType.BOOL  # noqa: E741 - the type letters of the IR printer
G, S, L = Locality.GLOBAL, Locality.SEMIGLOBAL, Locality.LOCAL


def attr(name: str, dtype: DType = R, loc: Locality = L, kind: AttrKind = AttrKind.VARIABLE) -> Attribute:
    """An attribute declaration."""
    return Attribute(name, dtype, loc, kind)


def var(name: str, dtype: DType = R, loc: Locality = L, scope: Scope = Scope.SELF) -> Var:
    """A reference to an attribute."""
    return Var(name, dtype, loc, scope)


def neuron(name: str, attributes: tuple[Attribute, ...], equations: tuple[Stmt, ...]) -> NeuronModel:
    """A rate-coded neuron model."""
    return NeuronModel(name, NeuronKind.RATE, attributes, equations)


def population_module(
    attributes: tuple[Attribute, ...],
    equations: tuple[Stmt, ...],
    size: int,
    precision: Precision = Precision.F64,
) -> Module:
    """A module of one population of ``size`` neurons updating ``equations``."""
    return assemble(
        "pop", precision, 1.0, (PopulationSpec(0, "P", (size,), neuron("N", attributes, equations)),)
    )


def projection_module(
    pre: NeuronModel,
    post: NeuronModel,
    synapse: SynapseModel,
    sizes: tuple[int, int],
    fmt: Format,
    precision: Precision = Precision.F64,
    dt: float = 1.0,
    delay: DelayKind = DelayKind.NONE,
) -> Module:
    """Two populations and one projection (target ``exc``) stored in format ``fmt``."""
    pops = (PopulationSpec(0, "pre", (sizes[0],), pre), PopulationSpec(1, "post", (sizes[1],), post))
    projs = (ProjectionSpec(0, "proj", 0, 1, ("exc",), synapse, delay=delay),)
    m = assemble("net", precision, dt, pops, projs)
    return replace(m, projections=(replace(m.projections[0], format=fmt),))


def with_kernels(m: Module, *kernels: Kernel) -> Module:
    """``m`` with extra kernels (kept in phase order)."""
    ks = sorted((*m.kernels, *kernels), key=lambda k: k.phase.value)
    return replace(m, kernels=tuple(ks))


def compile_module(m: Module, **options: object) -> LlvmEngine:
    """Compile ``m`` with the LLVM engine."""
    return LlvmEngine.compile(m, CompileOptions(precision=m.precision, dt=m.dt, **options))  # type: ignore[arg-type]


def state(buf: Buffers, owner: ObjKind, owner_id: int, name: str) -> np.ndarray:
    """Live array of an attribute."""
    return buf.array(StateKey(owner, owner_id, name))


class Rows:
    """Connectivity given as one list of pre ranks per dendrite, stored in a format's arrays."""

    def __init__(self, rows: list[list[int]], post_ranks: list[int], fmt: Format):
        self.rows = rows
        self.post_ranks = post_ranks
        self.fmt = fmt
        self.stride = max((len(r) for r in rows), default=0)
        if fmt is Format.DENSE:
            base = rows[0][0] if rows and rows[0] else 0
            for r in rows:
                if r != list(range(base, base + len(r))) or len(r) != self.stride:
                    raise ValueError("dense rows must be the same contiguous range of pre ranks")
        self.n_slots = sum(len(r) for r in rows) if fmt is Format.CSR else self.stride * len(rows)

    def slots(self) -> list[list[int]]:
        """Slot of every synapse, per row."""
        out, start = [], 0
        for r in self.rows:
            begin = start if self.fmt is Format.CSR else len(out) * self.stride
            out.append(list(range(begin, begin + len(r))))
            start += len(r)
        return out

    def buffers(self, engine: LlvmEngine, pid: int = 0) -> Buffers:
        """Buffers for ``engine`` with this connectivity installed in projection ``pid``."""
        m = engine.module
        buf = Buffers(m, engine.layout, {pid: ProjectionShape(len(self.rows), self.n_slots)})
        buf.array(ConnKey(pid, ConnField.POST_RANK))[:] = self.post_ranks
        buf.set_value(ConnKey(pid, ConnField.ROW_STRIDE), self.stride)
        slots = self.slots()
        if self.fmt is Format.DENSE:
            buf.set_value(
                ConnKey(pid, ConnField.PRE_OFFSET), self.rows[0][0] if self.rows and self.rows[0] else 0
            )
        else:
            pre = buf.array(ConnKey(pid, ConnField.PRE_RANK))
            for r, s in zip(self.rows, slots, strict=True):
                pre[s] = r
        if self.fmt is Format.CSR:
            buf.array(ConnKey(pid, ConnField.ROW_PTR))[:] = np.cumsum([0] + [len(r) for r in self.rows])
        if self.fmt is Format.ELL:
            buf.array(ConnKey(pid, ConnField.ROW_LEN))[:] = [len(r) for r in self.rows]
        return buf

    def scatter(self, array: np.ndarray, values: list[list[float]]) -> None:
        """Write per-row synapse values into a local synaptic array."""
        for s, v in zip(self.slots(), values, strict=True):
            array[s] = v

    def gather(self, array: np.ndarray) -> list[np.ndarray]:
        """Per-row synapse values of a local synaptic array."""
        return [array[s].copy() for s in self.slots()]
