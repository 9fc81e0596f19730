"""The driver layers run without a GPU: :class:`~nnc.backend.ptx.cuda.CudaBindingsDevice` against a host
stand-in for ``cuda.bindings.driver``, :class:`~nnc.backend.ptx.cuda.PyCudaDevice` against one for
``pycuda.driver``.

The stand-in keeps device memory in host memory and runs each launched kernel's host twin (the same GPU
module built for the host flavour, as the emulation does), so the whole path of a GPU run goes through
the driver layer's code: PTX emitted for the SM the device reports and loaded by name, allocations zeroed,
copies, the step captured once as a CUDA graph and replayed once per step, the host waiting every
:data:`~nnc.backend.ptx.cuda.STEPS_PER_WAIT` steps. Every driver function the layer calls has, in the
stand-in, the parameters of the installed cuda-bindings' function of the same name (checked below), so
the calls have the arity of the real API. pycuda cannot be installed without a driver, so the pycuda
stand-in follows pycuda's documentation (``prepare``/``prepared_async_call``, ``mem_alloc`` ...) unchecked.
"""

from __future__ import annotations

import ctypes
import enum
import inspect
import re

import numpy as np
import pytest
from test_gpu_emulation import _rate
from test_spiking_engines import _coba, _collect, _same

import nnc as ann
import nnc.backend.ptx.cuda as cuda_layer
import nnc.backend.ptx.engine as engine_module
from nnc.backend.ptx.device import _KERNEL
from nnc.backend.ptx.emit import compile_host
from nnc.backend.ptx.lower import Flavour, build_gpu_module
from nnc.backend.ptx.mathlib import find_libdevice


class _Twin:
    """The host twin of the module whose PTX was loaded (shared by both stand-ins)."""

    def __init__(self) -> None:
        self.build_args: tuple | None = None
        self.loaded: list = []

    def kernels(self) -> dict[str, object]:
        module, layout, choices = self.build_args  # type: ignore[misc]
        twin = build_gpu_module(module, layout, Flavour.HOST, choices)
        loaded = compile_host(twin)
        self.loaded.append(loaded)
        return {n: _KERNEL(loaded.address(n)) for n in twin.kernel_names()}


class _Result(enum.Enum):
    CUDA_SUCCESS = 0
    CUDA_ERROR_NOT_FOUND = 500


class HostDriver(_Twin):
    """``cuda.bindings.driver`` on the host (module docstring); counts what it is asked to do."""

    CUresult = _Result

    class CUdevice_attribute:  # noqa: N801 - the driver's name
        CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = "major"
        CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = "minor"
        CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT = "multiprocessors"

    class CUstreamCaptureMode:
        CU_STREAM_CAPTURE_MODE_THREAD_LOCAL = 1

    CUdeviceptr = int

    def __init__(self) -> None:
        super().__init__()
        self.memory: dict[int, np.ndarray] = {}
        self.ptx = ""
        self.functions: dict[str, object] = {}
        self.capturing: list | None = None
        self.counts = {
            "graphs": 0,
            "graph_launches": 0,
            "direct_launches": 0,
            "syncs": 0,
            "frees": 0,
            "steps": 0,
        }

    # --------------------------------------------------------------- device and context
    def cuInit(self, Flags):  # noqa: N802, N803
        return (_Result.CUDA_SUCCESS,)

    def cuDeviceGet(self, ordinal):  # noqa: N802
        return _Result.CUDA_SUCCESS, ordinal

    def cuDevicePrimaryCtxRetain(self, dev):  # noqa: N802
        return _Result.CUDA_SUCCESS, "context"

    def cuCtxSetCurrent(self, ctx):  # noqa: N802
        return (_Result.CUDA_SUCCESS,)

    def cuDeviceGetAttribute(self, attrib, dev):  # noqa: N802
        return _Result.CUDA_SUCCESS, {"major": 9, "minor": 0, "multiprocessors": 2}[attrib]

    def cuDeviceGetName(self, length, dev):  # noqa: N802
        return _Result.CUDA_SUCCESS, b"host stand-in".ljust(length, b"\0")

    def cuStreamCreate(self, Flags):  # noqa: N802, N803
        return _Result.CUDA_SUCCESS, "stream"

    def cuDevicePrimaryCtxRelease(self, dev):  # noqa: N802
        return (_Result.CUDA_SUCCESS,)

    # --------------------------------------------------------------- modules
    def cuModuleLoadData(self, image):  # noqa: N802
        assert image.endswith(b"\0"), "PTX handed to the driver must be NUL-terminated"
        self.ptx = image[:-1].decode()
        self.functions = self.kernels()
        return _Result.CUDA_SUCCESS, "module"

    def cuModuleGetFunction(self, hmod, name):  # noqa: N802
        text = name.decode()
        if not re.search(rf"\.visible \.entry {re.escape(text)}\(", self.ptx):
            return _Result.CUDA_ERROR_NOT_FOUND, None
        return _Result.CUDA_SUCCESS, text

    def cuModuleUnload(self, hmod):  # noqa: N802
        return (_Result.CUDA_SUCCESS,)

    # --------------------------------------------------------------- memory
    def cuMemAlloc(self, bytesize):  # noqa: N802
        raw = np.empty(bytesize + 256, dtype=np.uint8)
        raw[:] = 0xAB  # not zero: the layer must clear what it allocates
        addr = raw.ctypes.data + (-raw.ctypes.data) % 256
        self.memory[addr] = raw
        return _Result.CUDA_SUCCESS, addr

    def cuMemsetD8(self, dstDevice, uc, N):  # noqa: N802, N803
        ctypes.memset(int(dstDevice), uc, N)
        return (_Result.CUDA_SUCCESS,)

    def cuMemFree(self, dptr):  # noqa: N802
        self.memory.pop(int(dptr))
        self.counts["frees"] += 1
        return (_Result.CUDA_SUCCESS,)

    def cuMemcpyHtoD(self, dstDevice, srcHost, ByteCount):  # noqa: N802, N803
        ctypes.memmove(int(dstDevice), srcHost, ByteCount)
        return (_Result.CUDA_SUCCESS,)

    def cuMemcpyDtoH(self, dstHost, srcDevice, ByteCount):  # noqa: N802, N803
        ctypes.memmove(dstHost, int(srcDevice), ByteCount)
        return (_Result.CUDA_SUCCESS,)

    # --------------------------------------------------------------- launches and graphs
    def cuLaunchKernel(  # noqa: N802
        self, f, gridDimX, gridDimY, gridDimZ, blockDimX, blockDimY, blockDimZ, sharedMemBytes, hStream,  # noqa: N803
        kernelParams, extra,  # noqa: N803
    ):  # fmt: skip
        values, types = kernelParams
        assert types == (ctypes.c_uint64,)
        assert (gridDimY, gridDimZ, blockDimY, blockDimZ) == (1, 1, 1, 1)
        launch = (self.functions[f], values[0], gridDimX, blockDimX, f)
        if self.capturing is not None:
            self.capturing.append(launch)
        else:
            self.counts["direct_launches"] += 1
            self._run(launch)
        return (_Result.CUDA_SUCCESS,)

    def _run(self, launch: tuple) -> None:
        fn, ctx, grid, block, name = launch
        fn(ctx, grid, block, 0)
        if name == "nnc_step":
            self.counts["steps"] += 1

    def cuStreamBeginCapture(self, hStream, mode):  # noqa: N802, N803
        self.capturing = []
        return (_Result.CUDA_SUCCESS,)

    def cuStreamEndCapture(self, hStream):  # noqa: N802, N803
        graph, self.capturing = tuple(self.capturing or ()), None
        return _Result.CUDA_SUCCESS, graph

    def cuGraphInstantiate(self, hGraph, flags):  # noqa: N802, N803
        self.counts["graphs"] += 1
        return _Result.CUDA_SUCCESS, hGraph

    def cuGraphLaunch(self, hGraphExec, hStream):  # noqa: N802, N803
        self.counts["graph_launches"] += 1
        for launch in hGraphExec:
            self._run(launch)
        return (_Result.CUDA_SUCCESS,)

    def cuStreamSynchronize(self, hStream):  # noqa: N802, N803
        self.counts["syncs"] += 1
        return (_Result.CUDA_SUCCESS,)

    def cuGraphExecDestroy(self, hGraphExec):  # noqa: N802, N803
        return (_Result.CUDA_SUCCESS,)


class HostPyCuda(_Twin):
    """``pycuda.driver`` on the host (pycuda's documented API), counting launches and waits."""

    class device_attribute:  # noqa: N801 - pycuda's name
        MULTIPROCESSOR_COUNT = "multiprocessors"

    def __init__(self) -> None:
        super().__init__()
        self.memory: dict[int, np.ndarray] = {}
        self.ptx = ""
        self.counts = {"launches": 0, "syncs": 0, "frees": 0, "pushes": 0, "pops": 0}
        driver = self

        class Context:
            def push(self) -> None:
                driver.counts["pushes"] += 1

            def pop(self) -> None:
                driver.counts["pops"] += 1

        class Device:
            def __init__(self, ordinal: int) -> None:
                assert ordinal == 0

            def retain_primary_context(self) -> Context:
                return Context()

            def compute_capability(self) -> tuple[int, int]:
                return 8, 0

            def get_attribute(self, attr: str) -> int:
                assert attr == "multiprocessors"
                return 2

            def name(self) -> str:
                return "host stand-in"

        class Stream:
            def synchronize(self) -> None:
                driver.counts["syncs"] += 1

        self.Device, self.Stream = Device, Stream

    def init(self) -> None:
        pass

    def module_from_buffer(self, buffer: bytes):
        assert buffer.endswith(b"\0")
        self.ptx = buffer[:-1].decode()
        kernels, driver = self.kernels(), self

        class Function:
            def __init__(self, name: str) -> None:
                assert re.search(rf"\.visible \.entry {re.escape(name)}\(", driver.ptx)
                self.fn, self.types = kernels[name], None

            def prepare(self, arg_types: str) -> None:
                self.types = arg_types

            def prepared_async_call(self, grid, block, stream, *args) -> None:
                assert self.types == "Q"
                assert len(args) == 1
                assert isinstance(args[0], np.uint64)
                assert tuple(grid) == (grid[0], 1)
                assert tuple(block) == (block[0], 1, 1)
                driver.counts["launches"] += 1
                self.fn(int(args[0]), grid[0], block[0], 0)

        class Module:
            def get_function(self, name: str) -> Function:
                return Function(name)

        return Module()

    def mem_alloc(self, nbytes: int):
        raw = np.full(nbytes + 256, 0xAB, dtype=np.uint8)
        addr = raw.ctypes.data + (-raw.ctypes.data) % 256
        self.memory[addr] = raw
        driver = self

        class Allocation:
            def __int__(self) -> int:
                return addr

            def free(self) -> None:
                driver.memory.pop(addr)
                driver.counts["frees"] += 1

        return Allocation()

    def memset_d8(self, dest: int, data: int, count: int) -> None:
        ctypes.memset(int(dest), data, count)

    def memcpy_htod(self, dest: int, src: np.ndarray) -> None:
        ctypes.memmove(int(dest), src.ctypes.data, src.nbytes)

    def memcpy_dtoh(self, dest: np.ndarray, src: int) -> None:
        ctypes.memmove(dest.ctypes.data, int(src), dest.nbytes)


def _real_parameters(name: str) -> list[str]:
    from cuda.bindings import driver

    first = (getattr(driver, name).__doc__ or "").strip().splitlines()[0]
    inside = first[first.index("(") + 1 : first.rindex(")")]
    return [p.split(":")[0].split()[-1].lstrip("*") for p in inside.split(",") if p.strip()]


def test_the_stand_in_has_the_real_drivers_parameters() -> None:
    """Each driver function the layer calls takes, in the stand-in, the parameters of cuda-bindings'."""
    pytest.importorskip("cuda.bindings.driver", reason="cuda-bindings is not installed")
    source = inspect.getsource(cuda_layer.CudaBindingsDevice)
    called = sorted(set(re.findall(r"\bcu\.(cu[A-Za-z0-9]+)\(", source)))
    assert "cuLaunchKernel" in called
    assert "cuGraphLaunch" in called
    for name in called:
        mine = list(inspect.signature(getattr(HostDriver, name)).parameters)[1:]
        assert mine == _real_parameters(name), name


def _stand_in(monkeypatch: pytest.MonkeyPatch, driver: _Twin, layer: type) -> None:
    """``paradigm="cuda"`` compiles open ``layer`` over ``driver``."""
    real_build = engine_module.build_gpu_module

    def build(module, layout, flavour, choices=None):
        driver.build_args = (module, layout, choices)
        return real_build(module, layout, flavour, choices)

    monkeypatch.setattr(engine_module, "build_gpu_module", build)
    monkeypatch.setattr(
        cuda_layer, "open_device", lambda config=None: layer(0, (config or {}).get("sm"), driver=driver)
    )


@pytest.fixture
def host_driver(monkeypatch: pytest.MonkeyPatch) -> HostDriver:
    driver = HostDriver()
    _stand_in(monkeypatch, driver, cuda_layer.CudaBindingsDevice)
    return driver


@pytest.fixture
def host_pycuda(monkeypatch: pytest.MonkeyPatch) -> HostPyCuda:
    driver = HostPyCuda()
    _stand_in(monkeypatch, driver, cuda_layer.PyCudaDevice)
    return driver


def _run(build, dt: float, duration: float, gpu: bool, config: dict | None = None) -> tuple[dict, object]:
    net = ann.Network(dt=dt, seed=7)
    objects = build(net)
    net.config(**({"paradigm": "cuda"} if gpu else {"engine": "interp"}))
    net.compile(cuda_config=config or {})
    net.simulate(duration / 2)
    net.simulate(duration / 2)
    return _collect(objects), net


@pytest.mark.parametrize(
    ("build", "dt", "duration", "config"),
    [
        (_coba, 0.1, 40.0, {"block_size": 32, "max_blocks": 4096}),
        (_coba, 0.1, 40.0, {"deterministic": True, "block_size": 32, "max_blocks": 3}),
        (_rate, 1.0, 30.0, {"block_size": 32, "max_blocks": 3}),
    ],
    ids=["coba", "coba-deterministic", "rate"],
)
def test_cuda_bindings_layer_equals_the_interpreter(host_driver, build, dt, duration, config) -> None:
    if build is _rate and find_libdevice() is None:
        pytest.skip("libdevice.10.bc (CUDA toolkit) not found: the rate network's tanh/pow need it")
    expected, _ = _run(build, dt, duration, False)
    got, net = _run(build, dt, duration, True, config)
    _same(expected, got, "cuda-bindings layer")
    assert ".target sm_90" in host_driver.ptx  # the SM the device reports
    steps, per_graph = round(duration / dt), cuda_layer.STEPS_PER_GRAPH
    counts = host_driver.counts
    assert counts["steps"] == steps  # every step ran once
    assert counts["direct_launches"] == 0  # every launch is part of a graph
    run = steps // 2  # two runs, each under STEPS_PER_WAIT steps: one wait each
    assert run < cuda_layer.STEPS_PER_WAIT
    assert counts["syncs"] == 2
    assert counts["graph_launches"] == 2 * (run // per_graph + run % per_graph)  # graphs of 16 steps, then 1
    assert counts["graphs"] <= 4  # captured once per launch plan (with and without records) and size
    net._runtime.engine.close()  # type: ignore[union-attr]


def test_pycuda_layer_equals_the_interpreter(host_pycuda) -> None:
    expected, _ = _run(_coba, 0.1, 30.0, False)
    got, net = _run(_coba, 0.1, 30.0, True, {"block_size": 32, "max_blocks": 4096})
    _same(expected, got, "pycuda layer")
    assert ".target sm_80" in host_pycuda.ptx
    steps, per_step = 300, len(net._runtime.engine.plan(net._runtime.buffers, True))  # type: ignore[union-attr]
    assert host_pycuda.counts["launches"] == steps * per_step  # the step's launches, enqueued step after step
    assert host_pycuda.counts["syncs"] == 2 * -(-(steps // 2) // cuda_layer.STEPS_PER_WAIT)
    net._runtime.engine.close()  # type: ignore[union-attr]
    assert host_pycuda.counts["pops"] == host_pycuda.counts["pushes"] == 1
    assert not host_pycuda.memory  # every allocation freed


def test_long_runs_wait_every_256_steps_and_launch_16_steps_per_graph(host_driver) -> None:
    rates = []
    for gpu in (False, True):
        net = ann.Network(dt=1.0)
        pop = net.create(10, ann.LeakyIntegrator(tau=200.0))
        pop.B = np.linspace(0.1, 1.0, 10)
        net.config(**({"paradigm": "cuda"} if gpu else {"engine": "interp"}))
        net.compile()
        net.simulate(600.0)  # on the GPU: chunks of 256, 256 and 88 steps
        rates.append(np.array(pop.r))
    np.testing.assert_array_equal(rates[1], rates[0])
    assert rates[1][-1] > 0.9  # 1 - exp(-3), not saturated
    counts = host_driver.counts
    assert counts["steps"] == 600
    assert counts["syncs"] == 3
    assert counts["graph_launches"] == 16 + 16 + 5 + 8  # 88 = 5 * 16 + 8
    net._runtime.engine.close()  # type: ignore[union-attr]
