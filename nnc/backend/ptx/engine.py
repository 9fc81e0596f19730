"""``GpuEngine``: runs a module's GPU kernels on a :class:`~nnc.backend.ptx.device.Device`.

State stays in the :class:`~nnc.runtime.buffers.Buffers` (host NumPy arrays, what the API reads and
writes); the engine keeps a device copy of each buffer and copies lazily (DESIGN.md §6):

* before a run, only the buffers the host may have changed since the last run are uploaded (all of
  them the first time; a buffer replaced by a new array is reallocated);
* after a run, the buffers the kernels can write are marked stale on the host and downloaded only
  when the host touches them (``Buffers.array`` calls :meth:`GpuEngine.host_access`);
* value slots (step counter, queue and spike-ring heads, timed-array counters ...) are a few words: the
  device context is uploaded before and downloaded after every run;
* the record table is rebuilt on the device for each run (device addresses; destinations sized for the
  run's samples, as the host's), the kernels record on the device, and after the run the samples are
  copied back once, in one chunk per run (:mod:`nnc.runtime.scheduler` cuts long runs into chunks).

A step is a fixed sequence of launches that never waits for the host (every decision, such as the
gates or the spike counts, is read on the device); the device runs it ``nsteps`` times (as a CUDA graph
where the driver layer supports it).
"""

from __future__ import annotations

import bisect
import time
from dataclasses import dataclass

import numpy as np

from nnc.backend.abi import (
    RECORD_FIELDS,
    ConnField,
    ConnKey,
    ElemCode,
    Layout,
    RecordField,
    RuntimeField,
    RuntimeKey,
    SlotKey,
    SlotKind,
    SpikeField,
    SpikeKey,
    layout_of,
)
from nnc.backend.llvm.globalops import block_count
from nnc.backend.llvm.places import Places
from nnc.backend.llvm.reduce import LANES
from nnc.backend.ptx.device import Device, LaunchStep
from nnc.backend.ptx.lower import Launch, Size, build_gpu_module, step_sequence
from nnc.backend.ptx.stages import SPIKE_CHUNK, GpuChoices
from nnc.diagnostics import SimulationError
from nnc.ir.model import Module
from nnc.ir.nodes import Assign, Clamp, ForDendrite, Stmt, nested_bodies
from nnc.ir.types import Precision
from nnc.options import CompileOptions
from nnc.runtime.buffers import PADDING, Buffers

_TABLE = RuntimeKey(RuntimeField.RECORD_TABLE)
_STEP = RuntimeKey(RuntimeField.STEP)
#: Threads per block of element loops, and the bounds of a spike's block.
BLOCK = 256
MIN_SPIKE_BLOCK, MAX_SPIKE_BLOCK = 32, 256
#: Blocks per multiprocessor at most (grid-stride loops cover the rest).
BLOCKS_PER_SM = 32


def written_keys(module: Module, layout: Layout) -> set[SlotKey]:
    """Pointer slots a kernel may write (the host copy is stale after a run)."""
    keys: set[SlotKey] = set()

    def visit(places: Places, body: tuple[Stmt, ...]) -> None:
        for s in body:
            if isinstance(s, ForDendrite):
                visit(Places(module, module.dendrite_kernel(s)), s.body)
                continue
            if isinstance(s, Assign | Clamp):
                keys.add(places.state(s.target)[0])
            else:
                keys.update(places._stmt_slots(s))
            for inner in nested_bodies(s):
                visit(places, inner)

    for kernel in module.kernels:
        visit(Places(module, kernel), kernel.body)
    return {k for k in keys if layout.kinds.get(k) is SlotKind.POINTER}


@dataclass(slots=True)
class _Mirror:
    """The device copy of a host buffer."""

    host: np.ndarray
    addr: int
    nbytes: int


def _pow2_between(n: float, lo: int, hi: int) -> int:
    size = lo
    while size < n and size < hi:
        size *= 2
    return size


class GpuEngine:
    """A compiled network on a GPU (implements :class:`nnc.runtime.engine.Engine`)."""

    name = "cuda"

    def __init__(
        self,
        module: Module,
        options: CompileOptions,
        device: Device,
        block_size: int = BLOCK,
        max_blocks: int | None = None,
        choices: GpuChoices | None = None,
    ):
        self.module = module
        self.options = options
        self.device = device
        self.layout = layout_of(module)
        self.block_size = int(block_size)
        self.max_blocks = int(max_blocks) if max_blocks else device.multiprocessors * BLOCKS_PER_SM
        t0 = time.perf_counter()
        self.choices = choices or GpuChoices()
        self.gpu_module = build_gpu_module(module, self.layout, device.flavour, self.choices)
        self.compile_seconds = {"lower": time.perf_counter() - t0}
        self.compile_seconds.update(device.load(self.gpu_module, options.opt_level))
        self._written = written_keys(module, self.layout)
        self._scratch = {
            k for k in self.layout.kinds if isinstance(k, SpikeKey) and k.field is SpikeField.THREAD
        }
        self._mirrors: dict[SlotKey, _Mirror] = {}
        self._stale_host: set[SlotKey] = set()  # the device copy is newer
        self._stale_device: set[SlotKey] = set()  # the host copy may be newer
        self._dctx = np.zeros(max(self.layout.size + len(self.gpu_module.scratch), 1), dtype=np.uint64)
        self._scratch: list[tuple[int, int]] = []  # (address, bytes) of each scratch buffer
        self._ctx_addr = device.alloc(self._dctx.nbytes)
        self._buffers: Buffers | None = None
        self._temporary: list[int] = []
        self.steps_launched = 0

    # ------------------------------------------------------------------ residency
    def _attach(self, buffers: Buffers) -> None:
        if buffers.layout.slots != self.layout.slots:
            raise SimulationError("these buffers were laid out for a different module")
        if self._buffers is buffers:
            return
        if self._buffers is not None:
            self.sync_host()
            self._buffers.residency = None
        for m in self._mirrors.values():
            self.device.free(m.addr)
        self._mirrors.clear()
        self._stale_host.clear()
        self._buffers = buffers
        buffers.residency = self

    def host_access(self, key: SlotKey) -> None:
        """The host is about to read or write the buffer of ``key``: make its copy current."""
        if key in self._stale_host:
            m = self._mirrors[key]
            self.device.download(m.host, m.addr)
            self._stale_host.discard(key)
        self._stale_device.add(key)

    def sync_host(self) -> None:
        """Download every stale buffer (before the buffers change engine)."""
        for key in list(self._stale_host):
            self.host_access(key)

    def _push(self, buffers: Buffers) -> None:
        for key, kind in self.layout.kinds.items():
            if kind is not SlotKind.POINTER or key == _TABLE:
                continue
            host = buffers.arrays[key]
            m = self._mirrors.get(key)
            if m is None or m.host is not host:
                if m is not None:
                    self.device.free(m.addr)
                nbytes = (host.size + PADDING) * host.itemsize
                m = self._mirrors[key] = _Mirror(host, self.device.alloc(nbytes), nbytes)
                self._dctx[self.layout.slot(key)] = m.addr
                self._stale_host.discard(key)
                if key not in self._scratch:
                    self.device.upload(m.addr, host)
            elif key in self._stale_device and key not in self._stale_host and key not in self._scratch:
                self.device.upload(m.addr, host)
        self._stale_device.clear()
        for key, kind in self.layout.kinds.items():
            if kind is SlotKind.VALUE:
                self._dctx[self.layout.slot(key)] = buffers.ctx[self.layout.slot(key)]
        self._size_scratch(buffers)

    def _size_scratch(self, buffers: Buffers) -> None:
        """(Re)allocate the kernels' own buffers (weighted-sum partials, sized for the projections' current
        dendrite counts; per-chunk spike counts) and put their addresses after the layout's slots."""
        real = 8 if self.module.precision is Precision.F64 else 4
        for n, entry in enumerate(self.gpu_module.scratch):
            if entry.spikes:
                nbytes = 8 * entry.count
            else:
                nbytes = (
                    entry.count * buffers.value(ConnKey(entry.owner, ConnField.N_DENDRITES)) * LANES * real
                )
            if n == len(self._scratch):
                self._scratch.append((0, -1))
            addr, have = self._scratch[n]
            if have < nbytes:
                if have >= 0:
                    self.device.free(addr)
                addr = self.device.alloc(max(nbytes, 8))
                self._scratch[n] = (addr, nbytes)
            self._dctx[self.layout.size + n] = addr

    # ------------------------------------------------------------------ records
    def _device_table(
        self, buffers: Buffers
    ) -> tuple[np.ndarray, list[tuple[int, np.ndarray, np.ndarray | None]]]:
        """The record table with device addresses, and (row, host destination, host spike counts) to fetch."""
        table = buffers.records
        spans = sorted((a.ctypes.data, a.nbytes, k) for k, a in buffers.arrays.items() if a.size)
        starts = [s[0] for s in spans]
        out = np.array(table, dtype=np.int64, copy=True)
        fetch: list[tuple[int, np.ndarray, np.ndarray | None]] = []
        for row in range(len(table)):
            r = out[row]
            # a source may start inside a buffer (the axonal half of a spike population's CURRENT)
            address = int(table[row, RecordField.SRC.value])
            i = bisect.bisect_right(starts, address) - 1
            src_key = spans[i][2] if i >= 0 and address < spans[i][0] + spans[i][1] else None
            if src_key is None or src_key not in self._mirrors:
                r[RecordField.ACTIVE.value] = 0
                continue
            r[RecordField.SRC.value] = self._mirrors[src_key].addr + (address - spans[i][0])
            if buffers.is_spike_record(row):
                ranks, counts = buffers.spike_destination(row)
                r[RecordField.DST.value] = self._temp(ranks)
                r[RecordField.INDEX.value] = self._temp(counts)
                fetch.append((row, ranks, counts))
                continue
            _, index = buffers.record_source(row)
            if index is not None:
                r[RecordField.INDEX.value] = self._temp(index, upload=True)
            dst = buffers.record_destination(row)
            r[RecordField.DST.value] = self._temp(dst)
            fetch.append((row, dst, None))
        return out, fetch

    def _temp(self, host: np.ndarray, upload: bool = False) -> int:
        addr = self.device.alloc(max(host.nbytes, 8))
        if upload:
            self.device.upload(addr, np.ascontiguousarray(host))
        self._temporary.append(addr)
        return addr

    def _collect(self, buffers: Buffers, table_addr: int, fetch: list) -> None:
        n = len(buffers.records)
        after = np.zeros(max(n, 1) * RECORD_FIELDS, dtype=np.int64)
        self.device.download(after, table_addr)
        after = after[: n * RECORD_FIELDS].reshape(n, RECORD_FIELDS)
        table = buffers.records
        for row, dst, counts in fetch:
            count = int(after[row, RecordField.COUNT.value])
            table[row, RecordField.COUNT.value] = count
            addr = int(after[row, RecordField.DST.value])
            if counts is not None:
                fill = int(after[row, RecordField.FILL.value])
                table[row, RecordField.FILL.value] = fill
                self.device.download(dst[:fill], addr)
                self.device.download(counts[:count], int(after[row, RecordField.INDEX.value]))
            else:
                size = count * int(table[row, RecordField.N.value])
                self.device.download(dst[:size], addr)

    # ------------------------------------------------------------------ launches
    def _elements(self, n: int) -> tuple[int, int]:
        return max(1, min(-(-max(n, 1) // self.block_size), self.max_blocks)), self.block_size

    def plan(self, buffers: Buffers, with_records: bool) -> list[LaunchStep]:
        """The launches of one step with their sizes for the current connectivity."""
        return [self._size(launch, buffers) for launch in step_sequence(self.gpu_module, with_records)]

    def _size(self, launch: Launch, buffers: Buffers) -> LaunchStep:
        pops = self.module.populations
        match launch.size:
            case Size.ONE:
                grid, block = 1, 1
            case Size.NEURONS:
                grid, block = self._elements(pops[launch.owner].size)
            case Size.BLOCKS:
                grid, block = self._elements(block_count(pops[launch.owner].size))
            case Size.DENDRITES:
                grid, block = self._elements(buffers.value(ConnKey(launch.owner, ConnField.N_DENDRITES)))
            case Size.CHUNKS:
                grid, block = self._elements(-(-pops[launch.owner].size // SPIKE_CHUNK))
            case Size.DENDRITE_LANES:
                n = buffers.value(ConnKey(launch.owner, ConnField.N_DENDRITES))
                grid, block = self._elements(LANES * n)
            case Size.POST_OWNERS:
                grid, block = self._elements(-(-pops[launch.post].size // 8))
            case Size.POST_NEURONS:
                grid, block = self._elements(pops[launch.post].size)
            case Size.PRE_SPIKES | Size.POST_SPIKES:
                synapses = buffers.value(ConnKey(launch.owner, ConnField.N_SYNAPSES))
                if launch.size is Size.PRE_SPIKES:
                    rows, spikes = pops[launch.pre].size, pops[launch.pre].size
                else:
                    rows = buffers.value(ConnKey(launch.owner, ConnField.N_DENDRITES))
                    spikes = pops[launch.post].size
                block = _pow2_between(synapses / max(rows, 1), MIN_SPIKE_BLOCK, MAX_SPIKE_BLOCK)
                grid = max(1, min(spikes, self.max_blocks))
            case Size.RECORDS:
                table = buffers.records
                widths = [int(r[RecordField.N.value]) for r in table if r[RecordField.ACTIVE.value]]
                grid, block = self._elements(max(widths, default=1))
        return LaunchStep(launch.name, grid, block)

    # ------------------------------------------------------------------ running
    def run(self, buffers: Buffers, nsteps: int) -> int:
        """Advance the network by ``nsteps`` steps on the device."""
        if nsteps <= 0:
            return 0
        self._attach(buffers)
        self._push(buffers)
        before = buffers.step
        table, fetch = self._device_table(buffers)
        table_addr = self._temp(table.reshape(-1), upload=True) if len(table) else 0
        self._dctx[self.layout.slot(_TABLE)] = table_addr
        active = bool(len(table)) and bool(table[:, RecordField.ACTIVE.value].any())
        steps = self.plan(buffers, active)
        self.device.upload(self._ctx_addr, self._dctx)
        try:
            self.device.run(steps, self._ctx_addr, int(nsteps))
        finally:
            self._pull(buffers, table_addr, fetch)
        return buffers.step - before

    def _pull(self, buffers: Buffers, table_addr: int, fetch: list) -> None:
        self.device.download(self._dctx, self._ctx_addr)
        for key, kind in self.layout.kinds.items():
            if kind is SlotKind.VALUE:
                buffers.ctx[self.layout.slot(key)] = self._dctx[self.layout.slot(key)]
        if table_addr:
            self._collect(buffers, table_addr, fetch)
        for addr in self._temporary:
            self.device.free(addr)
        self._temporary.clear()
        self._stale_host |= self._written & self._mirrors.keys()
        self._stale_device -= self._stale_host

    def close(self) -> None:
        """Copy the state back to the host and release the device."""
        if self._buffers is not None:
            self.sync_host()
            self._buffers.residency = None
            self._buffers = None
        self.device.close()


__all__ = ["ElemCode", "GpuEngine", "written_keys"]
