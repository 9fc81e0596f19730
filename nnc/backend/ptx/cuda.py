"""The NVIDIA driver behind the :class:`~nnc.backend.ptx.device.Device` interface: cuda-bindings or pycuda.

DESIGN.md §6: pycuda's build links against the driver library, so it installs only where a driver is;
NVIDIA's cuda-bindings installs from wheels everywhere and imports without a driver. nnc uses pycuda
where it is installed and cuda-bindings otherwise (``pip install nnc-sim[cuda]`` installs cuda-bindings).
Both load the PTX of the module (the driver JIT-compiles it for the device), allocate, copy and launch
on one stream; cuda-bindings runs the step sequence as CUDA graphs captured once per launch plan (16
steps per graph),
pycuda launches the sequence step after step (asynchronously: the host never waits inside a run).

:func:`open_device` picks the implementation from ``compile(cuda_config=...)``: ``{"device": 0}`` (the
default) the first GPU, ``{"device": "emulate"}`` the host emulation (:class:`EmulatedDevice`), and
``{"driver": "pycuda" | "cuda-bindings"}`` forces a driver layer; with the emulation, ``{"order": "reverse"}``
runs every launch's blocks and threads last first.
"""

from __future__ import annotations

import ctypes
import importlib.util
import time
from typing import Any

import numpy as np

from nnc.backend.ptx.device import Device, EmulatedDevice, LaunchStep, deferred_interrupt
from nnc.backend.ptx.emit import compile_ptx, sm_of_capability
from nnc.backend.ptx.lower import Flavour, GpuModule
from nnc.diagnostics import ModelError, SimulationError

#: Steps enqueued between two waits (and Ctrl-C polls).
STEPS_PER_WAIT = 256
#: Steps captured in one CUDA graph (a divisor of STEPS_PER_WAIT): one host call launches them all.
STEPS_PER_GRAPH = 16

DRIVERS = ("pycuda", "cuda-bindings")


class NoDeviceError(SimulationError):
    """No usable NVIDIA driver or device."""


def _hint() -> str:
    return "to run the same GPU kernels on the host, compile with cuda_config={'device': 'emulate'}"


class CudaBindingsDevice:
    """A GPU through NVIDIA's ``cuda.bindings.driver`` (``driver``: a module with the same functions, for
    tests)."""

    flavour = Flavour.NVPTX

    def __init__(self, ordinal: int = 0, sm: str | None = None, driver: Any = None):
        if driver is None:
            try:
                from cuda.bindings import driver
            except ImportError as e:
                raise NoDeviceError("paradigm='cuda' needs cuda-bindings: pip install 'nnc-sim[cuda]'") from e
        self.cu = cu = driver
        try:
            self._check(cu.cuInit(0), "cuInit")
        except NoDeviceError:
            raise
        except Exception as e:
            raise NoDeviceError(f"the NVIDIA driver could not be initialised ({e}); {_hint()}") from e
        self.dev = self._check(cu.cuDeviceGet(int(ordinal)), "cuDeviceGet")
        self.ctx = self._check(cu.cuDevicePrimaryCtxRetain(self.dev), "cuDevicePrimaryCtxRetain")
        self._check(cu.cuCtxSetCurrent(self.ctx), "cuCtxSetCurrent")
        attr = cu.CUdevice_attribute
        major = self._attribute(attr.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR)
        minor = self._attribute(attr.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR)
        self.multiprocessors = self._attribute(attr.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT)
        self.sm = sm or sm_of_capability(major, minor)
        name = self._check(cu.cuDeviceGetName(256, self.dev), "cuDeviceGetName")
        self.name = bytes(name).split(b"\0", 1)[0].decode(errors="replace")
        self.stream = self._check(cu.cuStreamCreate(0), "cuStreamCreate")
        self._module: Any = None
        self._functions: dict[str, Any] = {}
        self._graphs: dict[tuple, Any] = {}
        self.ptx = ""

    def _check(self, result: Any, what: str) -> Any:
        err, *rest = result if isinstance(result, tuple) else (result,)
        if err != self.cu.CUresult.CUDA_SUCCESS:
            raise NoDeviceError(f"{what} failed: {err}; {_hint()}")
        if not rest:
            return None
        return rest[0] if len(rest) == 1 else tuple(rest)

    def _attribute(self, which: Any) -> int:
        return int(self._check(self.cu.cuDeviceGetAttribute(which, self.dev), "cuDeviceGetAttribute"))

    def load(self, gm: GpuModule, opt_level: int) -> dict[str, float]:
        """Emit PTX for the device's SM and load it (the driver compiles it)."""
        ptx = compile_ptx(gm, self.sm, opt_level)
        self.ptx = ptx.text
        t0 = time.perf_counter()
        self._module = self._check(self.cu.cuModuleLoadData(ptx.text.encode() + b"\0"), "cuModuleLoadData")
        self._functions = {
            n: self._check(self.cu.cuModuleGetFunction(self._module, n.encode()), "cuModuleGetFunction")
            for n in gm.kernel_names()
        }
        return {**ptx.seconds, "load": time.perf_counter() - t0}

    def alloc(self, nbytes: int) -> int:
        """``cuMemAlloc`` + zero."""
        ptr = self._check(self.cu.cuMemAlloc(max(1, nbytes)), "cuMemAlloc")
        self._check(self.cu.cuMemsetD8(ptr, 0, max(1, nbytes)), "cuMemsetD8")
        return int(ptr)

    def free(self, addr: int) -> None:
        """``cuMemFree``."""
        self._check(self.cu.cuMemFree(self.cu.CUdeviceptr(addr)), "cuMemFree")

    def upload(self, addr: int, host: np.ndarray) -> None:
        """Host -> device."""
        if host.nbytes:
            self._check(
                self.cu.cuMemcpyHtoD(self.cu.CUdeviceptr(addr), host.ctypes.data, host.nbytes), "cuMemcpyHtoD"
            )

    def download(self, host: np.ndarray, addr: int) -> None:
        """Device -> host."""
        if host.nbytes:
            self._check(
                self.cu.cuMemcpyDtoH(host.ctypes.data, self.cu.CUdeviceptr(addr), host.nbytes), "cuMemcpyDtoH"
            )

    def _launch(self, step: LaunchStep, ctx: int) -> None:
        params = ((ctx,), (ctypes.c_uint64,))  # the kernel's one argument: the device context address
        fn = self._functions[step.name]
        self._check(
            self.cu.cuLaunchKernel(fn, step.grid, 1, 1, step.block, 1, 1, 0, self.stream, params, 0),
            f"cuLaunchKernel({step.name})",
        )

    def _graph(self, steps: list[LaunchStep], ctx: int, repeat: int) -> Any:
        """The executable graph of ``repeat`` steps (captured once per launch plan)."""
        key = (tuple(steps), ctx, repeat)
        exe = self._graphs.get(key)
        if exe is None:
            cu = self.cu
            mode = cu.CUstreamCaptureMode.CU_STREAM_CAPTURE_MODE_THREAD_LOCAL
            self._check(cu.cuStreamBeginCapture(self.stream, mode), "cuStreamBeginCapture")
            for _ in range(repeat):
                for s in steps:
                    self._launch(s, ctx)
            graph = self._check(cu.cuStreamEndCapture(self.stream), "cuStreamEndCapture")
            exe = self._check(cu.cuGraphInstantiate(graph, 0), "cuGraphInstantiate")
            self._graphs[key] = exe
        return exe

    def run(self, steps: list[LaunchStep], ctx: int, nsteps: int) -> None:
        """The step sequence as CUDA graphs of :data:`STEPS_PER_GRAPH` steps (and of one step for the
        rest), ``nsteps`` steps in all; waits every :data:`STEPS_PER_WAIT` steps (and stops there on
        Ctrl-C)."""
        many = self._graph(steps, ctx, STEPS_PER_GRAPH) if nsteps >= STEPS_PER_GRAPH else None
        one = self._graph(steps, ctx, 1) if nsteps % STEPS_PER_GRAPH or nsteps < STEPS_PER_GRAPH else None
        with deferred_interrupt() as interrupted:
            done = 0
            while done < nsteps:
                chunk = min(STEPS_PER_WAIT, nsteps - done)
                for exe, times in ((many, chunk // STEPS_PER_GRAPH), (one, chunk % STEPS_PER_GRAPH)):
                    for _ in range(times):
                        self._check(self.cu.cuGraphLaunch(exe, self.stream), "cuGraphLaunch")
                self._check(self.cu.cuStreamSynchronize(self.stream), "cuStreamSynchronize")
                done += chunk
                if interrupted():
                    raise KeyboardInterrupt

    def close(self) -> None:
        """Destroy graphs, unload the module, release the context."""
        cu = self.cu
        for exe in self._graphs.values():
            cu.cuGraphExecDestroy(exe)
        self._graphs.clear()
        if self._module is not None:
            cu.cuModuleUnload(self._module)
            self._module = None
        cu.cuDevicePrimaryCtxRelease(self.dev)


class PyCudaDevice:
    """A GPU through pycuda (used where pycuda is installed; ``driver``: a module with the functions of
    ``pycuda.driver``, for tests)."""

    flavour = Flavour.NVPTX

    def __init__(self, ordinal: int = 0, sm: str | None = None, driver: Any = None):
        if driver is None:
            try:
                import pycuda.driver as driver
            except ImportError as e:
                raise NoDeviceError("pycuda is not installed") from e
        self.drv = drv = driver
        try:
            drv.init()
            self.dev = drv.Device(int(ordinal))
        except Exception as e:
            raise NoDeviceError(f"the NVIDIA driver could not be initialised ({e}); {_hint()}") from e
        self.context = self.dev.retain_primary_context()
        self.context.push()
        major, minor = self.dev.compute_capability()
        self.sm = sm or sm_of_capability(major, minor)
        self.multiprocessors = int(self.dev.get_attribute(drv.device_attribute.MULTIPROCESSOR_COUNT))
        self.name = self.dev.name()
        self.stream = drv.Stream()
        self._allocations: dict[int, Any] = {}
        self._functions: dict[str, Any] = {}
        self._module: Any = None
        self.ptx = ""

    def load(self, gm: GpuModule, opt_level: int) -> dict[str, float]:
        """Emit PTX and load it with ``module_from_buffer``."""
        ptx = compile_ptx(gm, self.sm, opt_level)
        self.ptx = ptx.text
        t0 = time.perf_counter()
        self._module = self.drv.module_from_buffer(ptx.text.encode() + b"\0")
        for n in gm.kernel_names():
            fn = self._module.get_function(n)
            fn.prepare("Q")
            self._functions[n] = fn
        return {**ptx.seconds, "load": time.perf_counter() - t0}

    def alloc(self, nbytes: int) -> int:
        """``mem_alloc`` + zero."""
        mem = self.drv.mem_alloc(max(1, nbytes))
        self.drv.memset_d8(int(mem), 0, max(1, nbytes))
        self._allocations[int(mem)] = mem
        return int(mem)

    def free(self, addr: int) -> None:
        """Release an allocation."""
        mem = self._allocations.pop(addr, None)
        if mem is not None:
            mem.free()

    def upload(self, addr: int, host: np.ndarray) -> None:
        """Host -> device."""
        if host.nbytes:
            self.drv.memcpy_htod(addr, host)

    def download(self, host: np.ndarray, addr: int) -> None:
        """Device -> host."""
        if host.nbytes:
            self.drv.memcpy_dtoh(host, addr)

    def run(self, steps: list[LaunchStep], ctx: int, nsteps: int) -> None:
        """The step sequence enqueued step after step; waits every :data:`STEPS_PER_WAIT` steps."""
        calls = [(self._functions[s.name], (s.grid, 1), (s.block, 1, 1)) for s in steps]
        arg = np.uint64(ctx)
        with deferred_interrupt() as interrupted:
            done = 0
            while done < nsteps:
                chunk = min(STEPS_PER_WAIT, nsteps - done)
                for _ in range(chunk):
                    for fn, grid, block in calls:
                        fn.prepared_async_call(grid, block, self.stream, arg)
                self.stream.synchronize()
                done += chunk
                if interrupted():
                    raise KeyboardInterrupt

    def close(self) -> None:
        """Free the allocations and pop the context."""
        for mem in self._allocations.values():
            mem.free()
        self._allocations.clear()
        self._module = None
        self.context.pop()


def available_driver() -> str | None:
    """The driver layer nnc would use: pycuda where installed, else cuda-bindings, else None."""
    if importlib.util.find_spec("pycuda") is not None:
        return "pycuda"
    if importlib.util.find_spec("cuda") is not None and importlib.util.find_spec("cuda.bindings") is not None:
        return "cuda-bindings"
    return None


def open_device(config: dict | None = None) -> Device:
    """The device ``compile(cuda_config=...)`` asks for (module docstring)."""
    config = dict(config or {})
    which = config.get("device", 0)
    if which in ("emulate", "host", "emulation"):
        order = config.get("order", "forward")
        if order not in ("forward", "reverse"):
            raise ModelError(f"cuda_config: order must be 'forward' or 'reverse', got {order!r}")
        return EmulatedDevice(int(config.get("multiprocessors", 2)), reverse=order == "reverse")
    driver = config.get("driver") or available_driver()
    sm = config.get("sm")
    if driver == "pycuda":
        return PyCudaDevice(int(which), sm)
    if driver == "cuda-bindings":
        return CudaBindingsDevice(int(which), sm)
    if driver is None:
        raise NoDeviceError(
            "paradigm='cuda' needs pycuda or cuda-bindings (pip install 'nnc-sim[cuda]'); " + _hint()
        )
    raise NoDeviceError(f"cuda_config: unknown driver {driver!r}; expected one of {', '.join(DRIVERS)}")


def gpu_available() -> tuple[bool, str]:
    """Whether a GPU can be opened here, and why not."""
    try:
        dev = open_device({})
    except (NoDeviceError, OSError) as e:
        return False, str(e)
    dev.close()
    return True, ""
