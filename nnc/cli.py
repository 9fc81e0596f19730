"""The ``nnc`` command: print, transform and run the IR.

* ``nnc dump-ir SCRIPT.py`` runs the script unchanged until it calls ``compile()`` on the selected
  network; the compile stops after the requested stage and its text is printed (``parse``: the analysed
  models, ``ir``: the assembled module, a pass name: the module after that pass, ``kernels``: which
  kernels share one compiled function and the canonical module each such class is compiled from,
  ``llvm``: the LLVM IR of the CPU backend, ``ptx``: the PTX of the GPU backend). ``--data FILE.npz``
  also writes the network's synapses and constants, and the printed module names them, so that
  ``nnc run`` can run it.
* ``nnc opt FILE.nir`` reads a module printed by ``dump-ir``, runs passes (``--passes a,b`` or the
  default pipeline up to ``--stage``), verifies after each and prints the result (or its kernel classes,
  its LLVM IR or PTX).
* ``nnc run FILE.nir`` runs a module read from text on the interpreter or the LLVM engine and prints or
  saves its state.

Errors in the input (malformed text, unknown passes, a pass that breaks the verifier) are reported in one
message, never with a traceback. This module is the only place where nnc reads the process environment
(arguments, working directory).
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
    dump.add_argument(
        "--graph",
        action="store_true",
        help="print the compiled step as Graphviz DOT (populations, projections, kernels per phase)",
    )
    dump.add_argument(
        "--data",
        default=None,
        metavar="FILE.npz",
        help="also write the synapses and constant values to FILE.npz and name them in the module "
        "(so that nnc run can run the printed module)",
    )

    opt = commands.add_parser("opt", help="read a module, run passes, verify and print it")
    opt.add_argument("file", help="a module as nnc dump-ir prints it ('-' reads standard input)")
    opt.add_argument("--passes", default=None, help="comma-separated pass names, run in this order")
    opt.add_argument(
        "--stage",
        default=None,
        help="without --passes: run the default pipeline up to this pass; kernels (the kernel classes), "
        "llvm or ptx: lower the result",
    )
    opt.add_argument(
        "--verify-each",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="verify after every pass (default) or only at the end",
    )
    opt.add_argument("--print-after-all", action="store_true", help="print the module after every pass")
    opt.add_argument(
        "--load",
        action="append",
        default=[],
        metavar="PLUGIN",
        help="import a Python file or module that registers passes (repeatable)",
    )
    opt.add_argument("-o", "--output", default=None, help="write the result here instead of printing it")

    run = commands.add_parser("run", help="run a module read from text and print or save its state")
    run.add_argument("file", help="a module as nnc dump-ir / nnc opt print it")
    run.add_argument("--steps", type=int, required=True, help="number of steps")
    run.add_argument("--engine", choices=("interp", "llvm"), default="interp")
    run.add_argument("--passes", default=None, help="passes to run first (comma-separated)")
    run.add_argument("--load", action="append", default=[], metavar="PLUGIN", help="as for opt")
    run.add_argument("--seed", type=int, default=0, help="seed of the initial values, connectors and draws")
    run.add_argument("--threads", type=int, default=1, help="worker threads of the LLVM engine")
    run.add_argument(
        "--save", default=None, metavar="FILE.npz", help="save the final state instead of printing"
    )
    parser.epilog = "Arguments after '--' are passed to the script (dump-ir)."
    return parser


def dump_ir(
    script: str,
    stage: str,
    network: str | None,
    debuginfo: bool,
    args: Sequence[str],
    data: str | None = None,
    graph: bool = False,
) -> int:
    """Run ``script`` until the selected network compiles; print ``stage``; return the exit code."""
    from nnc.api.build import DumpRequest, StageDumped, dumping

    if graph and stage in ("parse", "kernels", "llvm", "ptx"):
        print(f"error: --graph draws a module: use --stage ir or a pass, not '{stage}'", file=sys.stderr)
        return EXIT_ERROR
    if data is not None and stage in ("parse", "kernels", "llvm", "ptx"):
        print(f"error: --data applies to module stages, not to --stage {stage}", file=sys.stderr)
        return EXIT_ERROR
    saved_argv, saved_path = sys.argv[:], sys.path[:]
    sys.argv = [script, *args]
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
    try:
        with dumping(DumpRequest(stage, network, debuginfo, data=data, graph=graph)):
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
    if ns.command == "opt":
        from nnc.tools.opt import opt_main

        return opt_main(ns)
    if ns.command == "run":
        from nnc.tools.opt import run_main

        return run_main(ns)
    stages = stage_names()
    stage = ns.stage if ns.stage is not None else stages[stages.index("kernels") - 1]  # the last pass
    if stage not in stages and stage not in _registered():
        print(f"error: unknown stage '{stage}'; expected one of {', '.join(stages)}", file=sys.stderr)
        return EXIT_ERROR
    if not os.path.isfile(ns.script):
        print(f"error: no such script: {ns.script}", file=sys.stderr)
        return EXIT_ERROR
    return dump_ir(ns.script, stage, ns.network, ns.debuginfo, script_args, ns.data, ns.graph)


def _registered() -> dict[str, object]:
    from nnc.passes.registry import registered

    return registered()  # type: ignore[return-value]


if __name__ == "__main__":
    sys.exit(main())
