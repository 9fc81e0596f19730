"""From a GPU module to PTX text (NVPTX target) or to host machine code (emulation).

The NVPTX target machine is created for one SM (``sm_80``, ``sm_90`` ...); LLVM picks the lowest PTX ISA
version that SM needs (7.0 for sm_80, 7.8 for sm_90, DESIGN.md §6). Requesting a PTX version older than
an SM needs makes LLVM abort the process, so nnc never passes a ``+ptx`` feature and checks the SM name
against :data:`SM_PTX` before LLVM sees it. libdevice is linked (and internalised) only when the module
calls it; the ``nvvm-reflect-ftz`` module flag is 0 (no flush-to-zero: IEEE single precision as on the CPU).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import llvmlite.binding as llvm
from llvmlite import ir

from nnc.backend.llvm.jit import (
    HostTarget,
    LoadedObject,
    emit_object,
    host_target,
    optimise,
    parse,
    target_machine,
)
from nnc.backend.ptx.lower import NVPTX_TRIPLE, Flavour, GpuModule
from nnc.backend.ptx.mathlib import link_libdevice, uses_libdevice
from nnc.diagnostics import BackendError

#: SMs nnc emits PTX for, and the PTX ISA version LLVM chooses for each (the oldest that supports it).
SM_PTX = {
    "sm_60": "5.0",
    "sm_61": "5.0",
    "sm_70": "6.0",
    "sm_72": "6.1",
    "sm_75": "6.3",
    "sm_80": "7.0",
    "sm_86": "7.1",
    "sm_87": "7.4",
    "sm_89": "7.8",
    "sm_90": "7.8",
    "sm_100": "8.6",
    "sm_120": "8.7",
}
DEFAULT_SM = "sm_80"


def check_sm(sm: str) -> str:
    """``sm`` normalised (``80``, ``"8.0"``, ``"sm_80"`` -> ``"sm_80"``) or a :class:`BackendError`."""
    text = str(sm).strip().lower().replace(".", "")
    if not text.startswith("sm_"):
        text = f"sm_{text}"
    if text not in SM_PTX:
        raise BackendError(
            f"GPU: unsupported compute capability '{sm}'; nnc emits PTX for {', '.join(SM_PTX)}"
        )
    return text


def sm_of_capability(major: int, minor: int) -> str:
    """The newest SM of :data:`SM_PTX` a device of compute capability ``major.minor`` runs."""
    wanted = major * 10 + minor
    best = None
    for sm in SM_PTX:
        n = int(sm[3:])
        if n <= wanted and (n // 10 == major or n < wanted) and (best is None or n > int(best[3:])):
            best = sm
    if best is None:
        raise BackendError(f"GPU: compute capability {major}.{minor} is older than nnc supports (sm_60)")
    return best


_initialised = False


def _initialise() -> None:
    global _initialised
    if not _initialised:
        llvm.initialize_all_targets()
        llvm.initialize_all_asmprinters()
        _initialised = True


def nvptx_machine(sm: str, opt_level: int = 3) -> llvm.TargetMachine:
    """The NVPTX target machine for ``sm`` (checked first: a bad SM/PTX pair aborts LLVM)."""
    _initialise()
    target = llvm.Target.from_triple(NVPTX_TRIPLE)
    return target.create_target_machine(cpu=check_sm(sm), opt=max(0, min(3, opt_level)))


def _add_reflect_flag(llmod: ir.Module) -> None:
    flag = llmod.add_metadata([ir.IntType(32)(4), "nvvm-reflect-ftz", ir.IntType(32)(0)])
    llmod.add_named_metadata("llvm.module.flags", flag)


@dataclass(frozen=True, slots=True)
class Ptx:
    """PTX text of a module and the seconds each step took."""

    text: str
    sm: str
    seconds: dict[str, float]


def compile_ptx(gm: GpuModule, sm: str = DEFAULT_SM, opt_level: int = 3) -> Ptx:
    """Optimise the NVPTX module and emit PTX for ``sm``."""
    if gm.flavour is not Flavour.NVPTX:
        raise BackendError("compile_ptx needs a module built for the NVPTX flavour")
    sm = check_sm(sm)
    t0 = time.perf_counter()
    if "llvm.module.flags" not in gm.llmod.namedmetadata:
        _add_reflect_flag(gm.llmod)
    text = str(gm.llmod)
    tm = nvptx_machine(sm, opt_level)
    mod = parse(text, gm.llmod.name)
    mod.triple = NVPTX_TRIPLE
    mod.data_layout = str(tm.target_data)
    t1 = time.perf_counter()
    if uses_libdevice(text):
        link_libdevice(mod)
    t2 = time.perf_counter()
    optimise(mod, tm, opt_level)
    t3 = time.perf_counter()
    try:
        ptx = tm.emit_assembly(mod)
    except RuntimeError as e:
        raise BackendError(f"(step: ptx) {e}") from e
    t4 = time.perf_counter()
    return Ptx(ptx, sm, {"parse": t1 - t0, "libdevice": t2 - t1, "optimise": t3 - t2, "emit": t4 - t3})


def compile_host(gm: GpuModule, opt_level: int = 2, host: HostTarget | None = None) -> LoadedObject:
    """Machine code of an emulation module for this host, loaded."""
    if gm.flavour is not Flavour.HOST:
        raise BackendError("compile_host needs a module built for the host flavour")
    host = host or host_target()
    tm = target_machine(host, opt_level)
    mod = parse(str(gm.llmod), gm.llmod.name)
    optimise(mod, tm, opt_level)
    return LoadedObject(emit_object(mod, tm), host, opt_level)


def module_ptx(module, cuda_config: dict | None = None) -> str:
    """The PTX of a module after the passes (``nnc dump-ir`` / ``nnc opt --stage ptx``) for
    ``cuda_config['sm']`` (default :data:`DEFAULT_SM`), after one comment line per projection saying how
    the GPU runs it (:func:`nnc.backend.ptx.stages.describe`)."""
    from nnc.backend.abi import layout_of
    from nnc.backend.ptx.lower import build_gpu_module
    from nnc.backend.ptx.stages import GpuChoices, describe

    choices = GpuChoices.of(cuda_config)
    gm = build_gpu_module(module, layout_of(module), Flavour.NVPTX, choices)
    header = "".join(f"// {line}\n" for line in describe(module, choices))
    return header + compile_ptx(gm, str((cuda_config or {}).get("sm", DEFAULT_SM))).text


# --------------------------------------------------------------------------------------------------
# ptxas


def ptxas_path() -> str | None:
    """The CUDA toolkit's PTX assembler, if on PATH."""
    return shutil.which("ptxas")


def ptxas(ptx: str, sm: str) -> str:
    """Assemble ``ptx`` for ``sm`` with ptxas (raises :class:`BackendError` with its messages); returns
    ptxas's verbose output (registers, spills)."""
    exe = ptxas_path()
    if exe is None:
        raise BackendError("ptxas is not on PATH (it comes with the CUDA toolkit)")
    with tempfile.TemporaryDirectory() as d:
        src = Path(d) / "module.ptx"
        src.write_text(ptx)
        done = subprocess.run(
            [exe, f"-arch={check_sm(sm)}", "-v", str(src), "-o", str(Path(d) / "module.cubin")],
            capture_output=True,
            text=True,
            check=False,
        )
    if done.returncode != 0:
        raise BackendError(f"ptxas failed for {sm}:\n{done.stderr.strip()}")
    return done.stderr
