"""Kernel sharing: kernels that are the same up to their buffers compile to one function.

Many networks hold many objects of few models (a column of identical layers, a loop of nuclei): their
kernels differ only in the buffers they touch. :func:`share_kernels` gives each kernel of a module its
*canonical module*: a one-kernel module holding the kernel and the declarations of the objects it
touches (a projection that reads another's synapses, ``ProjectionDecl.shares``, brings that one
along), renumbered in order of first use (ids from 0, names ``p0``, ``j0`` ..., the kernel
``k.<phase>``, a fused dendrite's temporaries ``J<canonical id>.``), with only the attributes, inputs,
delay queues, mirrored weights and constants the kernel's slots name, no connectivity statistics and
no format hint (every other field of a declaration is kept), and its random streams numbered in order
of first use.
Kernels with equal canonical modules (dataclass equality, which leaves out source spans, initial
values and comments) form a :class:`KernelClass` and share one compiled function.

The class's layout (:func:`class_layout`) lists, with canonical ids, the context slots its code may
reach that the network's layout has: the runtime slots, the value slots of its objects and the
buffers its lowering names; kernels whose layouts differ are in different classes too.

A backend lowers the canonical module and the class's layout, never the network's, so the shared code
cannot depend on anything that differs between the instances. What does differ reaches the code at
run time through the instance's *descriptor*, an ``int64`` array: entry ``i < layout.size`` holds the
network's context slot of the instance's key of class slot ``i``, and entry ``layout.size + s`` the
instance's random stream number of canonical stream ``s``.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from nnc.backend.abi import (
    BlockPartialKey,
    ConnKey,
    ConstantKey,
    GlobalOpKey,
    InputKey,
    Layout,
    MirrorKey,
    PopKey,
    QueueKey,
    RuntimeField,
    RuntimeKey,
    SlotKey,
    SlotKind,
    SourceKey,
    SpikeKey,
    StateKey,
    TimedKey,
)
from nnc.ir.context import KernelContexts, Positions
from nnc.ir.model import Kernel, Module
from nnc.ir.nodes import (
    Expr,
    ForDendrite,
    ForEach,
    Let,
    Random,
    Spike,
    Stmt,
    Temp,
    map_exprs,
    rewrite,
    walk,
    walk_stmts,
)
from nnc.ir.nodes import stmt_exprs as _stmt_exprs
from nnc.ir.types import Enum, ObjKind

#: The slots a backend's lowering of a kernel uses (its pointer arguments and values), in first-use order.
SlotsOf = Callable[[Module, Kernel], Iterable[SlotKey]]


@dataclass(slots=True)
class KernelClass:
    """Kernels of a module that share one compiled function.

    ``module`` is the canonical module (its only kernel is :attr:`kernel`), ``layout`` the slots the
    class's code reaches (:func:`class_layout`: the descriptor's first ``layout.size`` entries),
    ``streams`` the number of random streams (the entries after them), ``instances`` the indices in
    ``Module.kernels`` of the kernels of the class.
    """

    module: Module
    layout: Layout
    streams: int
    instances: list[int]
    _digest: str | None = None

    @property
    def kernel(self) -> Kernel:
        """The canonical kernel."""
        return self.module.kernels[0]

    @property
    def descriptor_size(self) -> int:
        """Entries of an instance's descriptor."""
        return self.layout.size + self.streams

    @property
    def digest(self) -> str:
        """sha256 of the canonical module's complete text (:func:`canonical_text`)."""
        if self._digest is None:
            slots = [(k, kind) for k, kind in self.layout.kinds.items()]
            text = canonical_text(self.module) + canonical_text(slots)
            self._digest = hashlib.sha256(text.encode()).hexdigest()
        return self._digest


@dataclass(frozen=True, slots=True)
class Sharing:
    """The kernel classes of a module and the descriptor of every kernel.

    ``classes`` are in order of their first instance; ``class_of[i]`` is the class of kernel ``i``;
    ``descriptors[offsets[i] : offsets[i] + classes[class_of[i]].descriptor_size]`` is kernel ``i``'s
    descriptor (rows start at multiples of 8 entries, a cache line).
    """

    classes: tuple[KernelClass, ...]
    class_of: tuple[int, ...]
    descriptors: np.ndarray
    offsets: tuple[int, ...]

    def descriptor(self, kernel_index: int) -> np.ndarray:
        """The descriptor of kernel ``kernel_index``."""
        size = self.classes[self.class_of[kernel_index]].descriptor_size
        start = self.offsets[kernel_index]
        return self.descriptors[start : start + size]

    def groups(self, module: Module) -> list[tuple[str, ...]]:
        """Names of the kernels of each class (module order)."""
        return [tuple(module.kernels[i].name for i in c.instances) for c in self.classes]

    def describe(self, module: Module) -> str:
        """Text of the classes (``nnc dump-ir --stage kernels``): for each, the kernels that share its
        code, then its canonical module (what the shared code is compiled from)."""
        from nnc.ir.printer import print_module

        lines = [f"// {len(module.kernels)} kernels, {len(self.classes)} distinct"]
        for n, (cls, names) in enumerate(zip(self.classes, self.groups(module), strict=True)):
            streams = f", {cls.streams} random streams" if cls.streams else ""
            lines += [
                "",
                f"class {n} shared by {len(names)}: {', '.join(names)}",
                f"  // descriptor: {cls.layout.size} slots{streams}",
            ]
            lines += ["  " + line if line else "" for line in print_module(cls.module).rstrip().split("\n")]
        return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------------
# canonical modules


class _Objects:
    """Populations and projections a kernel touches, numbered in order of first use."""

    def __init__(self, module: Module):
        self.module = module
        self.pops: dict[int, int] = {}
        self.projs: dict[int, int] = {}

    def pop(self, pid: int) -> None:
        if pid not in self.pops:
            self.pops[pid] = len(self.pops)

    def proj(self, jid: int) -> None:
        if jid not in self.projs:
            self.projs[jid] = len(self.projs)
            decl = self.module.projections[jid]
            self.pop(decl.pre)
            self.pop(decl.post)
            if decl.shares is not None:  # its kernels read that projection's synapses
                self.proj(decl.shares)

    def key(self, key: SlotKey) -> None:
        match key:
            case StateKey(owner=ObjKind.POPULATION, owner_id=i):
                self.pop(i)
            case StateKey(owner_id=i) | ConnKey(proj=i) | MirrorKey(proj=i):
                self.proj(i)
            case (
                InputKey(pop=i)
                | GlobalOpKey(pop=i)
                | BlockPartialKey(pop=i)
                | PopKey(pop=i)
                | QueueKey(pop=i)
                | TimedKey(pop=i)
                | SourceKey(pop=i)
                | SpikeKey(pop=i)
            ):
                self.pop(i)


def map_key(key: SlotKey, pops: dict[int, int], projs: dict[int, int]) -> SlotKey:
    """``key`` with its population and projection ids replaced through ``pops`` and ``projs``."""
    remap = _REMAP.get(type(key))
    return key if remap is None else remap(key, pops, projs)


_Ids = dict[int, int]
#: How each kind of slot key names its objects (keys of the other kinds name none).
_REMAP: dict[type, Callable[[Any, _Ids, _Ids], SlotKey]] = {
    StateKey: lambda k, pops, projs: StateKey(
        k.owner, (pops if k.owner is ObjKind.POPULATION else projs)[k.owner_id], k.name
    ),
    ConnKey: lambda k, pops, projs: ConnKey(projs[k.proj], k.field),
    MirrorKey: lambda k, pops, projs: MirrorKey(projs[k.proj], k.name),
    InputKey: lambda k, pops, projs: InputKey(pops[k.pop], k.target),
    GlobalOpKey: lambda k, pops, projs: GlobalOpKey(pops[k.pop], k.op, k.var),
    BlockPartialKey: lambda k, pops, projs: BlockPartialKey(pops[k.pop], k.op, k.var),
    PopKey: lambda k, pops, projs: PopKey(pops[k.pop], k.field),
    QueueKey: lambda k, pops, projs: QueueKey(pops[k.pop], k.var),
    TimedKey: lambda k, pops, projs: TimedKey(pops[k.pop], k.field),
    SourceKey: lambda k, pops, projs: SourceKey(pops[k.pop], k.field),
    SpikeKey: lambda k, pops, projs: SpikeKey(pops[k.pop], k.field),
}


@dataclass(slots=True)
class _Names:
    """What the kernel's slots name of each object (everything else is left out of the declarations)."""

    attributes: dict[tuple[ObjKind, int], set[str]] = dataclasses.field(default_factory=dict)
    targets: dict[int, set[str]] = dataclasses.field(default_factory=dict)
    delayed: dict[int, set[str]] = dataclasses.field(default_factory=dict)
    mirrored: dict[int, set[str]] = dataclasses.field(default_factory=dict)
    constants: set[str] = dataclasses.field(default_factory=set)

    def add(self, key: SlotKey) -> None:
        match key:
            case StateKey(owner=owner, owner_id=i, name=n):
                self.attributes.setdefault((owner, i), set()).add(n)
            case InputKey(pop=i, target=t):
                self.targets.setdefault(i, set()).add(t)
            case QueueKey(pop=i, var=v):
                self.delayed.setdefault(i, set()).add(v)
            case MirrorKey(proj=i, name=n):
                self.mirrored.setdefault(i, set()).add(n)
            case ConstantKey(name=n):
                self.constants.add(n)


def _remap_body(body: tuple[Stmt, ...], projs: dict[int, int], streams: dict[int, int]) -> tuple[Stmt, ...]:
    """``body`` with fused dendrites' projection ids and random streams renumbered."""

    def expr(e: Expr) -> Expr:
        def one(node: Expr) -> Expr | None:
            if isinstance(node, Random):
                args = tuple(rewrite(a, one) for a in node.args)
                return Random(node.dist, args, streams[node.stream], node.span)
            return None

        return rewrite(e, one)

    def stmt(s: Stmt) -> Stmt:
        match s:
            case ForDendrite():
                body = _renamed_temps(s.body, f"J{s.proj}.", f"J{projs[s.proj]}.")
                return ForDendrite(projs[s.proj], tuple(stmt(x) for x in body))
            case ForEach():
                return replace(s, body=tuple(stmt(x) for x in s.body))
            case Spike():
                s = replace(
                    s, reset=tuple(stmt(x) for x in s.reset), axon_reset=tuple(stmt(x) for x in s.axon_reset)
                )
        return map_exprs(s, expr) if streams else s

    return tuple(stmt(s) for s in body)


def _renamed_temps(body: tuple[Stmt, ...], old: str, new: str) -> tuple[Stmt, ...]:
    """``body`` with the temporaries named ``old + x`` renamed ``new + x`` (the fuse pass prefixes a
    fused dendrite's temporaries with its projection id, which the canonical module renumbers)."""
    if old == new:
        return body

    def name(n: str) -> str:
        return new + n[len(old) :] if n.startswith(old) else n

    def temp(e: Expr) -> Expr | None:
        return Temp(name(e.name), e.type, e.span) if isinstance(e, Temp) else None

    def lets(s: Stmt) -> Stmt:
        match s:
            case Let():
                return Let(name(s.name), s.value, s.span)
            case ForEach() | ForDendrite():
                return replace(s, body=tuple(map(lets, s.body)))
            case Spike():
                return replace(s, reset=tuple(map(lets, s.reset)), axon_reset=tuple(map(lets, s.axon_reset)))
        return s

    return tuple(lets(map_exprs(s, lambda e: rewrite(e, temp))) for s in body)


def _streams(body: tuple[Stmt, ...]) -> dict[int, int]:
    """Random streams of ``body`` numbered in order of first use."""
    found: dict[int, int] = {}
    for s in walk_stmts(body):
        for e in _stmt_exprs(s):
            for node in walk(e):
                if isinstance(node, Random) and node.stream not in found:
                    found[node.stream] = len(found)
    return found


def _dendrites(body: tuple[Stmt, ...]) -> list[int]:
    return [s.proj for s in walk_stmts(body) if isinstance(s, ForDendrite)]


def _keep(names: Iterable[str], wanted: set[str] | None) -> tuple[str, ...]:
    return tuple(n for n in names if wanted is not None and n in wanted)


def canonical_module(
    module: Module, kernel: Kernel, slots: Iterable[SlotKey]
) -> tuple[Module, dict[int, int], dict[int, int], dict[int, int]]:
    """The canonical module of ``kernel`` (whose lowering uses ``slots``), and the population,
    projection and stream renumberings (network id -> canonical id)."""
    keys = list(slots)
    objs = _Objects(module)
    if kernel.owner is ObjKind.POPULATION:
        objs.pop(kernel.owner_id)
    else:
        objs.proj(kernel.owner_id)
    for j in _dendrites(kernel.body):
        objs.proj(j)
    names = _Names()
    for k in keys:
        objs.key(k)
        names.add(k)
    pops = [module.populations[i] for i in objs.pops]
    projs = [module.projections[j] for j in objs.projs]
    # every other field of a declaration is kept as it is (replace), so that what a backend may read
    # of a declaration (format, delays, stencil, dynamic, ...) is part of the class
    new_pops = tuple(
        replace(
            p,
            id=objs.pops[p.id],
            name=f"p{objs.pops[p.id]}",
            attributes=tuple(
                a for a in p.attributes if a.name in names.attributes.get((ObjKind.POPULATION, p.id), ())
            ),
            targets=_keep(p.targets, names.targets.get(p.id)),
            delayed=_keep(p.delayed, names.delayed.get(p.id)),
        )
        for p in pops
    )
    new_projs = tuple(
        replace(
            j,
            id=objs.projs[j.id],
            name=f"j{objs.projs[j.id]}",
            pre=objs.pops[j.pre],
            post=objs.pops[j.post],
            attributes=tuple(
                a for a in j.attributes if a.name in names.attributes.get((ObjKind.PROJECTION, j.id), ())
            ),
            stats=None,
            format_hint=None,
            format_reason="",
            mirrored=_keep(j.mirrored, names.mirrored.get(j.id)),
            shares=None if j.shares is None else objs.projs[j.shares],
            connect=None,
        )
        for j in projs
    )
    streams = _streams(kernel.body)
    owner = objs.pops if kernel.owner is ObjKind.POPULATION else objs.projs
    canon_kernel = Kernel(
        f"k.{kernel.phase.name.lower()}",
        kernel.phase,
        kernel.owner,
        owner[kernel.owner_id],
        _remap_body(kernel.body, objs.projs, streams),
    )
    canon = Module(
        "kernel",
        module.precision,
        module.dt,
        new_pops,
        new_projs,
        (canon_kernel,),
        tuple(c for c in module.constants if c in names.constants),
    )
    return canon, objs.pops, objs.projs, streams


#: Slot keys of an object that its declaration (not its kernels' code) decides: the value slots and the
#: structural buffers of populations and projections. A class's layout lists all of its objects' that
#: the network has; the other keys only as the lowering names them.
_POP_STRUCTURE = (PopKey, TimedKey, SpikeKey, SourceKey)
_STRUCTURE = (*_POP_STRUCTURE, ConnKey, RuntimeKey)
_RUNTIME_KEYS = tuple(RuntimeKey(f) for f in RuntimeField)

_Signature = tuple[tuple[type, Enum, SlotKind], ...]


class _Structure:
    """The structural slots of every object of a network's layout (one pass over it): per object, its
    signature (key types, fields and kinds, in layout order; equal signatures are one object) and
    their context slots."""

    def __init__(self, layout: Layout):
        pops: dict[int, list[tuple[tuple[type, Enum, SlotKind], int]]] = {}
        projs: dict[int, list[tuple[tuple[type, Enum, SlotKind], int]]] = {}
        self.runtime: list[int] = []
        for key, slot in layout.slots.items():
            t = type(key)
            if t in _POP_STRUCTURE:
                pops.setdefault(key.pop, []).append(((t, key.field, layout.kinds[key]), slot))  # type: ignore[union-attr]
            elif t is ConnKey:
                projs.setdefault(key.proj, []).append(((t, key.field, layout.kinds[key]), slot))  # type: ignore[union-attr]
        self.runtime = [layout.slots[k] for k in _RUNTIME_KEYS]
        interned: dict[_Signature, _Signature] = {}

        def split(entries: list[tuple[tuple[type, Enum, SlotKind], int]]) -> tuple[_Signature, list[int]]:
            sig = tuple(e for e, _ in entries)
            return interned.setdefault(sig, sig), [slot for _, slot in entries]

        self.pops = {p: split(e) for p, e in pops.items()}
        self.projs = {j: split(e) for j, e in projs.items()}
        self._canon: dict[tuple[int, int], list[tuple[SlotKey, SlotKind]]] = {}

    def canonical(self, sig: _Signature, cid: int) -> list[tuple[SlotKey, SlotKind]]:
        """The keys of signature ``sig`` for canonical object ``cid``, with their kinds."""
        found = self._canon.get((id(sig), cid))
        if found is None:
            found = self._canon[(id(sig), cid)] = [(t(cid, f), kind) for t, f, kind in sig]
        return found


@dataclass(slots=True)
class _Form:
    """What a kernel of a given context key contributes, in canonical terms (reused for the next kernel
    with that key): its class, the canonical id of each of its context positions, the canonical keys of
    its other slots with whether the network's layout had each, and its random streams."""

    cls: int
    canon_ids: tuple[int, ...]
    named: tuple[tuple[SlotKey, bool], ...]
    streams: tuple[int, ...]


def share_kernels(module: Module, layout: Layout, slots_of: SlotsOf, memo: bool = True) -> Sharing:
    """Group the kernels of ``module`` (laid out as ``layout``) into classes and build every descriptor.

    A class's layout lists the runtime slots, the structural slots of its objects (in canonical order)
    and then the other slots its lowering names, each only if the network's ``layout`` has it.

    With ``memo`` (the default), a kernel whose context key (:class:`~nnc.ir.context.KernelContexts`,
    plus the structural signatures of its objects) equals an earlier kernel's reuses that kernel's
    canonical work: its canonical module, slots and streams are the earlier ones renumbered, and only
    its descriptor is built. ``memo=False`` computes every kernel on its own (the same result).
    """
    structure = _Structure(layout)
    contexts = KernelContexts(module)
    classes: list[KernelClass] = []
    by_form: dict[tuple[object, ...], int] = {}
    forms: dict[tuple[object, ...], _Form] = {}
    class_of: list[int] = []
    rows: list[list[int]] = []
    present = layout.slots
    empty: tuple[_Signature, list[int]] = ((), [])

    def signature(kind: ObjKind, i: int) -> tuple[_Signature, list[int]]:
        return (structure.pops if kind is ObjKind.POPULATION else structure.projs).get(i, empty)

    for index, kernel in enumerate(module.kernels):
        positions = contexts.positions(kernel) if memo else None
        key = None
        if positions is not None:
            context = contexts.key(kernel, positions)
            key = (context, tuple(id(signature(kind, i)[0]) for kind, i in positions))
        form = forms.get(key) if key is not None else None
        if form is not None and positions is not None:
            row = _reuse(form, positions, present, structure, signature)
            if row is not None:
                class_of.append(form.cls)
                classes[form.cls].instances.append(index)
                rows.append(row)
                continue
        slots = list(slots_of(module, kernel))
        canon, pops, projs, streams = canonical_module(module, kernel, slots)
        pop_sigs = [signature(ObjKind.POPULATION, p) for p in pops]
        proj_sigs = [signature(ObjKind.PROJECTION, j) for j in projs]
        others = [k for k in slots if type(k) not in _STRUCTURE]
        named = [k for k in others if k in present]
        canon_named = tuple(map_key(k, pops, projs) for k in named)
        shape = (canon, tuple(id(s) for s, _ in pop_sigs), tuple(id(s) for s, _ in proj_sigs), canon_named)
        c = by_form.get(shape)
        if c is None:
            c = by_form[shape] = len(classes)
            sigs = [sig for sig, _ in pop_sigs], [sig for sig, _ in proj_sigs]
            classes.append(_new_class(canon, structure, sigs, canon_named, len(streams)))
        classes[c].instances.append(index)
        class_of.append(c)
        row = list(structure.runtime)
        for _, sl in pop_sigs:
            row += sl
        for _, sl in proj_sigs:
            row += sl
        row += [present[k] for k in named]
        row += list(streams)  # network stream numbers, in canonical order
        rows.append(row)
        reached = {(ObjKind.POPULATION, i) for i in pops} | {(ObjKind.PROJECTION, j) for j in projs}
        if key is not None and positions is not None and key not in forms and reached == set(positions):
            ids = tuple((pops if kind is ObjKind.POPULATION else projs)[i] for kind, i in positions)
            canon_others = tuple((map_key(k, pops, projs), k in present) for k in others)
            forms[key] = _Form(c, ids, canon_others, tuple(streams))
    offsets, total = [], 0
    for row in rows:
        offsets.append(total)
        total += -(-len(row) // 8) * 8
    descriptors = np.zeros(max(total, 1), dtype=np.int64)
    for start, row in zip(offsets, rows, strict=True):
        descriptors[start : start + len(row)] = row
    return Sharing(tuple(classes), tuple(class_of), descriptors, tuple(offsets))


def _new_class(
    canon: Module,
    structure: _Structure,
    sigs: tuple[list[_Signature], list[_Signature]],
    canon_named: tuple[SlotKey, ...],
    streams: int,
) -> KernelClass:
    """A class of canonical module ``canon``: its layout lists the runtime slots, the structural slots
    of its populations and projections (signatures ``sigs``, canonical order), then ``canon_named``."""
    entries: list[tuple[SlotKey, SlotKind]] = [(k, SlotKind.VALUE) for k in _RUNTIME_KEYS]
    for group in sigs:
        for cid, sig in enumerate(group):
            entries += structure.canonical(sig, cid)
    entries += [(k, SlotKind.POINTER) for k in canon_named]
    kinds = dict(entries)
    return KernelClass(canon, Layout({k: i for i, k in enumerate(kinds)}, kinds), streams, [])


def _reuse(
    form: _Form,
    positions: Positions,
    present: dict[SlotKey, int],
    structure: _Structure,
    signature: Callable[[ObjKind, int], tuple[_Signature, list[int]]],
) -> list[int] | None:
    """The descriptor row of a kernel whose context key is ``form``'s (its objects ``positions``), or
    None if the network's layout holds another subset of its slots (then it is computed on its own).
    The form's kernel reached exactly its context positions, so these are all its objects."""
    pops: dict[int, int] = {}
    projs: dict[int, int] = {}
    for (kind, i), cid in zip(positions, form.canon_ids, strict=True):
        (pops if kind is ObjKind.POPULATION else projs)[cid] = i
    named: list[int] = []
    for canon_key, was_present in form.named:
        slot = present.get(map_key(canon_key, pops, projs))
        if (slot is not None) != was_present:
            return None
        if slot is not None:
            named.append(slot)
    row = list(structure.runtime)
    for cid in range(len(pops)):
        row += signature(ObjKind.POPULATION, pops[cid])[1]
    for cid in range(len(projs)):
        row += signature(ObjKind.PROJECTION, projs[cid])[1]
    return row + named + list(form.streams)


# --------------------------------------------------------------------------------------------------
# complete text (cache keys)

_FIELDS: dict[type, tuple[str, ...]] = {}


def _compared(cls: type) -> tuple[str, ...]:
    names = _FIELDS.get(cls)
    if names is None:
        names = _FIELDS[cls] = tuple(f.name for f in dataclasses.fields(cls) if f.compare)
    return names


def _text(obj: object, out: list[str]) -> None:
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        out.append(type(obj).__name__)
        out.append("(")
        for name in _compared(type(obj)):
            _text(getattr(obj, name), out)
            out.append(",")
        out.append(")")
    elif isinstance(obj, tuple | list):
        out.append("[")
        for x in obj:
            _text(x, out)
            out.append(",")
        out.append("]")
    elif isinstance(obj, enum.Enum):
        out.append(f"{type(obj).__name__}.{obj.name}")
    elif obj is None or isinstance(obj, bool | int | float | str):
        out.append(repr(obj))
    else:
        raise TypeError(f"no canonical text for {type(obj).__name__}")


def canonical_text(obj: object) -> str:
    """Text of an IR object holding every field its equality compares (and nothing else)."""
    out: list[str] = []
    _text(obj, out)
    return "".join(out)
