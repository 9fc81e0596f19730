"""The launch layer: one small interface over a GPU (load a module, allocate, copy, launch, synchronise),
and its host implementation, :class:`EmulatedDevice`.

Implementations: :class:`EmulatedDevice` (device memory is host memory, kernels are the host flavour of
the same GPU kernels, :mod:`nnc.backend.ptx.lower`), and in :mod:`nnc.backend.ptx.cuda` the NVIDIA
driver through cuda-bindings or through pycuda. The engine (:mod:`nnc.backend.ptx.engine`) only talks
to this interface, so everything above the driver calls (lazy copies, the record table on the device,
launch plans) runs in the test suite without a GPU.
"""

from __future__ import annotations

import contextlib
import ctypes
import signal
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from nnc.backend.ptx.lower import Flavour, GpuModule


@dataclass(frozen=True, slots=True)
class LaunchStep:
    """A launch of a step sequence: kernel name, blocks, threads per block."""

    name: str
    grid: int
    block: int


class Device(Protocol):
    """What the GPU engine needs from a device."""

    name: str
    flavour: Flavour
    multiprocessors: int

    def load(self, gm: GpuModule, opt_level: int) -> dict[str, float]:
        """Compile (as this device needs) and load the kernels of ``gm``; returns the seconds per step."""
        ...

    def alloc(self, nbytes: int) -> int:
        """A zeroed allocation of ``nbytes`` bytes; its device address."""
        ...

    def free(self, addr: int) -> None:
        """Release an allocation."""
        ...

    def upload(self, addr: int, host: np.ndarray) -> None:
        """Copy the bytes of a contiguous host array to device address ``addr``."""
        ...

    def download(self, host: np.ndarray, addr: int) -> None:
        """Copy ``host.nbytes`` bytes from device address ``addr`` into a contiguous host array."""
        ...

    def run(self, steps: list[LaunchStep], ctx: int, nsteps: int) -> None:
        """Launch ``steps`` in order, ``nsteps`` times (all kernels take the device context ``ctx``), then
        wait for them. A KeyboardInterrupt stops after a whole step and is re-raised."""
        ...

    def close(self) -> None:
        """Release the device's resources (allocations made through it become invalid)."""
        ...


@contextlib.contextmanager
def deferred_interrupt() -> Iterator[Callable[[], bool]]:
    """Within this block Ctrl-C only sets a flag (on the main thread), which the caller polls between
    steps, so a run stops after a whole step; outside the main thread the block changes nothing."""
    hit: list[bool] = []
    if threading.current_thread() is not threading.main_thread():
        yield lambda: False
        return
    previous = signal.signal(signal.SIGINT, lambda *_: hit.append(True))
    try:
        yield lambda: bool(hit)
    finally:
        signal.signal(signal.SIGINT, previous)


_KERNEL = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int64, ctypes.c_int64, ctypes.c_int64)


class EmulatedDevice:
    """The GPU kernels compiled for the host: a launch runs every thread of every block, in order.

    Device memory is host memory (NumPy allocations kept alive here, addresses are real addresses), so
    the engine's copies are plain memory copies; atomics are host atomics. Launch sizes are the ones
    the engine plans for a GPU (``multiprocessors`` sets the grid cap), so the grid- and block-stride
    loops run as on a device. ``reverse``: blocks and threads run last first, which exposes code whose
    result depends on the order a GPU does not fix (races, atomic list orders).
    """

    name = "emulated GPU (host)"
    flavour = Flavour.HOST

    def __init__(self, multiprocessors: int = 2, reverse: bool = False):
        self.multiprocessors = multiprocessors
        self.reverse = int(bool(reverse))
        self._memory: dict[int, np.ndarray] = {}
        self._loaded = None
        self._kernels: dict[str, ctypes._CFuncPtr] = {}
        self.launches = 0
        self.copies = {"upload": 0, "download": 0}  # bytes copied each way (tests of the lazy copies)

    def load(self, gm: GpuModule, opt_level: int) -> dict[str, float]:
        """JIT the host flavour of the kernels."""
        import time

        from nnc.backend.ptx.emit import compile_host

        t0 = time.perf_counter()
        self._loaded = compile_host(gm, min(opt_level, 2))
        self._kernels = {name: _KERNEL(self._loaded.address(name)) for name in gm.kernel_names()}
        return {"host": time.perf_counter() - t0}

    def alloc(self, nbytes: int) -> int:
        """A zeroed, 64-byte aligned host allocation."""
        raw = np.zeros(max(1, nbytes) + 64, dtype=np.uint8)
        start = (-raw.ctypes.data) % 64
        addr = raw.ctypes.data + start
        self._memory[addr] = raw
        return addr

    def free(self, addr: int) -> None:
        """Forget an allocation."""
        self._memory.pop(addr, None)

    def upload(self, addr: int, host: np.ndarray) -> None:
        """memcpy host -> 'device'."""
        self.copies["upload"] += host.nbytes
        if host.nbytes:
            ctypes.memmove(addr, host.ctypes.data, host.nbytes)

    def download(self, host: np.ndarray, addr: int) -> None:
        """memcpy 'device' -> host."""
        self.copies["download"] += host.nbytes
        if host.nbytes:
            ctypes.memmove(host.ctypes.data, addr, host.nbytes)

    def run(self, steps: list[LaunchStep], ctx: int, nsteps: int) -> None:
        """Every launch of every step, one native call each."""
        calls = [(self._kernels[s.name], s.grid, s.block) for s in steps]
        with deferred_interrupt() as interrupted:
            for _ in range(nsteps):
                for fn, grid, block in calls:
                    fn(ctx, grid, block, self.reverse)
                self.launches += len(calls)
                if interrupted():
                    raise KeyboardInterrupt

    def close(self) -> None:
        """Free the machine code and the memory."""
        self._kernels = {}
        if self._loaded is not None:
            self._loaded.close()
            self._loaded = None
        self._memory.clear()
