"""What a kernel's meaning depends on besides its body: the declarations of the objects it can reach.

A kernel reaches its owner; a projection kernel also its pre and post populations; a fused dendrite
(``ForDendrite``) its projection and that projection's populations; a projection that reads another's
synapses (``ProjectionDecl.shares``) also that projection and its populations. Nothing else of the
module is named by a kernel body except constants (module-wide). :class:`KernelContexts` gives every
kernel a hashable *context key*: its body (IR equality, which leaves out source spans), phase and owner
kind, the declarations of the objects it reaches in a fixed order (each without its id, name,
connectivity statistics and connector reference), and which of these positions are the same object.
Kernels with equal keys are the same kernel up to the numbering of their objects, so per-kernel work
that reads only the body and these declarations (verification, kernel sharing) can be done once per key.
"""

from __future__ import annotations

import dataclasses
from functools import cache

from nnc.ir.model import Attribute, Kernel, Module, PopulationDecl, ProjectionDecl
from nnc.ir.nodes import ForDendrite, Stmt, walk_stmts
from nnc.ir.types import ObjKind

#: A kernel's objects in context order: ``(kind, id)`` of its owner, then (for a projection) its pre and
#: post populations, then per fused dendrite its projection and that projection's pre and post; each
#: projection that one of these shares follows with its populations.
Positions = tuple[tuple[ObjKind, int], ...]

#: Fields of the declarations a context key leaves out: the numbering, names, and what no kernel reads.
_POP_LEFT_OUT = frozenset({"id", "name"})
_PROJ_LEFT_OUT = frozenset({"id", "name", "pre", "post", "stats", "connect"})


@cache
def _compared(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls) if f.compare)


class Interner:
    """Numbers of distinct bodies and declarations, by identity first and by equality the first time an
    object is seen; it keeps every object it numbered alive (their ids stay valid). One interner may
    serve the modules of one pipeline run, whose passes keep most bodies and declarations as they are."""

    def __init__(self) -> None:
        #: per body object (by id): its number among the distinct bodies and its fused dendrites
        self.bodies: dict[int, tuple[int, tuple[int, ...]]] = {}
        self._equal_bodies: dict[tuple[Stmt, ...], int] = {}
        self._decls: dict[int, int] = {}
        self._equal_decls: dict[object, int] = {}
        self._attributes: dict[int, int] = {}
        self._equal_attrs: dict[tuple[Attribute, ...], int] = {}
        self._kept: list[object] = []

    def body(self, body: tuple[Stmt, ...]) -> tuple[int, tuple[int, ...]]:
        """The number of ``body`` and the projections of its fused dendrites."""
        found = self.bodies.get(id(body))
        if found is None:
            dendrites = tuple(s.proj for s in walk_stmts(body) if isinstance(s, ForDendrite))
            number = self._equal_bodies.setdefault(body, len(self._equal_bodies))
            found = self.bodies[id(body)] = (number, dendrites)
            self._kept.append(body)
        return found

    def decl(self, decl: PopulationDecl | ProjectionDecl) -> int:
        """The number of ``decl`` without the fields no kernel reads (:data:`_POP_LEFT_OUT`,
        :data:`_PROJ_LEFT_OUT`); its attributes, usually one tuple shared by every object of a model,
        are numbered by identity first."""
        found = self._decls.get(id(decl))
        if found is not None:
            return found
        attrs = self._attributes.get(id(decl.attributes))
        if attrs is None:
            attrs = self._equal_attrs.setdefault(decl.attributes, len(self._equal_attrs))
            self._attributes[id(decl.attributes)] = attrs
            self._kept.append(decl.attributes)
        left_out = _POP_LEFT_OUT if isinstance(decl, PopulationDecl) else _PROJ_LEFT_OUT
        sig = tuple(
            attrs if name == "attributes" else getattr(decl, name)
            for name in _compared(type(decl))
            if name not in left_out
        )
        found = self._decls[id(decl)] = self._equal_decls.setdefault(
            (type(decl), sig), len(self._equal_decls)
        )
        self._kept.append(decl)
        return found


class KernelContexts:
    """Context keys of the kernels of one module (see the module docstring); ``interner``: one shared
    with the keys of other modules (a new one by default)."""

    def __init__(self, module: Module, interner: Interner | None = None):
        self.module = module
        self.interner = interner if interner is not None else Interner()

    def positions(self, k: Kernel) -> Positions | None:
        """The objects ``k`` reaches in context order, or None when it names one the module lacks."""
        m = self.module
        found = self.interner.body(k.body)
        owners = m.populations if k.owner is ObjKind.POPULATION else m.projections
        if not 0 <= k.owner_id < len(owners) or any(not 0 <= j < len(m.projections) for j in found[1]):
            return None
        out = [(k.owner, k.owner_id)]
        projs = [k.owner_id] if k.owner is ObjKind.PROJECTION else []
        projs += found[1]
        seen: set[int] = set()
        while projs:  # each projection with its populations, then the projection it shares, if any
            j = projs.pop(0)
            if j in seen:
                continue
            seen.add(j)
            decl = m.projections[j]
            if not (k.owner is ObjKind.PROJECTION and j == k.owner_id):
                out.append((ObjKind.PROJECTION, j))
            out += [(ObjKind.POPULATION, decl.pre), (ObjKind.POPULATION, decl.post)]
            if decl.shares is not None:
                if not 0 <= decl.shares < len(m.projections):
                    return None
                projs.append(decl.shares)
        return tuple(out)

    def key(self, k: Kernel, positions: Positions | None = None) -> tuple[object, ...] | None:
        """The context key of ``k`` (``positions``: its :meth:`positions`, if known), or None when it
        names an object the module lacks."""
        if positions is None:
            positions = self.positions(k)
            if positions is None:
                return None
        order: dict[tuple[ObjKind, int], int] = {}
        same = tuple(order.setdefault(p, len(order)) for p in positions)  # which positions are one object
        m, decl = self.module, self.interner.decl
        decls = tuple(
            decl(m.populations[i] if kind is ObjKind.POPULATION else m.projections[i])
            for kind, i in positions
        )
        return (self.interner.body(k.body)[0], k.phase, k.owner, same, decls)
