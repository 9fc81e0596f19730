"""Frozen compile options: the only configuration object that reaches the compiler."""

from __future__ import annotations

from dataclasses import dataclass

from nnc.ir.types import Format, Method, Precision


@dataclass(frozen=True, slots=True)
class CompileOptions:
    """Everything besides the IR that changes generated code.

    ``opt_level`` is LLVM's (0-3); ``num_threads`` is the number of worker threads the runtime starts
    (the generated code is the same for every thread count; with ``adaptive_threads`` a run may use one
    thread for chunks where that is faster, see :class:`nnc.backend.llvm.engine.ThreadChooser`).
    ``storage_format`` is the network-wide format hint (``None``: let the select-format pass choose).
    """

    precision: Precision = Precision.F64
    dt: float = 1.0
    default_method: Method = Method.EXPLICIT
    opt_level: int = 3
    num_threads: int = 1
    storage_format: Format | None = None
    fuse: bool = True
    adaptive_threads: bool = True  # run chunks on one thread when that is faster (same results)

    def cache_token(self) -> str:
        """The options that affect generated code, as a stable string (part of the cache key)."""
        fmt = self.storage_format.value if self.storage_format else "auto"
        return (
            f"precision={self.precision.value};dt={self.dt!r};method={self.default_method.value};"
            f"O{self.opt_level};format={fmt};fuse={int(self.fuse)}"
        )
