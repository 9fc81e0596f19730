"""The bounds pass: clamp a bounded variable right after each of its updates.

SEMANTICS.md §2 / DSL.md §4.2: ``min``/``max`` of a variable apply after each update of it —
``if x < min: x = min``, then ``if x > max: x = max`` — for assignments and for the updates of ODE
blocks alike (after discretisation both are ``Assign`` s, and an ODE block applies its updates one by
one, so each clamp lands right after its own variable's update). The bounds are evaluated every time.

Pre: the module verifies and is discretised. Post: every ``Assign`` to an attribute with ``lo``/``hi``
is immediately followed by ``Clamp(target, lo, hi)`` (statements that already are, such as event
statements the frontend bounded itself, are left alone); running the pass again changes nothing.
Assignments to another object's attribute (``post.g_exc`` in an event) are not the owner's bounds.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar

from nnc.ir.model import Attribute, Kernel, Module
from nnc.ir.nodes import Assign, Clamp, ForEach, Stmt
from nnc.ir.types import Scope
from nnc.passes.registry import register


def _clamp_after(body: tuple[Stmt, ...], attrs: dict[str, Attribute]) -> tuple[Stmt, ...]:
    out: list[Stmt] = []
    for i, s in enumerate(body):
        if isinstance(s, ForEach):
            out.append(replace(s, body=_clamp_after(s.body, attrs)))
            continue
        out.append(s)
        if not isinstance(s, Assign) or s.target.scope is not Scope.SELF:
            continue
        a = attrs.get(s.target.name)
        if a is None or (a.lo is None and a.hi is None):
            continue
        clamp = Clamp(s.target, a.lo, a.hi, s.span)
        following = body[i + 1] if i + 1 < len(body) else None
        if following != clamp:
            out.append(clamp)
    return tuple(out)


def _kernel(module: Module, k: Kernel) -> Kernel:
    attrs = {a.name: a for a in module.owner_attributes(k)}
    body = _clamp_after(k.body, attrs)
    return k if body == k.body else replace(k, body=body)


@register("bounds", default=True)
@dataclass(frozen=True, slots=True)
class Bounds:
    """Insert ``Clamp`` after every update of a variable that has bounds (module docstring)."""

    name: ClassVar[str] = "bounds"

    def __call__(self, module: Module) -> Module:
        return replace(module, kernels=tuple(_kernel(module, k) for k in module.kernels))
