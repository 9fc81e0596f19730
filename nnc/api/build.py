"""Compile flow of a network: analyse → connect → assemble → passes → engine → buffers and initial values.

The steps follow SEMANTICS.md §11: populations are analysed, projections run their connectors in
creation order (random connectors draw from ``net.default_rng``), the module is assembled and sent
through the pass pipeline, an engine is built, then constants, populations, projections and monitors
receive their initial state.

``nnc dump-ir`` stops this flow at a named stage: :func:`dumping` installs a :class:`DumpRequest`,
and the stage's text is raised in :class:`StageDumped` instead of finishing the compile.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from nnc.backend.abi import ConstantKey, RuntimeField, RuntimeKey, layout_of
from nnc.diagnostics import ModelError, NncError
from nnc.frontend.assemble import PopulationSpec, ProjectionSpec, assemble
from nnc.ir.graph import module_graph
from nnc.ir.model import ConnectorRef, Module, NeuronModel
from nnc.ir.printer import print_model, print_module
from nnc.ir.types import NeuronKind
from nnc.options import CompileOptions
from nnc.passes.pipeline import run_pipeline
from nnc.passes.registry import build_pipeline
from nnc.runtime.buffers import Buffers, ProjectionShape
from nnc.runtime.scheduler import Recorder

if TYPE_CHECKING:
    from nnc.api.network import Network
    from nnc.runtime.engine import Engine


# --------------------------------------------------------------------------------------------------
# stage dumps (nnc dump-ir)


@dataclass(frozen=True, slots=True)
class DumpRequest:
    """Stop the compile of a network after ``stage`` and report its text.

    ``network`` selects the network by id or class name (None: the first one compiled); ``graph``
    reports the module as a Graphviz DOT picture (:mod:`nnc.ir.graph`) instead of its text.
    """

    stage: str
    network: str | None = None
    debuginfo: bool = False
    #: write the synapses and constant values to this ``.npz`` and name them in the printed module
    data: str | None = None
    #: print the module as Graphviz DOT instead of text
    graph: bool = False


class StageDumped(NncError):  # noqa: N818 - a control-flow signal, not a failure
    """Raised by ``compile()`` under :func:`dumping` once the requested stage is reached."""

    def __init__(self, stage: str, text: str):
        self.stage = stage
        self.text = text
        super().__init__(f"stopped after stage '{stage}'")


_REQUESTS: list[DumpRequest] = []


@contextlib.contextmanager
def dumping(request: DumpRequest) -> Iterator[None]:
    """Within this block, compiling a matching network dumps ``request.stage`` and raises StageDumped."""
    _REQUESTS.append(request)
    try:
        yield
    finally:
        _REQUESTS.remove(request)


def _request_for(net: Network) -> DumpRequest | None:
    """The innermost request matching ``net`` (a script run by ``nnc dump-ir`` may dump on its own)."""
    for r in reversed(_REQUESTS):
        if r.network is None or r.network in (str(net.id), type(net).__name__):
            return r
    return None


def format_models(pops: list[PopulationSpec], projs: list[ProjectionSpec], debuginfo: bool) -> str:
    """Text of the analysed models (the ``parse`` stage)."""
    texts = [print_model(p.model, f"population {p.name}", debuginfo=debuginfo) for p in pops]
    texts += [print_model(q.model, f"projection {q.name}", debuginfo=debuginfo) for q in projs]
    return "\n".join(texts)


# --------------------------------------------------------------------------------------------------
# compile


class Runtime:
    """What a compiled network owns: its module, engine, buffers and recordings."""

    def __init__(self, module: Module, engine: Engine, buffers: Buffers):
        self.module = module
        self.engine = engine
        self.buffers = buffers
        self.recorder = Recorder(buffers)

    def close(self) -> None:
        """Release the engine's native resources."""
        self.engine.close()


def _connected_targets(net: Network) -> dict[int, tuple[str, ...]]:
    found: dict[int, list[str]] = {p.id: [] for p in net.get_populations()}
    for proj in net._projections:
        post = proj.post.population  # type: ignore[attr-defined]
        targets = [proj.target] if isinstance(proj.target, str) else list(proj.target)  # type: ignore[attr-defined]
        for t in targets:
            if t not in found[post.id]:
                found[post.id].append(t)
    return {k: tuple(v) for k, v in found.items()}


def _structural_rules(net: Network) -> None:
    """A synapse with a ``creating`` or ``pruning`` rule turns structural plasticity on (API.md §3)."""
    if net._config.structural_plasticity:
        return
    for proj in net._projections:
        synapse = proj.synapse_type  # type: ignore[attr-defined]
        if getattr(synapse, "creating", None) is not None or getattr(synapse, "pruning", None) is not None:
            net._config = replace(net._config, structural_plasticity=True)
            return


def _analyse(net: Network) -> tuple[list[PopulationSpec], list[ProjectionSpec]]:
    from nnc.frontend.analyse import shared_analyses

    _structural_rules(net)
    with shared_analyses():  # a model used by many populations or projections is analysed once
        return _analyse_models(net)


def _analyse_models(net: Network) -> tuple[list[PopulationSpec], list[ProjectionSpec]]:
    targets = _connected_targets(net)
    pops = [
        PopulationSpec(p.id, p.name, p.geometry, p._final_model(targets[p.id])) for p in net.get_populations()
    ]
    if not net._projections:
        return pops, []
    env, aux = net._environment(), net._aux_rng
    projs = [
        proj._prepare(rng=net.default_rng, aux_rng=aux, env=env)  # type: ignore[attr-defined]
        for proj in net._projections
    ]
    return pops, projs


def _options(net: Network) -> CompileOptions:
    cfg = net._config
    return CompileOptions(
        precision=cfg.dtype,
        dt=cfg.dt,
        default_method=cfg.method,
        num_threads=cfg.num_threads,
        storage_format=cfg.format_hint,
        fuse=cfg.fuse,
        adaptive_threads=cfg.adaptive_threads,
    )


def _engine(
    net: Network,
    module: Module,
    directory: str | None,
    clean: bool,
    llvm: bool = False,
    cuda_config: dict | None = None,
) -> Engine:
    """The engine selected by the configuration (``llvm`` forces the LLVM JIT, for its IR dump)."""
    cfg = net._config
    if cfg.paradigm == "cuda" and not llvm:
        from nnc.backend.ptx.cuda import open_device
        from nnc.backend.ptx.engine import GpuEngine
        from nnc.backend.ptx.stages import GpuChoices

        config = dict(cuda_config or {})
        choices = GpuChoices.of(config)
        device = open_device(config)
        return GpuEngine(
            module,
            _options(net),
            device,
            block_size=int(config.get("block_size", 256)),
            max_blocks=config.get("max_blocks"),
            choices=choices,
        )
    if cfg.engine == "interp" and not llvm:
        from nnc.backend.interp.engine import InterpEngine

        return InterpEngine(module)
    from nnc.backend.llvm.engine import LlvmEngine

    cache = None if clean or directory is None else Path(directory)
    return LlvmEngine.compile(module, _options(net), cache)


def _queue_lengths(net: Network, module: Module) -> dict[int, int]:
    lengths: dict[int, int] = {}
    for proj, decl in zip(net._projections, module.projections, strict=True):
        if module.populations[decl.pre].delayed:
            lengths[decl.pre] = max(lengths.get(decl.pre, 1), int(proj.max_delay))  # type: ignore[attr-defined]
    return lengths


def _spike_slots(net: Network, module: Module) -> dict[int, int]:
    """Spike lists every spiking population keeps: the longest delay of a projection leaving it."""
    slots = {p.id: 1 for p in module.populations if p.kind is NeuronKind.SPIKE}
    for proj, decl in zip(net._projections, module.projections, strict=True):
        if decl.pre in slots:
            needed = max(int(proj.max_delay), int(getattr(proj, "_window_steps", 1)))  # type: ignore[attr-defined]
            slots[decl.pre] = max(slots[decl.pre], needed)
    return slots


def _initialise(net: Network, runtime: Runtime) -> None:
    """Constants, seed, populations, projections, monitors, in SEMANTICS.md §11 order."""
    buffers = runtime.buffers
    for c in net.get_constants():
        if buffers.has(ConstantKey(c.name)):
            buffers.array(ConstantKey(c.name))[0] = c.value
    buffers.set_value(RuntimeKey(RuntimeField.SEED), net.seed)
    buffers.step = 0
    for pop in net.get_populations():
        pop._bind(buffers)
    for proj, decl in zip(net._projections, runtime.module.projections, strict=True):
        proj._bind(buffers, decl)  # type: ignore[attr-defined]
    for m in net.get_monitors():
        m._bind(runtime.recorder)


def _ptx_text(module: Module, cuda_config: dict | None) -> str:
    """The PTX of ``module`` (``nnc dump-ir --stage ptx``) for ``cuda_config['sm']`` (default sm_80)."""
    from nnc.backend.ptx.emit import module_ptx

    return module_ptx(module, cuda_config)


def compile_network(
    net: Network,
    directory: str | None,
    clean: bool,
    passes: Sequence[object] | None = None,
    cuda_config: dict | None = None,
) -> Runtime:
    """Compile ``net`` and return its runtime (or raise :class:`StageDumped` under :func:`dumping`).

    ``passes`` replaces the pipeline (names or pass instances); otherwise the default pipeline runs with
    the configuration's ``extra_passes`` in their registered places. ``cuda_config``: the GPU's
    (``paradigm="cuda"``, docs/gpu.md).
    """
    if not net.get_populations():
        raise ModelError(f"compile: network {net.id} has no population")
    request = _request_for(net)
    pops, projs = _analyse(net)
    if request is not None and request.stage == "parse":
        raise StageDumped("parse", format_models(pops, projs, request.debuginfo))
    module = assemble(
        "network",  # not the id: the printed module is the compile-cache key
        net._config.dtype,
        net.dt,
        tuple(pops),
        tuple(projs),
        tuple(c.name for c in net.get_constants()),
    )
    pipeline = build_pipeline(_options(net), passes, net._config.extra_passes)  # type: ignore[arg-type]
    module = run_pipeline(module, pipeline, _stage_callback(request, net))
    if request is not None and request.stage == "kernels":
        from nnc.backend.llvm.engine import share

        raise StageDumped("kernels", share(module).describe(module))
    if request is not None and request.stage == "ptx":
        raise StageDumped("ptx", _ptx_text(module, cuda_config))
    dump_llvm = request is not None and request.stage == "llvm"
    engine = _engine(net, module, directory, clean, llvm=dump_llvm, cuda_config=cuda_config)
    if dump_llvm:
        text = engine.llvm_ir  # type: ignore[attr-defined]
        engine.close()
        raise StageDumped("llvm", text)
    shapes = {p.id: ProjectionShape(0, 0) for p in module.projections}
    buffers = Buffers(
        module, layout_of(module), shapes, _queue_lengths(net, module), _spike_slots(net, module)
    )
    runtime = Runtime(module, engine, buffers)
    _initialise(net, runtime)
    return runtime


def _stage_callback(request: DumpRequest | None, net: Network) -> Callable[[str, Module], None] | None:
    if request is None:
        return None

    def on_stage(name: str, module: Module) -> None:
        if name == request.stage:
            if request.data is not None:
                module = with_run_data(net, module, request.data)
            if request.graph:
                raise StageDumped(name, module_graph(module))
            raise StageDumped(name, print_module(module, debuginfo=request.debuginfo))

    return on_stage


def with_run_data(net: Network, module: Module, path: str) -> Module:
    """Write the synapses of ``net`` (and nothing else) to ``path`` (``.npz``) and return ``module`` with a
    ``connect file(...)`` line per projection and the constants' values, as ``nnc run`` reads them."""
    arrays: dict[str, np.ndarray] = {}
    projections = []
    for proj, decl in zip(net._projections, module.projections, strict=True):
        conn = proj._conn  # type: ignore[attr-defined]
        key = decl.name
        arrays |= {
            f"{key}.post_ranks": conn.post_ranks,
            f"{key}.row_ptr": conn.row_ptr,
            f"{key}.pre_ranks": conn.pre_ranks,
            f"{key}.weights": conn.weights,
        }
        if conn.delays is not None:
            arrays[f"{key}.delays"] = conn.delays
        else:
            arrays[f"{key}.uniform_delay"] = np.array(conn.uniform_delay)
        projections.append(replace(decl, connect=ConnectorRef("file", (("path", path), ("key", key)))))
    np.savez(path, **arrays)
    values = tuple((c.name, float(c.value)) for c in net.get_constants())
    return replace(module, projections=tuple(projections), constant_values=values)


# --------------------------------------------------------------------------------------------------
# stop conditions (simulate_until)


def _condition(pop: object) -> tuple[str, str] | None:
    text = getattr(pop, "stop_condition", None)
    if not text:
        return None
    expr, _, mode = str(text).rpartition(":")
    if mode.strip() in ("any", "all") and expr.strip():
        return expr.strip(), mode.strip()
    return str(text).strip(), "any"


def _spiked_check(pop: object, mode: str) -> Callable[[], bool]:
    """``"spiked : any"`` / ``"spiked : all"`` (DSL.md §14): some / every neuron spiked in the step."""
    from nnc.runtime.spikes import spikes_of

    if not getattr(pop, "is_spiking", False):
        raise ModelError(f"stop condition of {pop.name}: 'spiked' needs a spiking population")  # type: ignore[attr-defined]
    size = pop.size  # type: ignore[attr-defined]

    def check() -> bool:
        fired = spikes_of(pop._buffers, pop.id)  # type: ignore[attr-defined]
        return len(fired) > 0 if mode == "any" else len(np.unique(fired)) == size

    return check


def stop_condition_checker(net: Network, pops: list[object], operator: str) -> Callable[[], bool] | None:
    """A predicate evaluated after each step of ``simulate_until`` (DSL.md §14, API.md §2).

    Populations without a stop condition are ignored; None when no listed population has one.
    """
    from nnc.frontend.analyse import parse_functions
    from nnc.ir.evaluate import evaluate

    checks: list[Callable[[], bool]] = []
    for pop in pops:
        cond = _condition(pop)
        if cond is None:
            continue
        expr, mode = cond
        if expr == "spiked":  # the special form of spiking populations: who fired in the step
            checks.append(_spiked_check(pop, mode))
            continue
        model: NeuronModel = pop.neuron_model  # type: ignore[attr-defined]
        names = [a.name for a in model.attributes]
        types = ", ".join(["bool"] + ["float"] * len(names))
        (fn,) = parse_functions(
            f"_stop_condition({', '.join(names)}) = {expr} : {types}", f"stop condition of {pop.name}"
        )  # type: ignore[attr-defined]
        reduce = np.any if mode == "any" else np.all

        def check(
            pop: object = pop, fn: object = fn, names: list[str] = names, reduce: object = reduce
        ) -> bool:
            env = {n: np.asarray(pop.get(n), dtype=np.float64).reshape(-1) for n in names}  # type: ignore[attr-defined]
            value = evaluate(fn.body, env, real=net._real_dtype, t=net.time, dt=net.dt)  # type: ignore[attr-defined]
            return bool(reduce(np.asarray(value) != 0))  # type: ignore[operator]

        checks.append(check)
    if not checks:
        return None
    combine = all if operator == "and" else any
    return lambda: combine(c() for c in checks)
