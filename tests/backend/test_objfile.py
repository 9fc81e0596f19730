"""The external symbols of object files in the three formats LLVM emits on llvmlite's platforms.

Objects for macOS and Windows are cross-compiled here with the same target machinery as the JIT, so the
Mach-O and COFF readers are tested on Linux against what LLVM really emits for those hosts.
"""

from __future__ import annotations

import llvmlite.binding as llvm
import pytest
from llvmlite import ir

from nnc.backend.llvm.jit import initialise
from nnc.backend.llvm.objfile import object_format, undefined_symbols
from nnc.diagnostics import BackendError

TRIPLES = {
    "elf": "x86_64-unknown-linux-gnu",
    "macho": "x86_64-apple-macosx11.0.0",
    "coff": "x86_64-pc-windows-msvc",
}
#: A name longer than eight characters lives in COFF's string table, a shorter one inline.
CALLEES = ("cbrt", "nnc_a_rather_long_external_name")


def _object(triple: str) -> bytes:
    initialise()
    try:
        llvm.initialize_all_targets()
        llvm.initialize_all_asmprinters()
        target = llvm.Target.from_triple(triple)
    except RuntimeError as e:  # an llvmlite built without the X86 target
        pytest.skip(f"LLVM cannot target {triple}: {e}")
    m = ir.Module("calls")
    m.triple = triple
    d = ir.DoubleType()
    fn = ir.Function(m, ir.FunctionType(d, [d]), "entry")
    b = ir.IRBuilder(fn.append_basic_block())
    x = fn.args[0]
    for name in CALLEES:
        x = b.call(ir.Function(m, ir.FunctionType(d, [d]), name), [x])
    glob = ir.GlobalVariable(m, d, "nnc_defined_global")
    glob.initializer = ir.Constant(d, 1.0)
    b.ret(b.fadd(x, b.load(glob)))
    mod = llvm.parse_assembly(str(m))
    tm = target.create_target_machine(opt=2)
    mod.data_layout = str(tm.target_data)
    return bytes(tm.emit_object(mod))


@pytest.mark.parametrize("fmt", sorted(TRIPLES))
def test_undefined_symbols_of_each_format(fmt: str) -> None:
    obj = _object(TRIPLES[fmt])
    assert object_format(obj) == fmt
    names = undefined_symbols(obj)
    for name in CALLEES:
        assert name in names  # C names: Mach-O's leading underscore is gone
    assert "entry" not in names
    assert "nnc_defined_global" not in names
    if fmt == "coff":
        # the MSVC target marks objects that use floating point; the JIT supplies the symbol
        assert set(names) <= {*CALLEES, "_fltused"}
    else:
        assert set(names) == set(CALLEES)


def test_an_unknown_format_is_refused_with_its_first_bytes() -> None:
    with pytest.raises(BackendError, match="neither ELF64, Mach-O 64 nor COFF"):
        undefined_symbols(b"\x00\x01\x02\x03" * 8)


def test_the_jit_resolves_the_linker_defined_fltused() -> None:
    from nnc.backend.llvm.jit import _system_address

    assert _system_address("_fltused")
