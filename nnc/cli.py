"""The ``nnc`` command: ``nnc dump-ir SCRIPT.py`` prints a network's IR at any compiler stage.

The script runs unchanged until it calls ``compile()`` on the selected network; the compile stops after
the requested stage and its text is printed (``parse``: the analysed models, ``ir``: the assembled
module, a pass name: the module after that pass, ``kernels``: which kernels share one compiled function
and the canonical module each class is compiled from, ``llvm``: the LLVM IR of the CPU backend). This module
is the only place where nnc reads the process environment (arguments, working directory).
"""

from __future__ import annotations

import argparse
import os
import runpy
import sys
from collections.abc import Sequence

from nnc import __version__
from nnc.diagnostics import NncError

EXIT_OK, EXIT_ERROR, EXIT_UNSUPPORTED = 0, 1, 2


def stage_names() -> list[str]:
    """Every stage ``dump-ir`` can stop at, in pipeline order."""
    from nnc.passes.pipeline import default_pipeline, pass_names

    return ["parse", "ir", *pass_names(default_pipeline()), "kernels", "llvm", "ptx"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nnc", description="nnc: neural-network simulation compiler")
    parser.add_argument("--version", action="version", version=f"nnc {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    dump = commands.add_parser("dump-ir", help="run a script up to compile() and print the IR at a stage")
    dump.add_argument("script", help="the Python script that builds and compiles a network")
    dump.add_argument(
        "--stage", default=None, help=f"one of: {', '.join(stage_names())} (default: last pass)"
    )
    dump.add_argument(
        "--network", default=None, help="network to dump: its id or class name (default: first)"
    )
    dump.add_argument("--debuginfo", action="store_true", help="print source locations")
    parser.epilog = "Arguments after '--' are passed to the script."
    return parser


def dump_ir(script: str, stage: str, network: str | None, debuginfo: bool, args: Sequence[str]) -> int:
    """Run ``script`` until the selected network compiles; print ``stage``; return the exit code."""
    from nnc.api.build import DumpRequest, StageDumped, dumping

    if stage == "ptx":
        print("error: the PTX backend is not built yet; --stage ptx is unavailable", file=sys.stderr)
        return EXIT_UNSUPPORTED
    saved_argv, saved_path = sys.argv[:], sys.path[:]
    sys.argv = [script, *args]
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
    try:
        with dumping(DumpRequest(stage, network, debuginfo)):
            runpy.run_path(script, run_name="__main__")
    except StageDumped as dumped:
        sys.stdout.write(dumped.text if dumped.text.endswith("\n") else dumped.text + "\n")
        return EXIT_OK
    except NncError as e:
        print(e, file=sys.stderr)
        return EXIT_ERROR
    finally:
        sys.argv, sys.path = saved_argv, saved_path
    which = f"network {network}" if network is not None else "a network"
    print(f"error: {script} finished without compiling {which}", file=sys.stderr)
    return EXIT_ERROR


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``nnc`` command."""
    argv = list(sys.argv[1:] if argv is None else argv)
    script_args = argv[argv.index("--") + 1 :] if "--" in argv else []
    ns = _parser().parse_args(argv[: argv.index("--")] if "--" in argv else argv)
    stages = stage_names()
    stage = ns.stage if ns.stage is not None else stages[stages.index("kernels") - 1]  # the last pass
    if stage not in stages:
        print(f"error: unknown stage '{stage}'; expected one of {', '.join(stages)}", file=sys.stderr)
        return EXIT_ERROR
    if not os.path.isfile(ns.script):
        print(f"error: no such script: {ns.script}", file=sys.stderr)
        return EXIT_ERROR
    return dump_ir(ns.script, stage, ns.network, ns.debuginfo, script_args)


if __name__ == "__main__":
    sys.exit(main())
