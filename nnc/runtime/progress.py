"""Progress of long runs: a tqdm bar advanced between chunks of native steps (``simulate(progress=True)``).

The native step loop runs uninterrupted for a chunk of steps; :func:`nnc.runtime.scheduler.run_recorded`
asks :meth:`Progress.next_chunk` how long the next chunk may be and reports the steps done with
:meth:`Progress.advance`. Chunks last about :data:`CHUNK_SECONDS` of wall time (the first one
:data:`FIRST_CHUNK_STEPS` steps, then sized from the measured speed), so the bar moves a few times a
second and a chunk boundary -- one more call into the engine -- costs well under 1 % of a run
(``benchmarks/progress_overhead.py``). Results do not depend on the chunking: engines run whole steps
and keep no state between calls.

The bar shows the steps done, steps per second, and the ratio of biological to wall-clock time
(``bio/wall``: above 1, the simulation runs faster than real time).
"""

from __future__ import annotations

import sys
import time
from typing import IO

from nnc.optional import require

#: Wall time a chunk aims at (s) and the length of the first, unmeasured chunk (steps).
CHUNK_SECONDS = 0.25
FIRST_CHUNK_STEPS = 100


def wanted(progress: bool | None, stream: IO[str] | None = None) -> bool:
    """Whether to show a bar: ``progress`` if given, else only when standard output is a terminal."""
    if progress is not None:
        return bool(progress)
    out = sys.stdout if stream is None else stream
    isatty = getattr(out, "isatty", None)
    return bool(isatty and isatty())


class Progress:
    """A tqdm bar over ``total`` steps of ``dt`` ms each, advanced chunk by chunk."""

    def __init__(self, total: int, dt: float, description: str = "simulate", file: IO[str] | None = None):
        tqdm = require("tqdm", "progress", "simulate(progress=True)")
        self.dt = dt
        self.done = 0
        self.chunk = FIRST_CHUNK_STEPS
        self._t0 = time.perf_counter()
        self._last = self._t0
        self.bar = tqdm.tqdm(
            total=total,
            desc=description,
            unit="step",
            unit_scale=total >= 10_000,  # 12.3k/200k for long runs, exact counts for short ones
            file=file if file is not None else sys.stderr,
            dynamic_ncols=True,
            leave=True,
        )

    def next_chunk(self) -> int:
        """Most steps the next chunk may run."""
        return self.chunk

    def advance(self, steps: int) -> None:
        """Record ``steps`` more steps done; size the next chunk to about :data:`CHUNK_SECONDS`."""
        now = time.perf_counter()
        elapsed = now - self._last
        self._last = now
        self.done += steps
        if steps > 0 and elapsed > 0:
            per_step = elapsed / steps
            self.chunk = max(1, min(int(CHUNK_SECONDS / per_step), 4 * self.chunk))
        wall = now - self._t0
        ratio = self.done * self.dt / 1000.0 / wall if wall > 0 else float("inf")
        self.bar.set_postfix_str(f"bio/wall={ratio:.3g}", refresh=False)
        self.bar.update(steps)

    def close(self) -> None:
        """Finish the bar (it stays on the terminal)."""
        self.bar.close()
