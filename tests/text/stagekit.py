"""Capture the module of every compiler stage of a script (the modules ``nnc dump-ir`` prints)."""

from __future__ import annotations

import contextlib
import runpy
import sys
from collections.abc import Iterator
from pathlib import Path

from nnc.api import build
from nnc.ir.model import Module, NeuronModel, SynapseModel

ROOT = Path(__file__).resolve().parents[2]
#: every example script (not the gallery's shared helper, examples/_gallery.py) and the scripts of the
#: dump-ir golden files
SCRIPTS = sorted(
    [
        *(p for p in (ROOT / "examples").glob("*.py") if not p.stem.startswith("_")),
        *(ROOT / "tests" / "e2e" / "scripts").glob("*.py"),
    ]
)


class _Stop(Exception):  # noqa: N818 - control flow
    pass


@contextlib.contextmanager
def _argv(args: list[str]) -> Iterator[None]:
    """Run with ``args`` as ``sys.argv`` and the script's directory on the path (as ``nnc dump-ir``
    does: the gallery scripts import their shared helper)."""
    saved, saved_path = sys.argv[:], sys.path[:]
    sys.argv = args
    sys.path.insert(0, str(Path(args[0]).resolve().parent))
    try:
        yield
    finally:
        sys.argv, sys.path[:] = saved, saved_path


def capture(script: Path) -> tuple[list[tuple[str, NeuronModel | SynapseModel]], dict[str, Module]]:
    """The analysed models and the module after each stage of the first network ``script`` compiles."""
    stages: dict[str, Module] = {}
    models: list[tuple[str, NeuronModel | SynapseModel]] = []
    real_run, real_analyse = build.run_pipeline, build._analyse

    def run_pipeline(module, passes, on_stage=None):
        build.run_pipeline.__wrapped__(module, passes, lambda name, m: stages.__setitem__(name, m))
        raise _Stop

    def analyse(net):
        pops, projs = real_analyse(net)
        models.extend((f"population {p.name}", p.model) for p in pops)
        models.extend((f"projection {q.name}", q.model) for q in projs)
        return pops, projs

    run_pipeline.__wrapped__ = real_run  # type: ignore[attr-defined]
    build.run_pipeline, build._analyse = run_pipeline, analyse  # type: ignore[assignment]
    try:
        with _argv([str(script)]), contextlib.suppress(_Stop):
            runpy.run_path(str(script), run_name="__main__")
    finally:
        build.run_pipeline, build._analyse = real_run, real_analyse  # type: ignore[assignment]
    return models, stages
