"""What a kernel's meaning depends on besides its body: the declarations of the objects it can reach.

A kernel reaches its owner; a projection kernel also its pre and post populations; a fused dendrite
(``ForDendrite``) its projection and that projection's populations. Nothing else of the module is named
by a kernel body except constants (module-wide). :class:`KernelContexts` gives every kernel a hashable
*context key*: its body (IR equality, which leaves out source spans), phase and owner kind, the
declarations of the objects it reaches in a fixed order (each without its id, name, connectivity
statistics and connector reference), and which of these positions are the same object. Kernels with
equal keys are the same kernel up to the numbering of their objects, so per-kernel work that reads only
the body and these declarations (verification, kernel sharing) can be done once per key.
"""

from __future__ import annotations

import dataclasses
from functools import cache

from nnc.ir.model import Attribute, Kernel, Module, PopulationDecl, ProjectionDecl
from nnc.ir.nodes import ForDendrite, Stmt, walk_stmts
from nnc.ir.types import ObjKind

#: A kernel's objects in context order: ``(kind, id)`` of its owner, then (for a projection) its pre and
#: post populations, then per fused dendrite its projection and that projection's pre and post.
Positions = tuple[tuple[ObjKind, int], ...]

#: Fields of the declarations a context key leaves out: the numbering, names, and what no kernel reads.
_POP_LEFT_OUT = frozenset({"id", "name"})
_PROJ_LEFT_OUT = frozenset({"id", "name", "pre", "post", "stats", "connect"})


@cache
def _compared(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls) if f.compare)


class KernelContexts:
    """Context keys of the kernels of one module (see the module docstring)."""

    def __init__(self, module: Module):
        self.module = module
        self._decls: dict[object, int] = {}
        self._pops: dict[int, int] = {}
        self._projs: dict[int, int] = {}
        #: per body object (by id): its number among the distinct bodies and its fused dendrites
        self._by_id: dict[int, tuple[int, tuple[int, ...]]] = {}
        self._equal: dict[tuple[Stmt, ...], int] = {}
        self._attributes: dict[int, int] = {}
        self._equal_attrs: dict[tuple[Attribute, ...], int] = {}
        self._bodies: list[object] = []  # the bodies whose ids are keys stay alive
        self._kept: list[object] = []  # as are the attribute tuples

    def _intern(self, decl: PopulationDecl | ProjectionDecl, left_out: frozenset[str]) -> int:
        """Number of ``decl`` among the distinct declarations, its fields in ``left_out`` left out (its
        attributes, usually one tuple shared by every object of a model, interned by identity first)."""
        attrs = self._attributes.get(id(decl.attributes))
        if attrs is None:
            attrs = self._attributes[id(decl.attributes)] = self._equal_attrs.setdefault(
                decl.attributes, len(self._equal_attrs)
            )
            self._kept.append(decl.attributes)
        sig = tuple(
            attrs if name == "attributes" else getattr(decl, name)
            for name in _compared(type(decl))
            if name not in left_out
        )
        return self._decls.setdefault((type(decl), sig), len(self._decls))

    def _pop(self, i: int) -> int:
        found = self._pops.get(i)
        if found is None:
            found = self._pops[i] = self._intern(self.module.populations[i], _POP_LEFT_OUT)
        return found

    def _proj(self, j: int) -> int:
        found = self._projs.get(j)
        if found is None:
            found = self._projs[j] = self._intern(self.module.projections[j], _PROJ_LEFT_OUT)
        return found

    def positions(self, k: Kernel) -> Positions | None:
        """The objects ``k`` reaches in context order, or None when it names one the module lacks."""
        m = self.module
        found = self._by_id.get(id(k.body))
        if found is None:
            dendrites = tuple(s.proj for s in walk_stmts(k.body) if isinstance(s, ForDendrite))
            found = self._by_id[id(k.body)] = (self._equal.setdefault(k.body, len(self._equal)), dendrites)
            self._bodies.append(k.body)
        owners = m.populations if k.owner is ObjKind.POPULATION else m.projections
        if not 0 <= k.owner_id < len(owners) or any(not 0 <= j < len(m.projections) for j in found[1]):
            return None
        out = [(k.owner, k.owner_id)]
        if k.owner is ObjKind.PROJECTION:
            decl = m.projections[k.owner_id]
            out += [(ObjKind.POPULATION, decl.pre), (ObjKind.POPULATION, decl.post)]
        for j in found[1]:
            decl = m.projections[j]
            out += [(ObjKind.PROJECTION, j), (ObjKind.POPULATION, decl.pre), (ObjKind.POPULATION, decl.post)]
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
        decls = tuple(self._pop(i) if kind is ObjKind.POPULATION else self._proj(i) for kind, i in positions)
        return (self._by_id[id(k.body)][0], k.phase, k.owner, same, decls)
