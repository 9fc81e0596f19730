"""The pass protocol, the default pipeline and the driver that verifies and reports after every pass."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar, Protocol

from nnc.diagnostics import InternalError, NncError
from nnc.ir.model import Module
from nnc.ir.verify import verify
from nnc.options import CompileOptions


class Pass(Protocol):
    """An IR → IR transformation. Implementations are frozen dataclasses; options are fields."""

    name: ClassVar[str]

    def __call__(self, module: Module) -> Module:
        """Return the transformed module; never mutate the input."""
        ...


#: Called after each stage with the stage name and the module at that point (``nnc dump-ir`` hooks here).
StageCallback = Callable[[str, Module], None]


def default_pipeline(options: CompileOptions | None = None) -> tuple[Pass, ...]:
    """The passes every network goes through, in order."""
    from nnc.passes.bounds import Bounds
    from nnc.passes.discretise import Discretise
    from nnc.passes.fuse import Fuse
    from nnc.passes.select_format import SelectFormat
    from nnc.passes.simplify import Simplify

    opts = options or CompileOptions()
    return (Discretise(), Simplify(), Bounds(), SelectFormat(opts.storage_format), Fuse(opts.fuse))


def pass_names(passes: tuple[Pass, ...]) -> tuple[str, ...]:
    """CLI names of ``passes``."""
    return tuple(p.name for p in passes)


def run_pipeline(module: Module, passes: tuple[Pass, ...], on_stage: StageCallback | None = None) -> Module:
    """Run ``passes`` in order; verify after each and report it to ``on_stage``.

    User errors raised inside a pass (``NncError``) propagate unchanged; anything else is a bug and is
    re-raised as :class:`InternalError` naming the pass.
    """
    verify(module, stage="ir")
    if on_stage is not None:
        on_stage("ir", module)
    for p in passes:
        try:
            module = p(module)
        except NncError:
            raise
        except Exception as e:  # a crash inside a pass is a compiler bug: name the pass
            raise InternalError(p.name, f"{type(e).__name__}: {e}") from e
        verify(module, stage=p.name)
        if on_stage is not None:
            on_stage(p.name, module)
    return module
