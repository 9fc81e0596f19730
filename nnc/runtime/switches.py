"""Schedules the host applies between native runs: the timed-array counter of SEMANTICS.md §10 kept in
Python, for inputs whose switched values are global parameters (``HomogeneousCorrelatedSpikeTrains``).

The network runs natively up to the step before each switch, lets the population write the entry's
values, and goes on: Python runs once per switch, never per step. :class:`HostSchedule` counts steps
exactly as the native scheduler of a ``TimedArray`` does (``TimedStep`` in :mod:`nnc.ir.nodes`); one step
with counter ``τ`` and block ``b``:

1. if ``b < n`` and ``τ == S[b]``: entry ``b`` is shown, ``b ← b + 1`` (``0`` after the last);
2. if ``P >= 0`` and ``τ == P - 1``: ``b ← 0``, ``τ ← -1``;
3. ``τ ← τ + 1``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class HostSchedule:
    """The counter ``τ`` and block ``b`` of a schedule of ``steps`` (``S``) with ``period`` (``P``, steps;
    negative: none), before the next step runs."""

    steps: tuple[int, ...]
    period: int = -1
    tau: int = 0
    block: int = 0

    def restart(self) -> None:
        """Back to the first entry (compile, reset)."""
        self.tau, self.block = 0, 0

    def pending(self) -> int | None:
        """The entry the next step shows, or None."""
        if self.block < len(self.steps) and self.tau == self.steps[self.block]:
            return self.block
        return None

    def _next_event(self) -> int | None:
        """Steps before the next step that shows an entry or wraps (0: the next one), or None."""
        offsets = []
        if self.block < len(self.steps) and self.steps[self.block] >= self.tau:
            offsets.append(self.steps[self.block] - self.tau)
        if self.period >= 0 and self.period - 1 >= self.tau:
            offsets.append(self.period - 1 - self.tau)
        return min(offsets) if offsets else None

    def _one_step(self) -> None:
        if self.pending() is not None:
            self.block = 0 if self.block + 1 == len(self.steps) else self.block + 1
        if self.period >= 0 and self.tau == self.period - 1:
            self.block, self.tau = 0, -1
        self.tau += 1

    def advance(self, n: int) -> None:
        """Count ``n`` steps (in jumps from event to event: the cost does not grow with ``n``)."""
        while n > 0:
            offset = self._next_event()
            if offset is None or offset >= n:
                self.tau += n
                return
            self.tau += offset
            self._one_step()
            n -= offset + 1

    def run_length(self) -> int | None:
        """How many steps can run natively from now so that the step after them is the next one showing an
        entry, the next step excepted (its entry is written before the run); None: no further entry."""
        probe = HostSchedule(self.steps, self.period, self.tau, self.block)
        probe.advance(1)
        done = 1
        for _ in range(3):  # an entry comes before the second wrap, or never
            offset = probe._next_event()
            if offset is None:
                return None
            probe.advance(offset)
            if probe.pending() is not None:
                return done + offset
            probe._one_step()  # a wrap that shows nothing
            done += offset + 1
        return None
