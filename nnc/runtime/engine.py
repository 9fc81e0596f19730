"""The interface every execution engine implements (the LLVM JIT, the NumPy interpreter, later PTX)."""

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
