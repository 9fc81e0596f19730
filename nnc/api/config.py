"""Network configuration: the keys of ``setup()`` / ``Network.config()`` (API.md §3) and warnings.

A :class:`Config` is a frozen value; ``setup()`` replaces the global default one and every
:class:`~nnc.api.network.Network` copies it at construction, then edits its own copy with
``net.config(...)`` until compile. The reference reads a few flags from the script's command line at
import (``-j N``, ``--gpu``); :func:`flags_from_argv` is the only place nnc does that.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

from nnc.diagnostics import ModelError
from nnc.ir.types import Format, Method, Precision

#: ``ann.float32`` / ``ann.float64``: values of the ``dtype`` key.
float32 = np.float32
float64 = np.float64

_PRECISIONS: dict[object, Precision] = {
    np.float64: Precision.F64,
    np.dtype(np.float64): Precision.F64,
    "float64": Precision.F64,
    "double": Precision.F64,
    float: Precision.F64,
    np.float32: Precision.F32,
    np.dtype(np.float32): Precision.F32,
    "float32": Precision.F32,
    "float": Precision.F32,
}
_METHODS = {m.value: m for m in Method if m is not Method.EVENT_DRIVEN} | {"runge-kutta4": Method.RK4}

#: ``sparse_matrix_format`` names (API.md §3) → the format-selection hint they stand for.
FORMAT_HINTS: dict[str, Format | None] = {
    "default": None,
    "auto": None,
    "dense": Format.DENSE,
    "lil": Format.CSR,
    "csr": Format.CSR,
    "csr_vector": Format.CSR,
    "csr_scalar": Format.CSR,
    "coo": Format.CSR,
    "bsr": Format.CSR,
    "hyb": Format.CSR,
    "ell": Format.ELL,
    "ellr": Format.ELL,
    "sell": Format.ELL,
}
_STORAGE_ORDERS = ("post_to_pre", "pre_to_post", "auto")
_PARADIGMS = ("openmp", "cuda")
_ENGINES = ("llvm", "interp")
#: Keys accepted for compatibility that only tune the reference's C++ code.
_PERFORMANCE_KEYS = (
    "use_cpp_connectors",
    "disable_split_matrix",
    "disable_SIMD_SpMV",
    "disable_SIMD_Eq",
    "disable_bitmask",
)


@dataclass(frozen=True, slots=True)
class Config:
    """Every configuration key with its default (API.md §3, plus nnc's ``engine``, ``fuse``: whether the
    fuse pass merges kernels, ``adaptive_threads``: whether a run may use one thread for stretches
    where that is faster than ``num_threads``, as on a machine whose other cores are busy; results are
    the same bits either way, ``parallel``: where ``parallel_run`` runs the copies, ``'processes'``
    on this machine, ``'dask'`` on the current Dask client or an address such as
    ``'tcp://host:8786'`` of a Dask scheduler, see docs/cluster.md, and ``progress``: whether
    ``simulate()`` shows a progress bar, None for only when standard output is a terminal)."""

    dt: float = 1.0
    seed: int | None = None
    method: Method = Method.EXPLICIT
    structural_plasticity: bool = False
    num_threads: int = 1
    visible_cores: tuple[int, ...] = ()
    paradigm: str = "openmp"
    dtype: Precision = Precision.F64
    only_int_idx_type: bool = True
    sparse_matrix_format: str = "default"
    sparse_matrix_storage_order: str = "post_to_pre"
    verbose: bool = False
    suppress_warnings: bool = False
    show_time: bool = False
    trace_calls: object = None
    debug: bool = False
    disable_parallel_rng: bool = True
    use_seed_seq: bool = True
    use_cpp_connectors: bool = False
    disable_split_matrix: bool = True
    disable_SIMD_SpMV: bool = False  # noqa: N815 - the reference's key
    disable_SIMD_Eq: bool = False  # noqa: N815 - the reference's key
    disable_bitmask: bool = True
    disable_shared_library_time_offset: bool = True
    engine: str = "llvm"
    fuse: bool = True
    adaptive_threads: bool = True
    #: registered pass names (or pass instances) added to the default pipeline at their registered place
    extra_passes: tuple[object, ...] = ()
    parallel: str = "processes"
    progress: bool | None = None

    @property
    def format_hint(self) -> Format | None:
        """The network-wide storage-format hint of ``sparse_matrix_format``."""
        return FORMAT_HINTS[self.sparse_matrix_format]


def _positive_float(key: str, v: object) -> float:
    x = float(v)  # type: ignore[arg-type]
    if not math.isfinite(x) or x <= 0.0:
        raise ModelError(f"config: {key} must be a positive number, got {v!r}")
    return x


def _positive_int(key: str, v: object) -> int:
    if isinstance(v, bool) or int(v) != v or int(v) < 1:  # type: ignore[call-overload]
        raise ModelError(f"config: {key} must be a positive integer, got {v!r}")
    return int(v)  # type: ignore[call-overload]


def _seed(key: str, v: object) -> int | None:
    if v is None:
        return None
    if isinstance(v, bool) or int(v) != v or int(v) < 0:  # type: ignore[call-overload]
        raise ModelError(f"config: {key} must be a non-negative integer or None, got {v!r}")
    return int(v)  # type: ignore[call-overload]


def _method(key: str, v: object) -> Method:
    if isinstance(v, Method) and v is not Method.EVENT_DRIVEN:
        return v
    if isinstance(v, str) and v in _METHODS:
        return _METHODS[v]
    raise ModelError(f"config: unknown {key} {v!r}; expected one of {', '.join(_METHODS)}")


def _dtype(key: str, v: object) -> Precision:
    if isinstance(v, Precision):
        return v
    try:
        return _PRECISIONS[v]
    except (KeyError, TypeError):
        raise ModelError(f"config: {key} must be ann.float32 or ann.float64, got {v!r}") from None


def _choice(options: tuple[str, ...]) -> Callable[[str, object], str]:
    def check(key: str, v: object) -> str:
        if v not in options:
            raise ModelError(f"config: invalid {key} {v!r}; expected one of {', '.join(options)}")
        return str(v)

    return check


def _flag(key: str, v: object) -> bool:
    return bool(v)


def _cores(key: str, v: object) -> tuple[int, ...]:
    return tuple(int(c) for c in v)  # type: ignore[attr-defined]


def _parallel(key: str, v: object) -> str:
    if isinstance(v, str) and (v in ("processes", "dask") or "://" in v or ":" in v):
        return v
    raise ModelError(
        f"config: invalid {key} {v!r}; expected 'processes', 'dask' or the address of a Dask scheduler "
        f"such as 'tcp://host:8786' (give a Client object to parallel_run(client=...))"
    )


def _optional_flag(key: str, v: object) -> bool | None:
    return None if v is None else bool(v)


def _anything(key: str, v: object) -> object:
    return v


def _passes(key: str, v: object) -> tuple[object, ...]:
    items = (v,) if isinstance(v, str) or callable(v) else tuple(v)  # type: ignore[arg-type]
    for item in items:
        if not isinstance(item, str) and not (
            callable(item) and isinstance(getattr(item, "name", None), str)
        ):
            raise ModelError(f"config: {key} takes pass names or pass instances, got {item!r}")
    return items


_VALIDATORS: dict[str, Callable[[str, object], object]] = {
    "dt": _positive_float,
    "seed": _seed,
    "method": _method,
    "structural_plasticity": _flag,
    "num_threads": _positive_int,
    "visible_cores": _cores,
    "paradigm": _choice(_PARADIGMS),
    "dtype": _dtype,
    "only_int_idx_type": _flag,
    "sparse_matrix_format": _choice(tuple(FORMAT_HINTS)),
    "sparse_matrix_storage_order": _choice(_STORAGE_ORDERS),
    "verbose": _flag,
    "suppress_warnings": _flag,
    "show_time": _flag,
    "trace_calls": _anything,
    "debug": _flag,
    "disable_parallel_rng": _flag,
    "use_seed_seq": _flag,
    "disable_shared_library_time_offset": _flag,
    "engine": _choice(_ENGINES),
    "fuse": _flag,
    "adaptive_threads": _flag,
    "extra_passes": _passes,
    "parallel": _parallel,
    "progress": _optional_flag,
} | {k: _flag for k in _PERFORMANCE_KEYS}


#: Keys that only change how a network runs, which ``net.config()`` accepts after compile too.
RUN_TIME_KEYS = frozenset({"progress"})


class Warnings:
    """Prints ``WARNING: <text>`` once per distinct text (API.md, general conventions)."""

    def __init__(self) -> None:
        self._seen: set[str] = set()

    def warn(self, text: str, *, suppress: bool = False) -> None:
        """Print ``text`` unless it was printed before or warnings are suppressed."""
        if suppress or text in self._seen:
            return
        self._seen.add(text)
        print(f"WARNING: {text}", file=sys.stderr)


def updated(config: Config, kwargs: dict[str, object], warnings: Warnings) -> Config:
    """``config`` with the keys of ``kwargs`` validated and set; unknown keys warn and are ignored."""
    if "precision" in kwargs:
        raise ModelError("config: 'precision' was replaced by 'dtype' (ann.float32 or ann.float64)")
    changes: dict[str, object] = {}
    for key, value in kwargs.items():
        check = _VALIDATORS.get(key)
        if check is None:
            warnings.warn(f"config: unknown key '{key}' ignored", suppress=config.suppress_warnings)
            continue
        changes[key] = check(key, value)
        if key in _PERFORMANCE_KEYS:
            warnings.warn(
                f"config: '{key}' changes only performance; results should be cross-checked",
                suppress=config.suppress_warnings,
            )
    return replace(config, **changes)  # type: ignore[arg-type]


def flags_from_argv(argv: list[str]) -> dict[str, object]:
    """Configuration keys from the reference's script flags ``-j N`` / ``--num-threads N`` and ``--gpu[=ID]``.

    Every other argument is left to the script (API.md §3: unknown arguments are ignored).
    """
    flags: dict[str, object] = {}
    args = iter(argv)
    for arg in args:
        if arg in ("-j", "--num-threads"):
            value = next(args, None)
            if value is not None and value.isdigit():
                flags["num_threads"] = int(value)
        elif arg.startswith("--num-threads=") or (arg.startswith("-j") and arg[2:].isdigit()):
            value = arg.split("=", 1)[1] if "=" in arg else arg[2:]
            if value.isdigit():
                flags["num_threads"] = int(value)
        elif arg == "--gpu" or arg.startswith("--gpu="):
            flags["paradigm"] = "cuda"
    return flags


@dataclass(slots=True)
class Defaults:
    """The global default configuration copied into every new network, and its warning printer."""

    config: Config = field(default_factory=Config)
    warnings: Warnings = field(default_factory=Warnings)


#: What ``setup()`` edits. Initialised once from the script's command-line flags.
DEFAULTS = Defaults()
DEFAULTS.config = updated(DEFAULTS.config, dict(flags_from_argv(sys.argv[1:])), DEFAULTS.warnings)


def setup(**kwargs: object) -> None:
    """Edit the global default configuration (API.md §3); ``seed`` also seeds NumPy's legacy generator."""
    from nnc.api.legacy import magic_network_if_created

    magic = magic_network_if_created()
    if "dt" in kwargs and magic is not None and magic.get_populations():
        DEFAULTS.warnings.warn(
            "setup(dt=...) is called after populations were created",
            suppress=DEFAULTS.config.suppress_warnings,
        )
    DEFAULTS.config = updated(DEFAULTS.config, kwargs, DEFAULTS.warnings)
    if kwargs.get("seed") is not None:
        np.random.seed(DEFAULTS.config.seed)
    if magic is not None and not magic.compiled:
        magic.config(**kwargs)
