"""The interface every execution engine implements: the NumPy interpreter (``nnc/backend/interp``), the
LLVM JIT (``nnc/backend/llvm``) and the GPU engine (``nnc/backend/ptx``).

An engine that keeps copies of the buffers elsewhere (a GPU) also sets ``Buffers.residency``
(:class:`nnc.runtime.buffers.Residency`) while it owns them: the host copy of a buffer is then fetched
when the host touches it, and uploaded again before the next run.
"""

from __future__ import annotations

from typing import Protocol

from nnc.runtime.buffers import Buffers


class Engine(Protocol):
    """Runs steps of one compiled module on a :class:`Buffers`.

    ``run`` executes ``nsteps`` whole steps (SEMANTICS.md §2, phases 1-12, including the record table
    and the step counter increment) and returns the number of steps done; it stops early only when the
    ``STOP`` runtime slot is set. Engines hold no simulation state of their own: everything lives in
    the buffers, so two engines can continue each other's runs.
    """

    name: str

    def run(self, buffers: Buffers, nsteps: int) -> int:
        """Advance the network by up to ``nsteps`` steps."""
        ...

    def close(self) -> None:
        """Release native resources."""
        ...
