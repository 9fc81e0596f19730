"""``LlvmEngine``: compiles a module to native code (or loads it from the object cache) and runs steps on
worker threads.

Code is compiled per kernel class (:mod:`nnc.backend.sharing`): kernels that are the same up to their
buffers share one set of stage functions, and every class is its own LLVM module and object file, cached
under the hash of its canonical module. LLVM's work grows with the number of distinct kernels, not with
the number of objects, and a network that differs from a cached one in one population compiles only that
population's kernels. The step loop (:mod:`nnc.backend.llvm.worker`) is one more object, the same for
every network; it walks a schedule table the engine fills with the stage functions' addresses and the
instances' descriptors.

Threads (DESIGN.md §4) are managed by :class:`~nnc.backend.llvm.workers.WorkerPool`: each runs
``nnc_run(ctx, tid, n, nsteps)`` through one ctypes call, the main thread waits interruptibly, and Ctrl-C
stops every thread after the same step and re-raises.
"""

from __future__ import annotations

import ctypes
import threading
import time
import weakref
from dataclasses import dataclass
from pathlib import Path

import llvmlite.binding as llvm
import numpy as np
from llvmlite import ir

from nnc.backend.abi import (
    ENTRY_POINT,
    SCHEDULE_FIELDS,
    Layout,
    RuntimeField,
    RuntimeKey,
    SlotKey,
    layout_of,
)
from nnc.backend.llvm.expr import MathLib, real_type
from nnc.backend.llvm.jit import (
    HostTarget,
    LoadedObject,
    ObjectCache,
    emit_object,
    host_target,
    optimise,
    parse,
    target_machine,
)
from nnc.backend.llvm.kernels import StageInfo, Target, lower_kernel, stage_infos, stage_symbol
from nnc.backend.llvm.loops import default_barrier_kind
from nnc.backend.llvm.places import Places
from nnc.backend.llvm.worker import build_worker, schedule_rows
from nnc.backend.llvm.workers import WorkerPool
from nnc.backend.sharing import KernelClass, Sharing, share_kernels
from nnc.diagnostics import SimulationError
from nnc.ir.model import Kernel, Module
from nnc.options import CompileOptions
from nnc.runtime.buffers import Buffers

_STOP = RuntimeKey(RuntimeField.STOP)
_SCHEDULE = RuntimeKey(RuntimeField.SCHEDULE)
_SCHEDULE_COUNT = RuntimeKey(RuntimeField.SCHEDULE_COUNT)
_ENTRY_TYPE = ctypes.CFUNCTYPE(
    ctypes.c_int64, ctypes.c_void_p, ctypes.c_int64, ctypes.c_int64, ctypes.c_int64
)


def kernel_slots(module: Module, kernel: Kernel) -> list[SlotKey]:
    """The slots the LLVM lowering of ``kernel`` uses (what its canonical module keeps)."""
    return Places(module, kernel).slots_of(kernel.body)


def share(module: Module) -> Sharing:
    """The kernel classes of ``module`` as the LLVM backend compiles them."""
    return share_kernels(module, layout_of(module), kernel_slots)


def class_prefix(cls: KernelClass) -> str:
    """Symbol prefix of a class's stage functions (from its digest: the same in every network)."""
    return f"nnc.{cls.digest[:20]}.{cls.kernel.phase.name.lower()}"


@dataclass(frozen=True, slots=True)
class Compiled:
    """Machine code of a module and how it was obtained.

    ``cache_hit``: every object came from the cache; ``objects`` and ``compiled`` count the object files
    loaded and those built by this compile (the step loop's included).
    """

    loaded: LoadedObject
    sharing: Sharing
    cache_hit: bool
    compile_seconds: dict[str, float]
    objects: int = 0
    compiled: int = 0


class LlvmEngine:
    """A compiled network on the CPU (implements :class:`nnc.runtime.engine.Engine`).

    ``num_threads`` starts at ``options.num_threads`` and may change between runs: the generated code
    is the same for every thread count, and so are the results (fixed partition-independent orders).
    """

    name = "llvm"

    def __init__(self, module: Module, options: CompileOptions, host: HostTarget, compiled: Compiled):
        self.module = module
        self.options = options
        self.layout: Layout = layout_of(module)
        self.host = host
        self.sharing = compiled.sharing
        self.cache_hit = compiled.cache_hit
        self.compile_seconds = compiled.compile_seconds
        self.objects = compiled.objects
        self.compiled_objects = compiled.compiled
        self.num_threads = max(1, options.num_threads)
        self._llvm_ir: str | None = None
        self._optimised: str | None = None
        self._loaded: LoadedObject | None = compiled.loaded
        self._entry = _ENTRY_TYPE(compiled.loaded.address(ENTRY_POINT))
        self._schedule = self._build_schedule(compiled.loaded)
        self._pool = WorkerPool(self._entry)
        weakref.finalize(self, self._pool.close)  # parked threads exit with an engine nobody closed
        self._step_slot = self.layout.slot(RuntimeKey(RuntimeField.STEP))
        self._lock = threading.Lock()
        self._chooser: ThreadChooser | None = None

    def _build_schedule(self, loaded: LoadedObject) -> np.ndarray:
        sh = self.sharing
        per_class: list[tuple[tuple[StageInfo, ...], tuple[int, ...]]] = []
        for cls in sh.classes:
            infos = stage_infos(cls.kernel)
            prefix = class_prefix(cls)
            per_class.append(
                (infos, tuple(loaded.address(stage_symbol(prefix, n)) for n in range(len(infos))))
            )
        base = sh.descriptors.ctypes.data
        stages = [(*per_class[c], base + 8 * sh.offsets[i]) for i, c in enumerate(sh.class_of)]
        table = schedule_rows(self.module, self.layout, stages)
        flat = np.zeros(max(table.size, SCHEDULE_FIELDS), dtype=np.int64)
        flat[: table.size] = table.reshape(-1)
        self._schedule_rows = len(table)
        return flat

    # ------------------------------------------------------------------ compilation
    @classmethod
    def compile(cls, module: Module, options: CompileOptions, cache_dir: Path | None = None) -> LlvmEngine:
        """Compile ``module`` (or load its objects from ``cache_dir``) and return a ready engine."""
        host = host_target()
        seconds: dict[str, float] = {}
        t0 = time.perf_counter()
        sharing = share(module)
        seconds["share"] = time.perf_counter() - t0
        builder = _ObjectBuilder(module, options, host, seconds)
        cache = ObjectCache(cache_dir) if cache_dir is not None else None
        t0 = time.perf_counter()
        keys = cls.cache_keys(sharing, options, host) if cache else [""] * (1 + len(sharing.classes))
        objs: list[bytes | None] = [cache.load(k) for k in keys] if cache else [None] * len(keys)
        seconds["cache"] = time.perf_counter() - t0
        missing = [i for i, o in enumerate(objs) if o is None]
        for i in missing:
            obj = builder.worker() if i == 0 else builder.kernel_class(sharing.classes[i - 1])
            objs[i] = obj
            if cache is not None:
                cache.store(keys[i], obj)
        t0 = time.perf_counter()
        loaded = LoadedObject([o for o in objs if o is not None], host, options.opt_level)
        seconds["load"] = time.perf_counter() - t0
        compiled = Compiled(loaded, sharing, not missing, seconds, len(objs), len(missing))
        return cls(module, options, host, compiled)

    @staticmethod
    def cache_keys(sharing: Sharing, options: CompileOptions, host: HostTarget) -> list[str]:
        """Object-cache keys of a network's objects: the step loop's, then each kernel class's (from the
        class's canonical module, which holds no connectivity statistics: copies of a network whose
        random connectivity differs, another seed, share their objects)."""
        keys = [ObjectCache.key(_worker_text(host), options.cache_token(), host)]
        return keys + [ObjectCache.key(c.digest, options.cache_token(), host) for c in sharing.classes]

    @property
    def llvm_ir(self) -> str:
        """LLVM IR of the network before optimisation: the step loop and every kernel class, in one module
        (the comments at the top name each class's kernels)."""
        if self._llvm_ir is None:
            self._llvm_ir = network_ir(self.module, self.sharing, self.host.arch)
        return self._llvm_ir

    def optimised_ir(self) -> str:
        """LLVM IR after optimisation."""
        if self._optimised is None:
            self._optimised = str(self._optimised_module())
        return self._optimised

    def asm(self) -> str:
        """Host assembly of the network."""
        tm = target_machine(self.host, self.options.opt_level)
        return tm.emit_assembly(self._optimised_module())

    def _optimised_module(self) -> llvm.ModuleRef:
        tm = target_machine(self.host, self.options.opt_level)
        mod = parse(self.llvm_ir, self.module.name)
        optimise(mod, tm, self.options.opt_level)
        return mod

    # ------------------------------------------------------------------ running
    def run(self, buffers: Buffers, nsteps: int) -> int:
        """Advance the network by up to ``nsteps`` steps; return the number done (fewer only after STOP)."""
        if self._loaded is None:
            raise SimulationError("this engine was closed")
        if buffers.layout is not self.layout and buffers.layout.slots != self.layout.slots:
            raise SimulationError("these buffers were laid out for a different module")
        if nsteps <= 0:
            return 0
        if not self._lock.acquire(blocking=False):
            raise SimulationError("this engine is already running")
        try:
            return self._run_threads(buffers, int(nsteps))
        finally:
            self._lock.release()

    def _run_threads(self, buffers: Buffers, nsteps: int) -> int:
        if self.num_threads <= 1 or not self.options.adaptive_threads:
            return self._run_chunk(buffers, nsteps, self.num_threads)[0]
        chooser = self._chooser
        if chooser is None or chooser.maximum != self.num_threads:
            chooser = self._chooser = ThreadChooser(self.num_threads)
            self._pool.start(self.num_threads)  # thread start-up is not part of any measured chunk
        done = 0
        while done < nsteps:
            threads, chunk = chooser.next_chunk(nsteps - done)
            limit = chooser.limit(threads, chunk)
            got, seconds = self._run_chunk(buffers, chunk, threads, limit)
            overran = limit is not None and seconds >= limit
            chooser.observe(threads, got, seconds, overran)
            done += got
            # fewer steps than asked: stopped by Ctrl-C (re-raised by the pool) or by the host's STOP,
            # unless the chunk overran its limit (the machine got busy), which the chooser now knows
            if got < chunk and not overran:
                break
        return done

    def _run_chunk(
        self, buffers: Buffers, nsteps: int, threads: int, limit: float | None = None
    ) -> tuple[int, float]:
        ctx = buffers.ctx
        buffers.set_value(_SCHEDULE, self._schedule.ctypes.data)  # this engine's step
        buffers.set_value(_SCHEDULE_COUNT, self._schedule_rows)
        before = int(ctx[self._step_slot])
        seconds = self._pool.run(
            ctx.__array_interface__["data"][0],
            threads,
            nsteps,
            lambda on: buffers.set_value(_STOP, on),
            limit,
        )
        steps = int(ctx[self._step_slot]) - before
        self._pool.observe(seconds, steps)
        return steps, seconds

    def close(self) -> None:
        """Release the machine code and the worker threads."""
        self._pool.close()
        if self._loaded is not None:
            self._loaded.close()
            self._loaded = None


class ThreadChooser:
    """The thread count of each chunk of a run (``CompileOptions.adaptive_threads``).

    Every thread count gives the same results (fixed partition-independent orders), so nnc may run a
    chunk on fewer threads than asked when that is faster: on a machine whose other cores are busy, each
    barrier of a multi-threaded step can cost a context switch, and one thread is then faster. The
    chooser keeps, for ``maximum`` threads and for one thread, the best time per step of their last
    :data:`SAMPLES` chunks (robust to a chunk that an interruption slowed down; the first chunk of all
    warms up and is not counted), runs chunks of about :data:`CHUNK_SECONDS` on ``maximum`` threads
    unless one thread is faster by :data:`MARGIN`, and measures the other again with a short probe (the
    load of a machine changes): after :data:`PROBE_EVERY` chunks, then twice as many each time a probe
    confirms the choice (up to :data:`PROBE_EVERY_MAX`), back to :data:`PROBE_EVERY` when a probe changes it.
    """

    def __init__(self, maximum: int):
        self.maximum = maximum
        self.samples: dict[int, list[float]] = {maximum: [], 1: []}
        self.chunks = 0
        self.interval = PROBE_EVERY
        self.next_probe = PROBE_EVERY
        self.best: int | None = None
        self.settled = False

    @property
    def per_step(self) -> dict[int, float]:
        """Seconds per step of each measured thread count."""
        return {n: min(v) for n, v in self.samples.items() if v}

    def next_chunk(self, remaining: int) -> tuple[int, int]:
        """``(threads, steps)`` of the next chunk of a run with ``remaining`` steps left."""
        self.chunks += 1
        if self.chunks == 1:  # untimed warm-up: first touches of the buffers, caches, thread wake-ups
            return self.maximum, max(1, min(FIRST_PROBE_STEPS, remaining))
        # measure each twice at first (later a count may keep one sample: see observe's ``overran``)
        short = [] if self.settled else [n for n, v in self.samples.items() if len(v) < 2]
        self.settled = not short
        if short:
            known = self.per_step.get(short[0])
            steps = FIRST_PROBE_STEPS if known is None else int(PROBE_SECONDS / max(known, 1e-9))
            return short[0], max(1, min(steps, remaining))
        per_step = self.per_step
        # the requested count unless one thread is clearly faster (a busy machine), not within noise
        best = 1 if per_step[1] * MARGIN < per_step[self.maximum] else self.maximum
        if best != self.best:  # the last probe (or the load) changed the choice: probe often again
            self.best, self.interval = best, PROBE_EVERY
            self.next_probe = self.chunks + PROBE_EVERY
        threads, seconds = best, CHUNK_SECONDS
        if self.chunks >= self.next_probe:
            threads, seconds = (1 if best == self.maximum else self.maximum), PROBE_SECONDS
            self.interval = min(2 * self.interval, PROBE_EVERY_MAX)
            self.next_probe = self.chunks + self.interval
        steps = int(seconds / max(per_step[threads], 1e-9))
        return threads, max(1, min(steps, remaining))

    def limit(self, threads: int, steps: int) -> float | None:
        """Seconds after which a chunk of ``steps`` on ``threads`` threads is cut short, or ``None``.

        A chunk's length comes from the best time per step measured so far; if the machine gets busy
        meanwhile, a multi-threaded step can become a hundred times slower (each barrier waits for a
        thread that has no core), and the chunk would run that much longer before the chooser could
        react. It is stopped after :data:`OVERRUN` times its expected time instead.
        """
        if threads == 1 or threads not in self.per_step:
            return None
        return max(MIN_LIMIT_SECONDS, OVERRUN * steps * self.per_step[threads])

    def observe(self, threads: int, steps: int, seconds: float, overran: bool = False) -> None:
        """Remember the time per step of a chunk of ``threads`` (not the warm-up chunk's); a chunk that
        ``overran`` its :meth:`limit` replaces the earlier samples of its count (the load changed)."""
        if steps <= 0 or self.chunks == 1:
            return
        kept = self.samples.setdefault(threads, [])
        if overran:
            kept.clear()
        kept.append(seconds / steps)
        del kept[:-SAMPLES]


#: Length of the chunks of an adaptive run, of its probes, and of a first probe (steps).
CHUNK_SECONDS = 0.05
PROBE_SECONDS = 0.01
PROBE_EVERY = 8
PROBE_EVERY_MAX = 32
#: One thread replaces ``maximum`` only when it is faster by this factor.
MARGIN = 1.15
FIRST_PROBE_STEPS = 20
#: Chunks per thread count whose best time per step counts.
SAMPLES = 3
#: A multi-threaded chunk is stopped when it runs this many times longer than expected ...
OVERRUN = 4.0
#: ... but never before this many seconds (thread wake-ups and timer granularity).
MIN_LIMIT_SECONDS = 0.02


def _worker_text(host: HostTarget) -> str:
    """What the step loop's object depends on besides the options and the host (cache key)."""
    return f"nnc_run barrier={default_barrier_kind(host.arch).value}"


class _ObjectBuilder:
    """Lowers, optimises and compiles the step loop and kernel classes; adds up the time of each step."""

    def __init__(self, module: Module, options: CompileOptions, host: HostTarget, seconds: dict[str, float]):
        self.module = module
        self.options = options
        self.host = host
        self.seconds = seconds
        self._tm: llvm.TargetMachine | None = None

    @property
    def tm(self) -> llvm.TargetMachine:
        if self._tm is None:
            self._tm = target_machine(self.host, self.options.opt_level)
        return self._tm

    def worker(self) -> bytes:
        """Object of the step loop."""
        t0 = time.perf_counter()
        llmod = ir.Module(name="nnc.worker")
        build_worker(llmod, self.host.arch)
        return self._compile(str(llmod), llmod.name, t0)

    def kernel_class(self, cls: KernelClass) -> bytes:
        """Object of one kernel class."""
        t0 = time.perf_counter()
        llmod = ir.Module(name=class_prefix(cls))
        lower_class(llmod, cls, self.module.kernels[cls.instances[0]].name)
        return self._compile(str(llmod), llmod.name, t0)

    def _compile(self, text: str, name: str, t0: float) -> bytes:
        t1 = time.perf_counter()
        mod = parse(text, name)
        optimise(mod, self.tm, self.options.opt_level)
        t2 = time.perf_counter()
        obj = emit_object(mod, self.tm)
        t3 = time.perf_counter()
        for step, dt in (("lower", t1 - t0), ("optimise", t2 - t1), ("codegen", t3 - t2)):
            self.seconds[step] = self.seconds.get(step, 0.0) + dt
        return obj


def lower_class(llmod: ir.Module, cls: KernelClass, name: str | None = None) -> tuple[ir.Function, ...]:
    """Lower the stages of kernel class ``cls`` into ``llmod`` (named :func:`class_prefix`); errors
    name the kernel ``name``."""
    target = Target(cls.module, cls.layout, llmod, MathLib(llmod, real_type(cls.module.precision)))
    return lower_kernel(target, class_prefix(cls), name)


def network_ir(module: Module, sharing: Sharing, arch: str) -> str:
    """The LLVM IR of a network in one module: the step loop, then every kernel class, with a comment
    naming the kernels of each class."""
    llmod = ir.Module(name=module.name)
    build_worker(llmod, arch)
    notes = []
    for cls, names in zip(sharing.classes, sharing.groups(module), strict=True):
        lower_class(llmod, cls, names[0])
        notes.append(f"; {class_prefix(cls)}: {', '.join(names)}")
    return (
        "; kernel classes (stage functions shared by these kernels):\n" + "\n".join(notes) + "\n" + str(llmod)
    )
