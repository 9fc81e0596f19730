"""The external symbols an object file needs, for the three object formats LLVM emits on the hosts
that llvmlite ships wheels for: ELF (Linux), Mach-O (macOS) and COFF (Windows).

MCJIT resolves a symbol it cannot find to null, and the first call through it crashes the process, so
:mod:`nnc.backend.llvm.jit` checks every undefined symbol before it loads an object. llvmlite exposes an
object's sections but not its symbol table, so the tables are read here, from the formats' published
layouts (the System V gABI, Apple's ``<mach-o/loader.h>``/``<mach-o/nlist.h>``, Microsoft's PE/COFF
specification). Names are returned as C names: Mach-O's leading underscore is removed, because that is
how the process's dynamic linker and MCJIT's resolver look them up.
"""

from __future__ import annotations

import struct

from nnc.diagnostics import BackendError

# ELF (System V gABI)
_SHT_SYMTAB = 2
_SHN_UNDEF = 0

# Mach-O (<mach-o/loader.h>, <mach-o/nlist.h>)
_MH_MAGIC_64 = 0xFEEDFACF
_LC_SYMTAB = 0x2
_N_STAB = 0xE0
_N_TYPE = 0x0E
_N_EXT = 0x01
_N_UNDF = 0x0

# COFF (PE/COFF specification §4, §5.4)
_COFF_MACHINES = {0x8664: "x86-64", 0xAA64: "arm64", 0x14C: "i386"}
_IMAGE_SYM_UNDEFINED = 0
_IMAGE_SYM_CLASS_EXTERNAL = 2
_COFF_SYMBOL_SIZE = 18


def object_format(obj: bytes) -> str:
    """``"elf"``, ``"macho"`` or ``"coff"``: the format of an object file, from its first bytes."""
    if obj[:4] == b"\x7fELF":
        return "elf"
    if len(obj) >= 4 and struct.unpack_from("<I", obj)[0] == _MH_MAGIC_64:
        return "macho"
    if len(obj) >= 20 and struct.unpack_from("<H", obj)[0] in _COFF_MACHINES:
        return "coff"
    raise BackendError(
        "(step: link) cannot read the symbols of this object file: it is neither ELF64, Mach-O 64 nor "
        f"COFF (first bytes {obj[:8].hex()})"
    )


def undefined_symbols(obj: bytes) -> list[str]:
    """The sorted C names of the external symbols ``obj`` uses but does not define."""
    fmt = object_format(obj)
    names = {"elf": _elf_undefined, "macho": _macho_undefined, "coff": _coff_undefined}[fmt](obj)
    return sorted(set(names))


def _cstring(data: bytes, offset: int) -> str:
    return data[offset : data.index(b"\0", offset)].decode()


def _elf_undefined(obj: bytes) -> list[str]:
    if obj[4] != 2 or obj[5] != 1:
        raise BackendError("(step: link) only little-endian ELF64 object files are supported")
    shoff = struct.unpack_from("<Q", obj, 0x28)[0]
    shentsize, shnum = struct.unpack_from("<HH", obj, 0x3A)
    sections = [struct.unpack_from("<IIQQQQIIQQ", obj, shoff + i * shentsize) for i in range(shnum)]
    names: list[str] = []
    for sec in sections:
        if sec[1] != _SHT_SYMTAB:
            continue
        offset, size, link, entsize = sec[4], sec[5], sec[6], sec[9]
        strtab = sections[link][4]
        for i in range(1, size // entsize):
            name_off, _info, _other, shndx, _value, _size = struct.unpack_from(
                "<IBBHQQ", obj, offset + i * entsize
            )
            if shndx == _SHN_UNDEF and name_off:
                names.append(_cstring(obj, strtab + name_off))
    return names


def _macho_undefined(obj: bytes) -> list[str]:
    ncmds = struct.unpack_from("<I", obj, 16)[0]
    offset = 32  # sizeof(mach_header_64)
    names: list[str] = []
    for _ in range(ncmds):
        cmd, cmdsize = struct.unpack_from("<II", obj, offset)
        if cmd == _LC_SYMTAB:
            symoff, nsyms, stroff, _strsize = struct.unpack_from("<IIII", obj, offset + 8)
            for i in range(nsyms):
                strx, ntype, _sect, _desc, _value = struct.unpack_from("<IBBHQ", obj, symoff + 16 * i)
                if ntype & _N_STAB or not ntype & _N_EXT or ntype & _N_TYPE != _N_UNDF:
                    continue
                name = _cstring(obj, stroff + strx)
                names.append(name[1:] if name.startswith("_") else name)
        offset += cmdsize
    return names


def _coff_undefined(obj: bytes) -> list[str]:
    symtab, nsyms = struct.unpack_from("<II", obj, 8)
    strtab = symtab + nsyms * _COFF_SYMBOL_SIZE
    names: list[str] = []
    i = 0
    while i < nsyms:
        at = symtab + i * _COFF_SYMBOL_SIZE
        raw = obj[at : at + 8]
        value, section, _type, storage, naux = struct.unpack_from("<IhHBB", obj, at + 8)
        if section == _IMAGE_SYM_UNDEFINED and storage == _IMAGE_SYM_CLASS_EXTERNAL and value == 0:
            if raw[:4] == b"\0\0\0\0":  # long name: an offset into the string table
                names.append(_cstring(obj, strtab + struct.unpack_from("<I", raw, 4)[0]))
            else:
                names.append(raw.rstrip(b"\0").decode())
        i += 1 + naux
    return names
