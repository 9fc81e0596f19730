"""``parallel_run`` on a Dask cluster (``dask.distributed``): each copy of the network is one Dask task.

The client sends one :class:`Job` (the network's class, configuration and constructor arguments, the
arguments given alike to every copy, the module-level state a new network reads, the method, and the
parent's compiled object code) as a task of its own, so the scheduler can recompute it if the worker
holding it dies; every copy is a task that depends on it, and so each worker receives the job once. A
worker builds its copy exactly as the local path does (:func:`nnc.api.parallel.build_copy`), so a copy
computes the same bits wherever it runs.

Scheduling, retries after a lost worker, data transfer and serialisation (cloudpickle, so classes and
functions of ``__main__`` or a notebook travel by value) are Dask's. What nnc adds is what a copy
needs to be reproducible (:class:`Context`), a compile cache on each worker primed with the parent's
object code (a worker never runs LLVM's optimiser for a network the client compiled on the same kind of
CPU), and the reporting of failures: an exception in ``method`` names the copy and its seed and lets
the other copies finish (:class:`ParallelRunError`); a copy that cannot be built (a compile error)
cancels the whole run at once and raises the compiler's error.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import tempfile
import threading
import traceback
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from nnc.api.config import DEFAULTS, Config
from nnc.api.constant import GLOBAL, Constant, add_function
from nnc.api.parallel import Plan, build_copy
from nnc.diagnostics import SimulationError
from nnc.optional import require

if TYPE_CHECKING:
    from types import ModuleType

    from nnc.api.network import Network

_FEATURE = "parallel_run on a Dask cluster"


class ParallelRunError(SimulationError):
    """Some copies of a ``parallel_run`` raised an exception (or were lost with the workers they killed).

    ``results`` holds the result of every copy that finished (None for the failed ones) and
    ``failures`` maps the index of each failed copy to what happened to it.
    """

    def __init__(self, message: str, results: list[object], failures: dict[int, Failure]):
        super().__init__(message)
        self.results = results
        self.failures = failures

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (str(self), self.results, self.failures))


# --------------------------------------------------------------------------------------------------
# what travels to the workers


@dataclass(frozen=True, slots=True)
class Context:
    """The module-level state a new network reads at construction: the default configuration of
    ``setup()`` (and so the seed of a copy given none), the global constants and global functions."""

    defaults: Config
    constants: tuple[tuple[str, float], ...]
    functions: tuple[str, ...]

    @staticmethod
    def current() -> Context:
        """This process's state."""
        texts = tuple(dict.fromkeys(GLOBAL.function_texts.values()))
        return Context(DEFAULTS.config, tuple((c.name, c.value) for c in GLOBAL.constants), texts)

    def install(self) -> None:
        """Make this process's state equal to this context (what is equal already is left alone)."""
        DEFAULTS.config = self.defaults
        if tuple((c.name, c.value) for c in GLOBAL.constants) != self.constants:
            GLOBAL.constants.clear()
            for name, value in self.constants:
                Constant(name, value)
        if tuple(dict.fromkeys(GLOBAL.function_texts.values())) != self.functions:
            GLOBAL.functions.clear()
            GLOBAL.function_texts.clear()
            for text in self.functions:
                add_function(text)


@dataclass(frozen=True, slots=True)
class Job:
    """What every copy of one ``parallel_run`` shares."""

    token: str
    cls: type[Network]
    args: tuple[object, ...]
    #: the constructor and method keyword arguments equal for every copy (sent once, not per copy)
    ctor: dict[str, object]
    method_args: dict[str, object]
    config: Config
    context: Context
    method: Callable[..., object]
    #: the parent's object files and their compile-cache keys, or None (interpreter, or not cached)
    objects: tuple[tuple[str, bytes], ...] | None


@dataclass(frozen=True, slots=True)
class Failure:
    """Why a copy produced no result: where (``phase`` is ``'build'``, ``'method'`` or ``'task'`` for a
    copy Dask gave up on), the exception's type, message and traceback, the worker, and the exception
    itself when it survives pickling."""

    phase: str
    type_name: str
    message: str
    traceback: str
    worker: str
    exception: bytes | None = None

    @staticmethod
    def of(phase: str, exc: BaseException, worker: str) -> Failure:
        """The failure of ``exc``, caught in ``phase``."""
        text = "".join(traceback.format_exception(exc))
        return Failure(phase, type(exc).__name__, str(exc), text, worker, _portable(exc))

    def error(self) -> BaseException | None:
        """The original exception, if it could be sent back."""
        if self.exception is None:
            return None
        try:
            return pickle.loads(self.exception)
        except Exception:
            return None


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the task of a copy returns: its result or its failure, and the seed the copy used (drawn on
    the worker when the plan gave None)."""

    seed: int | None
    value: object = None
    failure: Failure | None = None


def _portable(exc: BaseException) -> bytes | None:
    try:
        data = pickle.dumps(exc)
        pickle.loads(data)
    except Exception:
        return None
    return data


def _object_code(net: Network) -> tuple[tuple[str, bytes], ...] | None:
    """The parent's object files (the step loop and every kernel class) and their cache keys, read from
    the parent's compile cache; None when one is missing."""
    engine = net._runtime.engine if net._runtime is not None else None
    if engine is None or net.directory is None or net._config.engine != "llvm":
        return None
    from nnc.backend.llvm.engine import LlvmEngine
    from nnc.backend.llvm.jit import ObjectCache

    if not isinstance(engine, LlvmEngine):
        return None
    cache = ObjectCache(Path(net.directory))
    found = []
    for key in LlvmEngine.cache_keys(engine.sharing, engine.options, engine.host):
        data = cache.load(key)
        if data is None:
            return None
        found.append((key, data))
    return tuple(found)


# --------------------------------------------------------------------------------------------------
# on a worker

#: Held while a worker process builds a copy: the module-level state is installed for it.
_BUILD_LOCK = threading.Lock()
#: Compile caches of this process already primed with a job's object code.
_PRIMED: set[tuple[str, str]] = set()


def _worker_name() -> str:
    try:
        from distributed import get_worker

        return str(get_worker().address)
    except (ImportError, ValueError):
        return f"process {os.getpid()}"


def _cache_directory() -> Path:
    """This worker's compile cache: in its local directory, kept as long as the worker lives."""
    try:
        from distributed import get_worker

        base = get_worker().local_directory
    except (ImportError, ValueError):
        base = tempfile.gettempdir()
    return Path(base) / "nnc-cache"


def _prime(directory: Path, objects: tuple[tuple[str, bytes], ...] | None) -> None:
    if objects is None:
        return
    from nnc.backend.llvm.jit import ObjectCache

    cache = ObjectCache(directory)
    for key, data in objects:
        if (str(directory), key) in _PRIMED:
            continue
        if cache.load(key) is None:
            cache.store(key, data)
        _PRIMED.add((str(directory), key))


def _identity(job: Job) -> Job:
    return job


def run_copy(job: Job, ctor: dict[str, object], method_args: dict[str, object], seed: int | None) -> Outcome:
    """The task of one copy: build it (from this worker's cache), run the method, return its outcome."""
    try:
        with _BUILD_LOCK:
            job.context.install()
            directory = _cache_directory()
            _prime(directory, job.objects)
            copy = build_copy(job.cls, job.config, str(directory), job.args, job.ctor | ctor, seed)
    except Exception as e:
        return Outcome(seed, failure=Failure.of("build", e, _worker_name()))
    try:
        value = job.method(copy, **(job.method_args | method_args))
    except Exception as e:
        return Outcome(copy.seed, failure=Failure.of("method", e, _worker_name()))
    return Outcome(copy.seed, value)


# --------------------------------------------------------------------------------------------------
# on the client


@contextlib.contextmanager
def _client(distributed: ModuleType, target: object, max_processes: int, number: int) -> Iterator[object]:
    """The client ``target`` stands for: a Client as it is; ``'dask'`` the current client, or a local
    cluster for this call if there is none; an address a client connected to it for this call."""
    if not isinstance(target, str):
        if not callable(getattr(target, "submit", None)):
            raise SimulationError(
                f"parallel_run: client must be a dask.distributed.Client, 'dask' or the address of a "
                f"Dask scheduler, not {target!r}"
            )
        yield target
        return
    if target == "dask":
        try:
            yield distributed.default_client()
            return
        except ValueError:  # no client in this process: a local cluster for this call
            pass
        workers = min(number, max_processes if max_processes > 0 else (os.cpu_count() or 1))
        with (
            distributed.LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True, dashboard_address="127.0.0.1:0"
            ) as cluster,
            distributed.Client(cluster) as client,
        ):
            yield client
        return
    with distributed.Client(target) as client:
        yield client


def _shared(per_copy: list[dict[str, object]]) -> dict[str, object]:
    """The arguments that are the same object in every copy (a value given once to ``parallel_run``)."""
    first = per_copy[0]
    return {k: v for k, v in first.items() if all(k in d and d[k] is v for d in per_copy)}


def _job(net: Network, method: Callable[..., object], plan: Plan) -> Job:
    # the configuration travels without the choice of executor (a copy's own parallel_run runs locally)
    return Job(
        uuid.uuid4().hex,
        type(net),
        plan.args,
        _shared(plan.ctor),
        _shared(plan.method),
        replace(net._config, parallel="processes"),
        Context.current(),
        method,
        _object_code(net),
    )


def _describe(index: int, seed: int | None, failure: Failure) -> str:
    seed_text = "a random seed" if seed is None else f"seed {seed}"
    if failure.phase == "task":
        return f"copy {index} ({seed_text}) was lost: {failure.type_name}: {failure.message}"
    return f"copy {index} ({seed_text}) raised {failure.type_name}: {failure.message} (on {failure.worker})"


def _build_failed(index: int, seed: int | None, failure: Failure) -> BaseException:
    """The compiler's error of a copy that could not be built, raised once for the whole run."""
    seed_text = "a random seed" if seed is None else f"seed {seed}"
    where = f"parallel_run: building copy {index} ({seed_text}) failed on {failure.worker}"
    exc = failure.error()
    if exc is None:
        return ParallelRunError(f"{where}: {failure.type_name}: {failure.message}", [], {index: failure})
    exc.add_note(f"{where}; the other copies were cancelled. Worker traceback:\n{failure.traceback}")
    return exc


def _progress(total: int) -> object:
    """A progress bar over finished copies on standard error, shown only when that is a terminal."""
    tqdm = require("tqdm", "dask", _FEATURE)
    return tqdm.tqdm(total=total, desc="parallel_run", unit="copy", disable=None)


def _own(per_copy: dict[str, object], shared: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in per_copy.items() if k not in shared}


def _collect(distributed: ModuleType, client: object, job: Job, plan: Plan) -> list[object]:
    bar = _progress(plan.number)
    job_future = client.submit(_identity, job, key=f"nnc-job-{job.token}", pure=False)  # type: ignore[attr-defined]
    futures = [
        client.submit(  # type: ignore[attr-defined]
            run_copy,
            job_future,
            _own(plan.ctor[i], job.ctor),
            _own(plan.method[i], job.method_args),
            plan.seeds[i],
            key=f"nnc-copy-{job.token}-{i}",
        )
        for i in range(plan.number)
    ]
    index = {f.key: i for i, f in enumerate(futures)}
    results: list[object] = [None] * plan.number
    failures: dict[int, Failure] = {}
    seeds = list(plan.seeds)
    try:
        for future in distributed.as_completed(futures):
            i = index[future.key]
            try:
                outcome: Outcome = future.result()
            except Exception as e:  # Dask gave up on the task (e.g. KilledWorker) or could not return it
                failures[i] = Failure.of("task", e, "")
            else:
                seeds[i] = outcome.seed
                if outcome.failure is not None and outcome.failure.phase == "build":
                    raise _build_failed(i, outcome.seed, outcome.failure)
                if outcome.failure is not None:
                    failures[i] = outcome.failure
                else:
                    results[i] = outcome.value
            bar.update(1)  # type: ignore[attr-defined]
    finally:
        bar.close()  # type: ignore[attr-defined]
        client.cancel([*futures, job_future])  # type: ignore[attr-defined]
    if failures:
        lines = [_describe(i, seeds[i], f) for i, f in sorted(failures.items())]
        first = failures[min(failures)]
        message = (
            f"parallel_run: {len(failures)} of {plan.number} copies failed; the others finished "
            f"(their results are in .results):\n  " + "\n  ".join(lines) + f"\n{first.traceback}"
        )
        raise ParallelRunError(message, results, failures) from first.error()
    return results


def run_on_dask(
    net: Network, method: Callable[..., object], plan: Plan, target: object, max_processes: int
) -> list[object]:
    """Run the copies of ``plan`` as Dask tasks on the client ``target`` and return their results in order.

    ``target`` is a ``dask.distributed.Client``, ``'dask'`` (the current client, or a local cluster of
    ``max_processes`` workers for this call when there is none) or a scheduler address.
    """
    distributed = require("distributed", "dask", _FEATURE)
    if plan.number == 0:
        return []
    job = _job(net, method, plan)
    with _client(distributed, target, max_processes, plan.number) as client:
        if getattr(client, "asynchronous", False):
            raise SimulationError("parallel_run: an asynchronous Dask client is not supported")
        return _collect(distributed, client, job, plan)
