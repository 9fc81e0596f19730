"""Run a module read from text (``nnc run``): buffers, initial values and connectivity from the text.

What a module needs besides its kernels is in the text or named by it:

* initial values: each attribute's ``= init`` (a number, the name of another attribute of the same
  object or of a constant, or a random distribution, sampled from the run's seed);
* constants: ``constants tau=10.0`` (a constant without a value is an error);
* synapses: a ``connect`` line per projection, either ``file(path="x.npz", key="proj")``, arrays
  ``<key>.post_ranks``, ``<key>.row_ptr``, ``<key>.pre_ranks``, ``<key>.weights`` and optionally
  ``<key>.delays`` (steps, one per synapse) or ``<key>.uniform_delay`` in a sidecar file relative to the
  text (``nnc dump-ir --data FILE.npz`` writes it), or a synthetic connector of the API
  (``all_to_all``, ``one_to_one``, ``fixed_probability``, ``fixed_number_pre``, ``fixed_number_post``)
  with ``weights``, ``delays`` (ms), ``allow_self_connections`` and its own parameters, drawn from the
  run's seed (or the connector's ``seed=`` argument).

Every control flag is on and every population enabled. Populations fed by Python-side data (timed
arrays, spike source arrays) are not runnable from text: their schedules are not part of the IR.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from nnc.api import patterns
from nnc.api.attributes import convert
from nnc.backend.abi import (
    ConnField,
    ConnKey,
    ConstantKey,
    PopField,
    PopKey,
    QueueKey,
    RuntimeField,
    RuntimeKey,
    StateKey,
    layout_of,
)
from nnc.descriptions.random import RandomDistribution
from nnc.diagnostics import ModelError
from nnc.ir.model import LAST_EVENT, NEVER, Attribute, Module, ProjectionDecl
from nnc.ir.nodes import Ode, SourceDue, TimedStep, stmt_exprs, walk, walk_stmts
from nnc.ir.types import DelayKind, Format, Locality, NeuronKind, ObjKind
from nnc.options import CompileOptions
from nnc.runtime.buffers import Buffers, ProjectionShape
from nnc.runtime.connectivity import Connectivity
from nnc.runtime.spikes import clear_spikes

__all__ = ["TextRun", "prepare", "state_of"]

#: Synthetic connectors a ``connect`` line may name, with their own parameters.
CONNECTORS = {
    "all_to_all": (),
    "one_to_one": (),
    "fixed_probability": ("probability",),
    "fixed_number_pre": ("number",),
    "fixed_number_post": ("number",),
}
_COMMON = ("weights", "delays", "allow_self_connections", "seed")


@dataclass
class TextRun:
    """A module ready to run: its buffers and each projection's synapses."""

    module: Module
    buffers: Buffers
    connectivity: dict[int, Connectivity]


def _check_runnable(m: Module) -> None:
    for k in m.kernels:
        for s in walk_stmts(k.body):
            if isinstance(s, Ode):
                raise ModelError(
                    f"kernel {k.name} still holds ODEs: run the passes first (nnc opt FILE --stage fuse, "
                    "or nnc run FILE --passes discretise,simplify,...)"
                )
            if isinstance(s, TimedStep) or any(
                isinstance(n, SourceDue) for e in stmt_exprs(s) for n in walk(e)
            ):
                raise NotImplementedError(
                    f"kernel {k.name}: timed arrays and spike source arrays take their schedules from "
                    "Python; a module read from text cannot run them"
                )


def _pop_stub(m: Module, pid: int) -> SimpleNamespace:
    pop = m.populations[pid]
    stub = SimpleNamespace(size=pop.size, geometry=pop.geometry, ranks=np.arange(pop.size))
    stub.population = stub
    return stub


def _value(v: object, what: str) -> object:
    if isinstance(v, str):
        raise ModelError(f"{what}: a number or a distribution is expected, not {v!r}")
    return v


def _connect(m: Module, p: ProjectionDecl, base: Path, rng: np.random.Generator) -> Connectivity:
    ref = p.connect
    if ref is None:
        raise ModelError(
            f"projection {p.name} has no connect line: add one (connect all_to_all(weights=1.0), "
            'connect file(path="data.npz", key="NAME")) or dump the script with nnc dump-ir --data FILE.npz'
        )
    sizes = (m.populations[p.pre].size, m.populations[p.post].size)
    if ref.kind == "file":
        return _from_file(p, base, sizes)
    if ref.kind not in CONNECTORS:
        raise ModelError(
            f"projection {p.name}: unknown connector '{ref.kind}'; expected file or {', '.join(CONNECTORS)}"
        )
    known = (*CONNECTORS[ref.kind], *_COMMON)
    for name, _ in ref.args:
        if name not in known:
            raise ModelError(f"projection {p.name}: {ref.kind} takes {', '.join(known)}, not '{name}'")
    missing = [a for a in CONNECTORS[ref.kind] if ref.arg(a) is None]
    if missing:
        raise ModelError(f"projection {p.name}: {ref.kind} needs {', '.join(missing)}")
    seed = ref.arg("seed")
    gen = np.random.default_rng(int(seed)) if seed is not None else rng  # type: ignore[arg-type]
    pre = _pop_stub(m, p.pre)
    post = pre if p.pre == p.post else _pop_stub(m, p.post)
    ctx = patterns.ConnectContext(pre, post, m.dt, gen, None)
    weights = _value(ref.arg("weights", 1.0), f"projection {p.name} weights")
    delays = _value(ref.arg("delays", 0.0), f"projection {p.name} delays")
    allow = bool(ref.arg("allow_self_connections", False))
    build = getattr(patterns, ref.kind)
    params = [ref.arg(a) for a in CONNECTORS[ref.kind]]
    if ref.kind == "one_to_one":
        return build(ctx, weights, delays)
    return build(ctx, *params, weights, delays, allow)


def _from_file(p: ProjectionDecl, base: Path, sizes: tuple[int, int]) -> Connectivity:
    ref = p.connect
    assert ref is not None
    path = ref.arg("path")
    if not isinstance(path, str):
        raise ModelError(f'projection {p.name}: connect file(path="FILE.npz", key="NAME") needs a path')
    full = base / path
    key = str(ref.arg("key", p.name))
    if not full.is_file():
        raise ModelError(f"projection {p.name}: no such connectivity file: {full}")
    with np.load(full) as data:
        arrays = {name: data[f"{key}.{name}"] for name in ("post_ranks", "row_ptr", "pre_ranks", "weights")
                  if f"{key}.{name}" in data}  # fmt: skip
        missing = [n for n in ("post_ranks", "row_ptr", "pre_ranks", "weights") if n not in arrays]
        if missing:
            raise ModelError(f"projection {p.name}: {full} lacks {', '.join(f'{key}.{n}' for n in missing)}")
        delays = data.get(f"{key}.delays", None)
        uniform = int(data[f"{key}.uniform_delay"]) if f"{key}.uniform_delay" in data else 0
    lengths = np.diff(arrays["row_ptr"])
    post = np.repeat(arrays["post_ranks"].astype(np.int64), lengths)
    return Connectivity.from_synapses(
        sizes, post, arrays["pre_ranks"], arrays["weights"], delays if delays is not None else uniform
    )


def _check_delays(p: ProjectionDecl, conn: Connectivity) -> None:
    longest = conn.max_delay
    if p.delay is DelayKind.NONE and longest > 1:
        raise ModelError(
            f"projection {p.name} is compiled without delays (no delay=) but its synapses have delays of up "
            f"to {longest} steps"
        )
    if p.delay is DelayKind.UNIFORM and not conn.uniform:
        raise ModelError(f"projection {p.name} is compiled for one uniform delay but its delays differ")


def _init_values(
    attr: Attribute, n: int, rng: np.random.Generator, known: dict[str, np.ndarray], m: Module, what: str
) -> np.ndarray:
    init = attr.init
    if isinstance(init, RandomDistribution):
        values = init.get_values(n if attr.locality is not Locality.GLOBAL else 1, rng=rng)
    elif isinstance(init, str):
        if init in known:
            values = known[init]
        elif init in dict(m.constant_values):
            values = np.full(n, dict(m.constant_values)[init])
        else:
            raise ModelError(f"{what}: the initial value of '{attr.name}' names '{init}', which is unknown")
    elif init is None:
        values = np.zeros(n)
    else:
        values = np.full(n, init)
    values = np.asarray(values)
    if values.size == 1 and n != 1:
        values = np.full(n, values.reshape(-1)[0])
    return convert(values.reshape(-1)[:n] if values.size >= n else np.resize(values, n), attr.dtype)


def prepare(module: Module, base: Path | str = ".", seed: int = 0) -> TextRun:
    """Buffers of ``module`` with its initial values and synapses (``base``: the folder of the text)."""
    m = module
    _check_runnable(m)
    base = Path(base)
    rng = np.random.default_rng(seed)
    conns = {}
    for p in m.projections:
        conn = _connect(m, p, base, rng)
        _check_delays(p, conn)
        conns[p.id] = conn
    queues: dict[int, int] = {}
    slots = {q.id: 1 for q in m.populations if q.kind is NeuronKind.SPIKE}
    for p in m.projections:
        longest = max(1, conns[p.id].max_delay)
        if m.populations[p.pre].delayed:
            queues[p.pre] = max(queues.get(p.pre, 1), longest)
        if p.pre in slots:
            slots[p.pre] = max(slots[p.pre], longest)
    shapes = {p.id: ProjectionShape(0, 0) for p in m.projections}
    buffers = Buffers(m, layout_of(m), shapes, queues, slots)
    for name in m.constants:
        values = dict(m.constant_values)
        if name not in values:
            raise ModelError(f"constant '{name}' has no value: write constants {name}=VALUE")
        if buffers.has(ConstantKey(name)):
            buffers.array(ConstantKey(name))[0] = values[name]
    buffers.set_value(RuntimeKey(RuntimeField.SEED), seed)
    buffers.step = 0
    _bind_populations(buffers, m, rng)
    for p in m.projections:
        _bind_projection(buffers, p, conns[p.id], rng, m)
    return TextRun(m, buffers, conns)


def _bind_populations(buffers: Buffers, m: Module, rng: np.random.Generator) -> None:
    for pop in m.populations:
        known: dict[str, np.ndarray] = {}
        for a in pop.attributes:
            n = 1 if a.locality is Locality.GLOBAL else pop.size
            known[a.name] = _init_values(a, n, rng, known, m, f"population {pop.name}")
            key = StateKey(ObjKind.POPULATION, pop.id, a.name)
            if buffers.has(key):
                buffers.array(key)[:n] = known[a.name]
        buffers.set_value(PopKey(pop.id, PopField.ENABLED), 1)
        for var in pop.delayed:
            buffers.array(QueueKey(pop.id, var)).reshape(-1, pop.size)[:] = known[var][None, :]
        if pop.kind is NeuronKind.SPIKE:
            clear_spikes(buffers, pop.id)


def _bind_projection(
    buffers: Buffers, p: ProjectionDecl, conn: Connectivity, rng: np.random.Generator, m: Module
) -> None:
    fmt = p.format or Format.CSR
    conn.fill(buffers, p.id, fmt, p.holes)
    known: dict[str, np.ndarray] = {}
    for a in p.attributes:
        n = {Locality.GLOBAL: 1, Locality.SEMIGLOBAL: conn.n_dendrites}.get(a.locality, conn.n_synapses)
        if (
            a.name == "w"
            and a.locality is Locality.LOCAL
            and not isinstance(a.init, str | RandomDistribution)
        ):
            values = convert(conn.weights, a.dtype)
        elif a.name == LAST_EVENT:
            values = np.full(n, NEVER, dtype=np.int32)
        else:
            values = _init_values(a, n, rng, known, m, f"projection {p.name}")
        known[a.name] = values
        key = StateKey(ObjKind.PROJECTION, p.id, a.name)
        if not buffers.has(key):
            continue
        buf = buffers.array(key)
        if a.locality is Locality.LOCAL:
            buf[conn.slot_index(fmt)] = values
        else:
            buf[:n] = values
    for field in (
        ConnField.TRANSMISSION,
        ConnField.UPDATE,
        ConnField.PLASTICITY,
        ConnField.AXON_TRANSMISSION,
    ):
        if buffers.has(ConnKey(p.id, field)):
            buffers.set_value(ConnKey(p.id, field), 1)
    from nnc.backend.abi import MirrorKey

    for name in p.mirrored:
        key = MirrorKey(p.id, name)
        if buffers.has(key):
            n = buffers.value(ConnKey(p.id, ConnField.N_SYNAPSES))
            order = buffers.array(ConnKey(p.id, ConnField.EV_SLOT))[:n]
            buffers.array(key)[:n] = buffers.array(StateKey(ObjKind.PROJECTION, p.id, name))[order]


def state_of(run: TextRun) -> dict[str, np.ndarray]:
    """Every attribute's current values: ``pop.attr`` (rank order) and ``proj.attr`` (synapses in
    dendrite order, one value per dendrite, or one), plus ``step``."""
    out: dict[str, np.ndarray] = {"step": np.array(run.buffers.step)}
    m, buffers = run.module, run.buffers
    for pop in m.populations:
        for a in pop.attributes:
            key = StateKey(ObjKind.POPULATION, pop.id, a.name)
            if buffers.has(key):
                n = 1 if a.locality is Locality.GLOBAL else pop.size
                out[f"{pop.name}.{a.name}"] = buffers.array(key)[:n].copy()
    for p in m.projections:
        conn, fmt = run.connectivity[p.id], p.format or Format.CSR
        for a in p.attributes:
            key = StateKey(ObjKind.PROJECTION, p.id, a.name)
            if not buffers.has(key):
                continue
            buf = buffers.array(key)
            if a.locality is Locality.LOCAL:
                out[f"{p.name}.{a.name}"] = buf[conn.slot_index(fmt)].copy()
            else:
                out[f"{p.name}.{a.name}"] = buf[
                    : 1 if a.locality is Locality.GLOBAL else conn.n_dendrites
                ].copy()
    return out


def engine_for(module: Module, engine: str, threads: int = 1):
    """The interpreter or the LLVM engine for ``module``."""
    if engine == "interp":
        from nnc.backend.interp.engine import InterpEngine

        return InterpEngine(module)
    from nnc.backend.llvm.engine import LlvmEngine

    options = CompileOptions(precision=module.precision, dt=module.dt, num_threads=threads)
    return LlvmEngine.compile(module, options, None)
