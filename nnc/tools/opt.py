"""``nnc opt`` and ``nnc run``: passes and runs on modules read from text (see :mod:`nnc.cli`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from nnc.diagnostics import NncError, PassError
from nnc.ir.model import Module
from nnc.ir.printer import print_module
from nnc.ir.text import parse_module
from nnc.ir.verify import verify
from nnc.passes.registry import Pass, build_pipeline, default_pass_names, get_pass

EXIT_OK, EXIT_ERROR, EXIT_UNSUPPORTED = 0, 1, 2
LOWERED = ("kernels", "llvm", "ptx")


class _Usage(Exception):  # noqa: N818 - a usage error, reported as one line
    pass


def _read(path: str) -> tuple[Module, Path]:
    if path == "-":
        return parse_module(sys.stdin.read(), "<stdin>"), Path.cwd()
    p = Path(path)
    if not p.is_file():
        raise _Usage(f"no such file: {path}")
    return parse_module(p.read_text(), path), p.resolve().parent


def load_plugins(plugins: list[str]) -> None:
    """Import each Python file (``*.py``) or module of ``plugins``; their ``@register`` decorators run."""
    import importlib
    import importlib.util

    for plugin in plugins:
        if plugin.endswith(".py"):
            path = Path(plugin)
            if not path.is_file():
                raise _Usage(f"--load: no such file: {plugin}")
            spec = importlib.util.spec_from_file_location(path.stem, path)
            module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
            sys.modules.setdefault(path.stem, module)
            spec.loader.exec_module(module)  # type: ignore[union-attr]
        else:
            try:
                importlib.import_module(plugin)
            except ImportError as e:
                raise _Usage(f"--load: cannot import {plugin}: {e}") from None


def _pass_list(text: str | None) -> list[Pass] | None:
    if text is None:
        return None
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise _Usage("--passes needs at least one pass name")
    return [get_pass(n) for n in names]


def _plan(passes_text: str | None, stage: str | None) -> tuple[list[Pass], str | None]:
    """The passes to run and the backend to lower to (None: print the module)."""
    passes = _pass_list(passes_text)
    lower = stage if stage in LOWERED else None
    if passes is not None:
        if stage is not None and lower is None:
            raise _Usage(
                f"--stage {stage} with --passes: only kernels, llvm or ptx may follow an explicit pass list"
            )
        return passes, lower
    if stage is None or stage == "ir":
        return [], None
    defaults = list(default_pass_names())
    if lower is not None:
        return list(build_pipeline()), lower
    if stage not in defaults:
        raise _Usage(
            f"unknown stage '{stage}'; expected one of: ir, {', '.join(defaults)}, kernels, llvm, ptx"
        )
    return list(build_pipeline())[: defaults.index(stage) + 1], None


def run_passes(module: Module, passes: list[Pass], verify_each: bool = True, after: object = None) -> Module:
    """Run ``passes`` on ``module``, verifying after each (or only after the last); ``after(name, m)`` is
    called after every pass. A module that does not verify raises :class:`PassError` naming the pass."""
    from nnc.diagnostics import InternalError

    verify(module, stage="input", odes=True)
    discretised = False
    for i, p in enumerate(passes):
        try:
            module = p(module)
        except NncError:
            raise
        except Exception as e:  # a crash inside a pass is a bug of that pass: name it
            raise InternalError(p.name, f"{type(e).__name__}: {e}") from e
        discretised = discretised or p.name == "discretise"
        if verify_each or i == len(passes) - 1:
            stage = p.name if verify_each else f"{p.name}' (the last of {', '.join(q.name for q in passes)})"
            verify(module, stage=stage, odes=not discretised)
        if after is not None:
            after(p.name, module)  # type: ignore[operator]
    return module


def _lower_llvm(module: Module) -> str:
    from nnc.backend.llvm.engine import LlvmEngine
    from nnc.options import CompileOptions

    engine = LlvmEngine.compile(module, CompileOptions(precision=module.precision, dt=module.dt), None)
    try:
        return engine.llvm_ir  # type: ignore[attr-defined]
    finally:
        engine.close()


def _report(e: BaseException) -> int:
    text = str(e)
    print(text if text.startswith("error") else f"error: {text}", file=sys.stderr)
    return EXIT_ERROR


def opt_main(ns: argparse.Namespace) -> int:
    """``nnc opt``: exit code 0, or 1 with one message on standard error."""
    try:
        load_plugins(ns.load)
        passes, lower = _plan(ns.passes, ns.stage)
        module, _ = _read(ns.file)
        chunks: list[str] = []

        def after(name: str, m: Module) -> None:
            if ns.print_after_all:
                chunks.append(f"// ----- after {name} -----\n{print_module(m, debuginfo=True)}")

        result = run_passes(module, passes, ns.verify_each, after)
        if lower == "llvm":
            text = _lower_llvm(result)
        elif lower == "kernels":
            from nnc.backend.llvm.engine import share

            text = share(result).describe(result)
        elif lower == "ptx":
            from nnc.backend.ptx.emit import module_ptx

            text = module_ptx(result)
        elif ns.print_after_all:
            text = "\n".join(chunks) if chunks else print_module(result, debuginfo=True)
        else:
            text = print_module(result, debuginfo=True)
    except (NncError, _Usage, PassError) as e:
        return _report(e)
    except NotImplementedError as e:
        return _report(e)
    except Exception as e:  # a bug: one line, not a traceback
        return _report(f"internal error: {type(e).__name__}: {e}")  # type: ignore[arg-type]
    _write(text, ns.output)
    return EXIT_OK


def _write(text: str, output: str | None) -> None:
    text = text if text.endswith("\n") else text + "\n"
    if output is None:
        sys.stdout.write(text)
    else:
        Path(output).write_text(text)


def run_main(ns: argparse.Namespace) -> int:
    """``nnc run``: run the module for ``--steps`` steps; print or save the final state."""
    from nnc.api.textrun import engine_for, prepare, state_of

    try:
        if ns.steps < 0:
            raise _Usage("--steps must be >= 0")
        load_plugins(ns.load)
        module, base = _read(ns.file)
        passes = _pass_list(ns.passes) or []
        module = run_passes(module, passes) if passes else module
        run = prepare(module, base, ns.seed)
        engine = engine_for(module, ns.engine, ns.threads)
        try:
            engine.run(run.buffers, ns.steps)
        finally:
            engine.close()
        state = state_of(run)
    except (NncError, _Usage, NotImplementedError) as e:
        return _report(e)
    except Exception as e:  # a bug: one line, not a traceback
        return _report(f"internal error: {type(e).__name__}: {e}")  # type: ignore[arg-type]
    if ns.save is not None:
        np.savez(ns.save, **state)
        return EXIT_OK
    with np.printoptions(precision=17, threshold=sys.maxsize, linewidth=110):
        lines = [f"{name}: {np.array2string(values, separator=', ')}" for name, values in state.items()]
    sys.stdout.write("\n".join(lines) + "\n")
    return EXIT_OK
