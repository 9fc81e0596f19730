"""JIT compilation: verify, optimise, emit an object file, check its external symbols, load it with MCJIT;
and the on-disk object cache.

Facts from DESIGN.md §3: the target machine is built from the host CPU name and features (a generic one
gives SSE2 only); the new pass manager runs at the requested level with SLP and loop vectorisation on
(SLP is off by default); MCJIT resolves a missing external symbol to null and the call segfaults, so
every undefined symbol of the object (read from its ELF, Mach-O or COFF symbol table by
:mod:`nnc.backend.llvm.objfile`) is looked up with ``address_of_symbol`` before the object is loaded,
and a missing one raises :class:`BackendError`. The same object bytes serve a cold compile and
a warm start from the cache: a warm start never builds or optimises an LLVM module.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import hashlib
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import llvmlite
import llvmlite.binding as llvm

from nnc.backend.llvm.objfile import undefined_symbols
from nnc.diagnostics import BackendError


def initialise() -> None:
    """Initialise LLVM's native target and assembly printer (idempotent)."""
    llvm.initialize_native_target()
    llvm.initialize_native_asmprinter()


@dataclass(frozen=True, slots=True)
class HostTarget:
    """The machine generated code runs on."""

    triple: str
    cpu: str
    features: str

    @property
    def arch(self) -> str:
        """Architecture of the triple (``x86_64``, ``aarch64`` ...)."""
        return self.triple.split("-", 1)[0]


def host_target() -> HostTarget:
    """The host's triple, CPU name and CPU features."""
    initialise()
    return HostTarget(
        llvm.get_process_triple(), llvm.get_host_cpu_name(), llvm.get_host_cpu_features().flatten()
    )


def target_machine(host: HostTarget, opt_level: int) -> llvm.TargetMachine:
    """A JIT target machine for the host CPU."""
    target = llvm.Target.from_triple(host.triple)
    return target.create_target_machine(
        cpu=host.cpu, features=host.features, opt=max(0, min(3, opt_level)), codemodel="jitdefault", jit=True
    )


def parse(text: str, name: str) -> llvm.ModuleRef:
    """Parse and verify LLVM IR text."""
    try:
        mod = llvm.parse_assembly(text)
        mod.name = name
        mod.verify()
    except RuntimeError as e:
        raise BackendError(f"(step: verify) generated LLVM IR is invalid: {e}") from e
    return mod


def optimise(mod: llvm.ModuleRef, tm: llvm.TargetMachine, opt_level: int) -> None:
    """Run the new pass manager's default pipeline at ``opt_level`` with SLP and loop vectorisation."""
    mod.triple = tm.triple
    mod.data_layout = str(tm.target_data)
    if opt_level <= 0:
        return
    pto = llvm.create_pipeline_tuning_options(speed_level=min(3, opt_level))
    pto.slp_vectorization = True
    pto.loop_vectorization = True
    pto.loop_unrolling = True
    pb = llvm.create_pass_builder(tm, pto)
    pb.getModulePassManager().run(mod, pb)


def emit_object(mod: llvm.ModuleRef, tm: llvm.TargetMachine) -> bytes:
    """Machine code of ``mod`` as a relocatable object file."""
    try:
        return bytes(tm.emit_object(mod))
    except RuntimeError as e:
        raise BackendError(f"(step: codegen) {e}") from e


# --------------------------------------------------------------------------------------------------
# external symbols


#: Libraries searched for a symbol the process has not loaded by name: the C math library and the
#: process itself on POSIX systems; the universal C runtime and the system DLLs on Windows.
_SYSTEM_LIBRARIES = (
    ("ucrtbase", "msvcrt", "ntdll", "kernel32")
    if sys.platform == "win32"
    else (ctypes.util.find_library("m"), None)
)

#: Symbols a compiler's start-up files would define. LLVM's Windows (MSVC) target marks every object
#: that uses floating point with a reference to ``_fltused``, which the static C runtime defines and no
#: DLL exports; the value is never read, only its presence linked.
_LINKER_DEFINED = {"_fltused": ctypes.c_int(0x9875)}


def _system_address(name: str) -> int | None:
    """Address of the C function ``name`` in the system libraries or the process, via ctypes."""
    if name in _LINKER_DEFINED:
        return ctypes.addressof(_LINKER_DEFINED[name])
    for lib in _SYSTEM_LIBRARIES:
        try:
            fn = getattr(ctypes.CDLL(lib), name)
        except (AttributeError, OSError, TypeError):
            continue
        return ctypes.cast(fn, ctypes.c_void_p).value
    return None


def check_symbols(names: list[str]) -> None:
    """Make sure every external symbol resolves; raise :class:`BackendError` naming the missing ones."""
    missing = []
    for name in names:
        if llvm.address_of_symbol(name):
            continue
        addr = _system_address(name)
        if addr:
            llvm.add_symbol(name, addr)
        else:
            missing.append(name)
    if missing:
        raise BackendError(
            f"(step: link) generated code calls undefined symbol(s): {', '.join(missing)}; "
            "running it would crash, so it is not loaded"
        )


class LoadedObject:
    """Object files loaded into their own MCJIT engine (``objs``: one object or several, whose defined
    external symbols must differ)."""

    def __init__(self, objs: bytes | list[bytes], host: HostTarget, opt_level: int):
        objs = [objs] if isinstance(objs, bytes) else objs
        check_symbols(sorted({name for obj in objs for name in undefined_symbols(obj)}))
        self._engine = llvm.create_mcjit_compiler(llvm.parse_assembly(""), target_machine(host, opt_level))
        for obj in objs:
            self._engine.add_object_file(llvm.ObjectFileRef.from_data(obj))
        self._engine.finalize_object()

    def address(self, name: str) -> int:
        """Address of function ``name``."""
        addr = self._engine.get_function_address(name)
        if not addr:
            raise BackendError(f"(step: link) the compiled object has no function '{name}'")
        return int(addr)

    def close(self) -> None:
        """Free the machine code (function pointers become invalid)."""
        if self._engine is not None:
            self._engine.close()
            self._engine = None


# --------------------------------------------------------------------------------------------------
# object cache


@functools.cache
def _backend_digest() -> str:
    """Hash of the backend sources, the ABI and the IR-level definitions the backend emits (nnc's math
    functions and the random draws' constants): generated code changes when they do."""
    here = Path(__file__).parent
    ir_dir = here.parent.parent / "ir"
    files = [*sorted(here.glob("*.py")), here.parent / "abi.py", here.parent / "sharing.py"]
    files += [ir_dir / "transcendental.py", ir_dir / "rng.py"]
    h = hashlib.sha256()
    for f in files:
        h.update(f.name.encode())
        h.update(f.read_bytes())
    return h.hexdigest()


class ObjectCache:
    """Object files on disk, keyed by everything that determines the generated code."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)

    @staticmethod
    def key(printed_ir: str, options_token: str, host: HostTarget) -> str:
        """sha256 of the printed IR (or any text naming what is compiled), the options, llvmlite's
        version, the host CPU and the backend sources."""
        h = hashlib.sha256()
        for part in (
            printed_ir,
            options_token,
            llvmlite.__version__,
            host.triple,
            host.cpu,
            host.features,
            _backend_digest(),
        ):
            h.update(part.encode())
            h.update(b"\0")
        return h.hexdigest()

    def path(self, key: str) -> Path:
        """File of ``key``."""
        return self.directory / f"{key}.o"

    def load(self, key: str) -> bytes | None:
        """Cached object of ``key``, or None."""
        try:
            return self.path(key).read_bytes()
        except FileNotFoundError:
            return None

    def store(self, key: str, obj: bytes) -> None:
        """Save an object (atomically: concurrent compiles of the same key never see a partial file)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            f.write(obj)
        os.replace(tmp, self.path(key))
