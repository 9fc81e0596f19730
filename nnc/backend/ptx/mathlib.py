"""The GPU's math library: libdevice (``__nv_*``) behind the :class:`~nnc.backend.llvm.expr.MathLib`
interface of the CPU backend, and the link step that brings libdevice into a module.

Only the expression lowering's math calls differ between the targets; exp, log, sin and cos are nnc's
own IR functions on both (:mod:`nnc.ir.transcendental`), so they give the same bits on the GPU and the
CPU. Some LLVM math intrinsics make the NVPTX back end abort the whole process (``llvm.exp``,
``llvm.log``, ``llvm.pow`` ..., DESIGN.md §6): :class:`LibdeviceMath` lets through only the intrinsics
NVPTX lowers to single instructions (:data:`NVPTX_SAFE`) and calls libdevice for every other one, and for
the C library functions; ``fmod`` is libdevice's too (NVPTX expands ``frem`` as ``x - trunc(x/y)*y``, which
is not C's exact ``fmod``).

libdevice ships with the CUDA toolkit as LLVM bitcode (``nvvm/libdevice/libdevice.10.bc``). It is
linked into the module after lowering and every one of its functions becomes internal, so only those
called survive (175 ms and ~100 PTX lines instead of 1.6 s and 21k lines, DESIGN.md §6).
"""

from __future__ import annotations

import functools
import os
import shutil
from pathlib import Path

from llvmlite import ir

from nnc.backend.llvm.expr import MathLib, mangle
from nnc.diagnostics import BackendError

#: LLVM intrinsics that NVPTX lowers to instructions (checked with ptxas for sm_80 and sm_90).
NVPTX_SAFE = frozenset(
    {
        "llvm.sqrt",
        "llvm.fabs",
        "llvm.floor",
        "llvm.ceil",
        "llvm.trunc",
        "llvm.round",
        "llvm.maxnum",
        "llvm.minnum",
        "llvm.copysign",
    }
)

#: Environment variable naming libdevice's bitcode file (else the toolkit is searched for it).
LIBDEVICE_ENV = "NNC_LIBDEVICE"


class LibdeviceMath(MathLib):
    """Math calls of a GPU module: safe intrinsics as they are, everything else through ``__nv_*``."""

    __slots__ = ()

    def intrinsic(self, b: ir.IRBuilder, name: str, args: list[ir.Value]) -> ir.Value:
        """The intrinsic ``name`` if NVPTX lowers it, else libdevice's function of the same name."""
        if name in NVPTX_SAFE:
            return super().intrinsic(b, name, args)
        return self._per_lane(b, name.removeprefix("llvm."), args)

    def libm(self, b: ir.IRBuilder, name: str, args: list[ir.Value]) -> ir.Value:
        """libdevice's ``__nv_name`` (``__nv_namef`` in single precision)."""
        return self._per_lane(b, name, args)

    def fmod(self, b: ir.IRBuilder, x: ir.Value, y: ir.Value) -> ir.Value:
        """libdevice's exact ``fmod``."""
        return self._per_lane(b, "fmod", [x, y])

    def _per_lane(self, b: ir.IRBuilder, name: str, args: list[ir.Value]) -> ir.Value:
        t = args[0].type
        if not isinstance(t, ir.VectorType):
            return self._call(b, name, args)
        out: ir.Value = ir.Constant(t, ir.Undefined)
        for lane in range(t.count):
            xs = [b.extract_element(a, ir.IntType(32)(lane)) for a in args]
            out = b.insert_element(out, self._call(b, name, xs), ir.IntType(32)(lane))
        return out

    def _call(self, b: ir.IRBuilder, name: str, args: list[ir.Value]) -> ir.Value:
        t = args[0].type
        if not isinstance(t, ir.DoubleType | ir.FloatType):
            raise BackendError(f"libdevice has no '{name}' for {mangle(t)}")
        symbol = f"__nv_{name}" if isinstance(t, ir.DoubleType) else f"__nv_{name}f"
        return b.call(self.function(symbol, t, [t] * len(args)), args)


# --------------------------------------------------------------------------------------------------
# finding and linking libdevice


def _candidates() -> list[Path]:
    roots: list[Path] = []
    for var in ("CUDA_HOME", "CUDA_PATH", "CUDA_ROOT"):
        if os.environ.get(var):
            roots.append(Path(os.environ[var]))
    nvcc = shutil.which("nvcc") or shutil.which("ptxas")
    if nvcc:
        real = Path(nvcc).resolve()
        roots.append(real.parent.parent)
    roots += [Path("/usr/local/cuda"), *sorted(Path("/usr/local").glob("cuda-*"), reverse=True)]
    roots += [Path("/usr/lib/cuda"), Path("/opt/cuda")]
    return [r / "nvvm" / "libdevice" / "libdevice.10.bc" for r in roots]


@functools.cache
def find_libdevice() -> Path | None:
    """Path of ``libdevice.10.bc`` (``$NNC_LIBDEVICE``, the CUDA toolkit, NVIDIA's wheels), or None."""
    named = os.environ.get(LIBDEVICE_ENV)
    if named:
        path = Path(named)
        return path if path.is_file() else None
    for path in _candidates():
        if path.is_file():
            return path
    return pip_libdevice()


def pip_libdevice() -> Path | None:
    """libdevice from NVIDIA's wheels (``nvidia-nvvm``: ``nvidia/cu13/nvvm/libdevice``, installed by
    ``nnc-sim[cuda]``; ``nvidia-cuda-nvcc-cu12``: ``nvidia/cuda_nvcc/nvvm/libdevice``), or None."""
    import importlib.util

    try:
        spec = importlib.util.find_spec("nvidia")
    except (ImportError, ValueError):
        return None
    for base in (spec.submodule_search_locations or []) if spec is not None else []:
        found = sorted(Path(base).glob("*/nvvm/libdevice/libdevice*.bc"), reverse=True)
        if found:
            return found[0]
    return None


def uses_libdevice(module_text: str) -> bool:
    """Whether a module's text calls a libdevice function."""
    return "@__nv_" in module_text or '@"__nv_' in module_text


def link_libdevice(mod, libdevice: Path | None = None) -> None:
    """Link libdevice into ``mod`` (an ``llvmlite.binding`` module) and make its functions internal.

    Only the functions the module calls are kept after the optimiser's dead-code elimination.
    """
    import llvmlite.binding as llvm

    path = libdevice or find_libdevice()
    if path is None:
        raise BackendError(
            "the GPU module calls libdevice functions (tanh, pow, erf ...) but libdevice.10.bc was not "
            f"found: pip install 'nnc-sim[cuda]' (or nvidia-nvvm), install the CUDA toolkit, or set "
            f"{LIBDEVICE_ENV} to the file"
        )
    lib = _load_bitcode(str(path))
    defined = {f.name for f in mod.functions if not f.is_declaration}
    lib_clone = llvm.parse_bitcode(lib)
    lib_clone.triple = mod.triple
    lib_clone.data_layout = mod.data_layout
    mod.link_in(lib_clone)
    for fn in mod.functions:
        if fn.name.startswith("__nv_") and not fn.is_declaration and fn.name not in defined:
            fn.linkage = "internal"
    for gv in mod.global_variables:
        if gv.name.startswith("__nv") or gv.name.startswith("__cudart"):
            gv.linkage = "internal"


@functools.cache
def _load_bitcode(path: str) -> bytes:
    return Path(path).read_bytes()
