"""Worker threads that run ``nnc_run``: a persistent pool, inline calls for short runs, and Ctrl-C.

DESIGN.md §4: each worker thread runs ``nnc_run(ctx, tid, n, nsteps)`` through one ctypes call, which
releases the GIL. Threads are kept parked between runs (starting threads costs 0.1-0.3 ms a run). A
ctypes call on the main thread cannot be interrupted, so a run that may last is done entirely on pool
threads while the main thread waits with a timeout; on ``KeyboardInterrupt`` it sets STOP through
``request_stop``, waits for every thread (they all stop after the same step, so the network can
continue), clears STOP and re-raises. A run predicted to take under :data:`INLINE_SECONDS` (from the
measured time per step) runs thread 0 on the calling thread, which costs no thread hand-off.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable

#: Runs predicted shorter than this run thread 0 on the calling thread (Ctrl-C then waits that long).
INLINE_SECONDS = 0.02
#: How often the waiting main thread wakes up to notice Ctrl-C (seconds).
POLL_SECONDS = 0.05

Entry = Callable[[int, int, int, int], int]


class _Run:
    """Completion of the pool's part of one run; workers record their own results (nothing is lost to
    a KeyboardInterrupt in the waiting thread)."""

    def __init__(self, jobs: int):
        self.remaining = jobs
        self.errors: list[BaseException] = []
        self.lock = threading.Lock()
        self.finished = threading.Event()
        if jobs == 0:
            self.finished.set()

    def done(self, error: BaseException | None) -> None:
        with self.lock:
            if error is not None:
                self.errors.append(error)
            self.remaining -= 1
            if self.remaining == 0:
                self.finished.set()

    def wait(self, interruptible: bool, limit: float | None = None) -> bool:
        """Wait until the run finishes (``True``) or ``limit`` seconds have passed (``False``)."""
        end = None if limit is None else time.perf_counter() + limit
        while True:
            poll = POLL_SECONDS if end is None else min(POLL_SECONDS, max(0.0, end - time.perf_counter()))
            try:
                if self.finished.wait(poll):
                    return True
            except KeyboardInterrupt:
                if interruptible:
                    raise
            if end is not None and time.perf_counter() >= end:
                return False


_Job = tuple[int, int, int, int, _Run]


class WorkerPool:
    """Parked threads, one per thread id, that call ``entry(ctx, tid, nthreads, nsteps)`` on demand."""

    def __init__(self, entry: Entry):
        self._entry = entry
        self._jobs: list[queue.SimpleQueue[_Job | None]] = []
        self._threads: list[threading.Thread] = []
        self._step_seconds: float | None = None

    def _serve(self, jobs: queue.SimpleQueue[_Job | None]) -> None:
        while (job := jobs.get()) is not None:
            ctx, tid, nthreads, nsteps, run = job
            try:
                self._entry(ctx, tid, nthreads, nsteps)
            except BaseException as e:  # handed to the caller, which re-raises it
                run.done(e)
            else:
                run.done(None)

    def _ensure(self, n: int) -> None:
        while len(self._threads) < n:
            jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
            t = threading.Thread(target=self._serve, args=(jobs,), name=f"nnc-worker-{len(self._threads)}")
            t.daemon = True
            t.start()
            self._jobs.append(jobs)
            self._threads.append(t)

    def start(self, nthreads: int) -> None:
        """Start the threads a run on ``nthreads`` threads needs (they park until a run)."""
        self._ensure(nthreads)

    def run(
        self,
        ctx: int,
        nthreads: int,
        nsteps: int,
        request_stop: Callable[[bool], None],
        limit: float | None = None,
    ) -> float:
        """Run ``nsteps`` steps on ``nthreads`` threads; return the wall time (the caller counts steps).

        ``request_stop(True)`` / ``request_stop(False)`` set and clear the STOP slot after Ctrl-C. With a
        ``limit`` (seconds), a run still going after that long is stopped the same way (every thread
        after the same step) and returns early; it then never runs inline, which could not be stopped.
        """
        inline = (
            (limit is None or nthreads == 1)
            and self._step_seconds is not None
            and self._step_seconds * nsteps < INLINE_SECONDS
        )
        t0 = time.perf_counter()
        if inline and nthreads == 1:
            self._entry(ctx, 0, 1, nsteps)
            return time.perf_counter() - t0
        first = 1 if inline else 0
        self._ensure(nthreads)
        run = _Run(nthreads - first)
        try:
            for tid in range(first, nthreads):
                self._jobs[tid].put((ctx, tid, nthreads, nsteps, run))
            if inline:
                self._entry(ctx, 0, nthreads, nsteps)
            if not run.wait(interruptible=True, limit=None if inline else limit):
                request_stop(True)  # over the limit: stop after the next step
                run.wait(interruptible=True)
                request_stop(False)
        except KeyboardInterrupt:
            request_stop(True)
            run.wait(interruptible=False)
            request_stop(False)
            raise
        if run.errors:
            raise run.errors[0]
        return time.perf_counter() - t0

    def observe(self, seconds: float, steps: int) -> None:
        """Remember how long a step takes (decides whether the next run may go inline)."""
        if steps > 0:
            self._step_seconds = seconds / steps

    def close(self) -> None:
        """Let the parked threads exit."""
        for jobs in self._jobs:
            jobs.put(None)
        for t in self._threads:
            t.join(timeout=1.0)
        self._jobs, self._threads = [], []
