"""The default pipeline and the driver that verifies and reports after every pass (the protocol and the
registry are in :mod:`nnc.passes.registry`)."""

from __future__ import annotations

from collections.abc import Callable

from nnc.diagnostics import InternalError, NncError
from nnc.ir.context import Interner
from nnc.ir.model import Module
from nnc.ir.verify import verify
from nnc.options import CompileOptions
from nnc.passes.registry import Pass, build_pipeline

__all__ = ["Pass", "StageCallback", "default_pipeline", "pass_names", "run_pipeline"]


#: Called after each stage with the stage name and the module at that point (``nnc dump-ir`` hooks here).
StageCallback = Callable[[str, Module], None]


def default_pipeline(options: CompileOptions | None = None) -> tuple[Pass, ...]:
    """The passes every network goes through, in order (the built-in passes of the registry)."""
    return build_pipeline(options)


def pass_names(passes: tuple[Pass, ...]) -> tuple[str, ...]:
    """CLI names of ``passes``."""
    return tuple(p.name for p in passes)


def run_pipeline(module: Module, passes: tuple[Pass, ...], on_stage: StageCallback | None = None) -> Module:
    """Run ``passes`` in order; verify after each and report it to ``on_stage``.

    User errors raised inside a pass (``NncError``) propagate unchanged; anything else is a bug and is
    re-raised as :class:`InternalError` naming the pass.
    """
    interner = Interner()  # bodies and declarations the passes keep are numbered once for every verify
    verify(module, stage="ir", interner=interner)
    if on_stage is not None:
        on_stage("ir", module)
    discretised = False
    for p in passes:
        try:
            module = p(module)
        except NncError:
            raise
        except Exception as e:  # a crash inside a pass is a compiler bug: name the pass
            raise InternalError(p.name, f"{type(e).__name__}: {e}") from e
        discretised = discretised or p.name == "discretise"
        verify(module, stage=p.name, odes=not discretised, interner=interner)
        if on_stage is not None:
            on_stage(p.name, module)
    return module
