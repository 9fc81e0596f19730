"""Per-kernel results of a pass, shared between kernels with the same body.

A network of many objects of few models has many kernels with equal bodies (attributes are named, not
numbered, in kernel bodies). A pass whose per-kernel work depends only on the body and a few facts of
the kernel's context computes it once per distinct (body, facts) with :class:`KernelMemo`.

Bodies are compared with IR equality, which leaves out source spans; the key adds the text the first
span of the body points into, so a body reused for another kernel also carries the right source
locations: kernels of one analysed model share every span object, and bodies from different model
descriptions (even with the same text) never share a result.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from nnc.ir.nodes import Stmt, stmt_exprs, walk, walk_stmts

T = TypeVar("T")


def _first_source(body: tuple[Stmt, ...]) -> int:
    """``id`` of the source text of the first span in ``body`` (0 if none)."""
    for s in walk_stmts(body):
        span = getattr(s, "span", None)
        if span is not None:
            return id(span.source)
        for e in stmt_exprs(s):
            for node in walk(e):
                span = getattr(node, "span", None)
                if span is not None:
                    return id(span.source)
    return 0


class KernelMemo(Generic[T]):
    """Results by (body, source of its first span, ``facts``) for one run of a pass over a module."""

    def __init__(self) -> None:
        self._results: dict[Hashable, T] = {}

    def get(self, body: tuple[Stmt, ...], facts: Hashable, compute: Callable[[], T]) -> T:
        """The result for ``body`` in a context described by ``facts`` (``compute()`` the first time)."""
        key = (body, _first_source(body), facts)
        if key not in self._results:
            self._results[key] = compute()
        return self._results[key]
