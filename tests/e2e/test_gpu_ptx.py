"""Every GPU kernel of the test networks assembles with ptxas for sm_80 and sm_90; libdevice is linked and
internalised; bad SM names are refused before LLVM sees them; the event-loop plan picks atomics only where
they are safe.

ptxas (CUDA toolkit) validates PTX without a GPU; the tests that need it skip, saying so, when it is not on
PATH.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from test_gpu_emulation import _axonal_delays, _large, _rate
from test_spiking_engines import _coba, _hybrid, _plastic

import nnc as ann
import nnc.api.build as build_module
from nnc.backend.abi import layout_of
from nnc.backend.ptx.emit import check_sm, compile_ptx, ptxas, ptxas_path, sm_of_capability
from nnc.backend.ptx.lower import Flavour, build_gpu_module
from nnc.backend.ptx.mathlib import find_libdevice, pip_libdevice
from nnc.backend.ptx.stages import GpuChoices, Job, describe, gpu_stages, lane_sums
from nnc.diagnostics import BackendError
from nnc.ir.model import Module

needs_ptxas = pytest.mark.skipif(ptxas_path() is None, reason="ptxas (CUDA toolkit) is not on PATH")
needs_libdevice = pytest.mark.skipif(
    find_libdevice() is None, reason="libdevice.10.bc (CUDA toolkit) not found"
)


class _Captured(Exception):  # noqa: N818 - a control-flow signal
    def __init__(self, module: Module):
        self.module = module


def module_of(build: Callable[[ann.Network], object], dt: float = 0.5) -> Module:
    """The module a network compiles to (after the passes), without building an engine."""
    net = ann.Network(dt=dt, seed=1)
    build(net)

    def capture(net: object, module: Module, *args: object, **kwargs: object) -> object:
        raise _Captured(module)

    saved = build_module._engine
    build_module._engine = capture  # type: ignore[assignment]
    try:
        net.compile()
    except _Captured as c:
        return c.module
    finally:
        build_module._engine = saved  # type: ignore[assignment]
    raise AssertionError("compile did not reach the engine")


def _math(net: ann.Network) -> None:
    """Every DSL function: nnc's own (exp, log, sin, cos) and libdevice's on the GPU."""
    funcs = (
        "tanh(x) + pow(x, 1.5) + sqrt(x) + log10(x + 1.0) + log2(x + 1.0) + tan(x) + asin(x * 0.1)"
        " + acos(x * 0.1) + atan(x) + sinh(x) + cosh(x) + floor(x) + ceil(x) + fabs(x) + round(x)"
        " + atan2(x, 2.0) + fmax(x, 0.5) + fmin(x, 0.5) + log1p(x) + expm1(x * 0.1) + cbrt(x) + erf(x)"
        " + erfc(x) + tgamma(x + 1.0) + lgamma(x + 1.0) + hypot(x, 1.0) + fmod(x, 0.7) + x ^ 2.0"
        " + clip(x, 0.1, 0.9) + modulo(3, 2) + power(x, 3) + exp(x) + log(x + 1.0) + sin(x) + cos(x)"
    )
    neuron = ann.Neuron(parameters=dict(x=ann.Parameter(0.3, locality="local")), equations=[f"r = {funcs}"])
    net.create(5, neuron)


NETWORKS = {
    "axonal": _axonal_delays,
    "rate": _rate,
    "large": _large,
    "coba": _coba,
    "plastic": _plastic,
    "hybrid": _hybrid,
    "math": _math,
}


#: the default kernels, and the other variants: every weighted sum split over 8 threads per dendrite,
#: spike delivery without atomics
CHOICES = {"default": GpuChoices(), "lanes-deterministic": GpuChoices(deterministic=True, lane_rows=0)}


@needs_ptxas
@needs_libdevice
@pytest.mark.parametrize(
    ("sm", "choices"), [("sm_80", "default"), ("sm_90", "default"), ("sm_90", "lanes-deterministic")]
)
@pytest.mark.parametrize("name", sorted(NETWORKS))
def test_every_kernel_assembles(name: str, sm: str, choices: str) -> None:
    module = module_of(NETWORKS[name])
    gm = build_gpu_module(module, layout_of(module), Flavour.NVPTX, CHOICES[choices])
    ptx = compile_ptx(gm, sm)
    assert f".target {sm}" in ptx.text
    entries = set(re.findall(r"\.visible \.entry (\w+)\(", ptx.text))
    assert entries == set(gm.kernel_names())
    report = ptxas(ptx.text, sm)
    if choices == "default":  # registers suffice (the post-partitioned delivery of `deterministic` spills)
        assert not [n for n in re.findall(r"(\d+) bytes spill stores", report) if int(n)], report


@needs_ptxas
@needs_libdevice
def test_libdevice_is_linked_and_internalised() -> None:
    module = module_of(_math)
    gm = build_gpu_module(module, layout_of(module), Flavour.NVPTX)
    text = compile_ptx(gm, "sm_90").text
    assert ".extern" not in text  # every called function is defined in the module
    assert re.search(r"\.visible \.func", text) is None  # libdevice's functions are internal
    assert len(text.splitlines()) < 20000  # only what is called survives
    ptxas(text, "sm_90")


@pytest.mark.parametrize("folder", ["cu13", "cuda_nvcc"])
def test_libdevice_is_found_in_nvidias_wheels(tmp_path, monkeypatch, folder: str) -> None:
    """``nvidia-nvvm`` (CUDA 13, the cuda extra) and ``nvidia-cuda-nvcc-cu12`` lay libdevice out under
    the ``nvidia`` namespace package."""
    import sys

    where = tmp_path / "nvidia" / folder / "nvvm" / "libdevice"
    where.mkdir(parents=True)
    (where / "libdevice.10.bc").write_bytes(b"BC")
    monkeypatch.delitem(sys.modules, "nvidia", raising=False)
    monkeypatch.syspath_prepend(str(tmp_path))
    assert pip_libdevice() == where / "libdevice.10.bc"


def test_only_safe_intrinsics_reach_nvptx() -> None:
    """llvm.exp/log/pow/sin ... abort LLVM on NVPTX: they never appear in a GPU module."""
    module = module_of(_math)
    text = str(build_gpu_module(module, layout_of(module), Flavour.NVPTX).llmod)
    called = set(re.findall(r'declare [^@]*@"?(llvm\.[a-z0-9]+)\.', text))
    unsafe = {
        "llvm.exp",
        "llvm.log",
        "llvm.pow",
        "llvm.sin",
        "llvm.cos",
        "llvm.tanh",
        "llvm.log10",
        "llvm.log2",
    }
    assert not (called & unsafe)
    assert '@"__nv_tanh"' in text
    assert '@"__nv_fmod"' in text  # frem is not C's fmod on NVPTX
    assert "frem" not in text


def test_sm_names_are_checked_before_llvm() -> None:
    assert check_sm("sm_80") == "sm_80"
    assert check_sm("9.0") == "sm_90"
    assert check_sm(86) == "sm_86"
    with pytest.raises(BackendError, match="unsupported compute capability"):
        check_sm("sm_42")
    assert sm_of_capability(9, 0) == "sm_90"
    assert sm_of_capability(8, 9) == "sm_89"
    assert sm_of_capability(12, 1) == "sm_120"
    with pytest.raises(BackendError):
        sm_of_capability(5, 2)


def _jobs(build: Callable[[ann.Network], object], choices: GpuChoices | None = None) -> list[str]:
    module = module_of(build)
    return [st.job.value for k in module.kernels for st in gpu_stages(module, k, choices)]


def test_deterministic_delivery_never_uses_atomics() -> None:
    jobs = _jobs(_coba, GpuChoices(deterministic=True))
    assert Job.DELIVER_OWNED.value in jobs
    assert Job.DELIVER.value not in jobs
    assert Job.DELIVER.value in _jobs(_coba)


def test_only_sums_before_any_write_are_split() -> None:
    """The partials are computed before the dendrite loop runs: a sum after a statement that writes (here
    a synapse loop updating ``w``, which the sum reads) stays in the loop."""
    from nnc.ir.nodes import Assign, ForEach, Let, Reduce, ReduceOp, Var
    from nnc.ir.types import Domain, DType, Locality

    module = module_of(_rate)
    kernel = next(k for k in module.kernels if any(st.job is Job.SUM_LANES for st in gpu_stages(module, k)))
    loop = kernel.body[0]
    assert isinstance(loop, ForEach)
    (first,) = lane_sums(module, kernel, loop, GpuChoices())
    w = Var("w", DType.REAL, Locality.LOCAL)
    update = ForEach(Domain.SYNAPSE, (Assign(w, w),))
    late = Let("late", Reduce(ReduceOp.SUM, w))
    assert lane_sums(module, kernel, ForEach(Domain.DENDRITE, (first, update, late)), GpuChoices()) == (
        first,
    )
    assert lane_sums(module, kernel, ForEach(Domain.DENDRITE, (update, first)), GpuChoices()) == ()


def test_weighted_sums_of_long_rows_use_8_threads_per_dendrite() -> None:
    """``_rate``: 40 x 40 recurrent rows (39 synapses, a hole) and 40-synapse rows onto ``out`` are split
    by default; the 8 -> 40 input (about 4 per row) and the one-to-one projection are not."""
    module = module_of(_rate)
    split = {
        module.projections[k.owner_id].name
        for k in module.kernels
        for st in gpu_stages(module, k)
        if st.job is Job.SUM_LANES
    }
    long_rows = {
        p.name for p in module.projections if p.stats and p.stats.n_synapses >= 32 * p.stats.n_dendrites
    }
    assert split == long_rows
    assert len(split) == 2
    assert Job.SUM_LANES.value not in _jobs(_rate, GpuChoices(lane_rows=None))
    every = sum(j == Job.SUM_LANES.value for j in _jobs(_rate, GpuChoices(lane_rows=0)))
    assert every == 4  # every transmit loop
    lines = describe(module)  # what dump-ir --stage ptx prints first
    split_lines = [line for line in lines if "8 threads per dendrite" in line]
    assert sorted(line.split()[1] for line in split_lines) == sorted(split)
    assert not any("rank order" in line for line in lines)
    assert any("rank order" in line for line in describe(module_of(_coba), GpuChoices(deterministic=True)))


def test_event_loops_use_atomics_only_when_safe() -> None:
    """``g_target += w`` (and ``-=``) accumulate atomically; a semiglobal variable written at a
    pre-synaptic spike is shared by the spikes reaching one dendrite: post-partitioned delivery."""

    def network(synapse: ann.Synapse) -> Callable[[ann.Network], None]:
        def build(net: ann.Network) -> None:
            lif = ann.Neuron(
                equations=["10.0 * dv/dt = -v + g_exc + 30.0"], spike="v > 10.0", reset="v = 0.0"
            )
            pop = net.create(20, lif)
            net.connect(pop, pop, "exc", synapse).fixed_probability(0.2, weights=1.0)

        return build

    plain = ann.Synapse(pre_spike="g_target -= w", post_spike="w = w + 0.01")
    assert _jobs(network(plain))[0] == Job.DELIVER.value
    assert Job.POST_EVENTS.value in _jobs(network(plain))
    shared = ann.Synapse(
        equations=[ann.Variable("dc/dt = -c", locality="semiglobal")],
        pre_spike="g_target += w * (1.0 + c)\nc += 1.0",
    )
    assert _jobs(network(shared))[0] == Job.DELIVER_OWNED.value


def test_dump_ir_ptx_for_another_sm(tmp_path) -> None:
    script = tmp_path / "net.py"
    script.write_text(
        "import nnc as ann\nnet = ann.Network()\nnet.create(4, ann.LeakyIntegrator())\n"
        "net.compile(cuda_config={'sm': 'sm_90'})\n"
    )
    from test_cli import dump

    out = dump(script, "--stage", "ptx")
    assert out.returncode == 0, out.stderr
    assert ".target sm_90" in out.stdout
