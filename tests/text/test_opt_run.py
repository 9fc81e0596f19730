"""``nnc opt`` and ``nnc run``: clear errors on malformed text, the same result as the Python pipeline,
and the same numbers on both engines."""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pytest
from passes.test_golden import MODELS
from stagekit import ROOT

from nnc.backend.llvm.engine import LlvmEngine, share
from nnc.cli import main
from nnc.diagnostics import CompileError
from nnc.ir.model import ConnectorRef, Module
from nnc.ir.nodes import Assign
from nnc.ir.printer import print_module
from nnc.ir.text import canonical_temps, parse_module
from nnc.options import CompileOptions
from nnc.passes import Pass, register
from nnc.passes.pipeline import default_pipeline, run_pipeline
from nnc.passes.registry import build_pipeline, get_pass

SCRIPT = ROOT / "tests" / "e2e" / "scripts" / "rate_network.py"


def nnc(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def dumped(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The rate network of the golden files at stage ir, with its synapses in a sidecar file."""
    folder = tmp_path_factory.mktemp("nir")
    code, text, _ = nnc("dump-ir", str(SCRIPT), "--stage", "ir", "--data", str(folder / "net.npz"))
    assert code == 0
    path = folder / "net.nir"
    path.write_text(text.replace(str(folder / "net.npz"), "net.npz"))
    return path


MALFORMED = {
    "unknown keyword": (
        "kernel inp.update phase=neuron:\n  for neuron:\n    bogus r = 1.0\n",
        3,
        "unexpected",
    ),
    "bad indentation": (
        "kernel inp.update phase=neuron:\n  for neuron:\n      r = 1.0\n    r = 2.0\n",
        4,
        None,
    ),
    "unknown attribute": ("kernel inp.update phase=neuron:\n  for neuron:\n    r = q + 1.0\n", 3, "'q'"),
    "unknown function": (
        "kernel inp.update phase=neuron:\n  for neuron:\n    r = sine(t)\n",
        3,
        "did you mean",
    ),
    "wrong arity": ("kernel inp.update phase=neuron:\n  for neuron:\n    r = exp(t, t)\n", 3, "argument"),
    "unknown phase": ("kernel inp.update phase=later:\n  for neuron:\n    r = t\n", 1, "expected one of"),
    "unbound temporary": (
        "kernel inp.update phase=neuron:\n  for neuron:\n    r = %3\n",
        3,
        "before its let",
    ),
    "bad character": ("kernel inp.update phase=neuron:\n  for neuron:\n    r = t $ 2.0\n", 3, "'$'"),
}
HEADER = (
    "module m precision=f64 dt=1.0\n\npopulation #0 inp rate geometry=(2,)\n  var r: real local = 0.0\n\n"
)


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_text_gives_one_located_error(case: str, tmp_path: Path):
    body, line, needle = MALFORMED[case]
    path = tmp_path / "bad.nir"
    path.write_text(HEADER + body)
    code, out, err = nnc("opt", str(path), "--passes", "simplify")
    assert code == 1
    assert out == ""
    assert "Traceback" not in err
    assert err.startswith("error: ")
    assert f"bad.nir, IR line {HEADER.count(chr(10)) + line}, col " in err
    assert "^" in err  # the caret under the culprit
    if needle is not None:
        assert needle in err


def test_opt_errors_without_traceback(dumped: Path, tmp_path: Path):
    code, _, err = nnc("opt", str(dumped), "--passes", "simplfy")
    assert code == 1
    assert "unknown pass 'simplfy' (did you mean 'simplify'?)" in err
    code, _, err = nnc("opt", str(tmp_path / "missing.nir"))
    assert (code, err.strip()) == (1, f"error: no such file: {tmp_path / 'missing.nir'}")


def test_opt_lowers_to_ptx_as_dump_ir_does(dumped: Path):
    """``nnc opt FILE --stage ptx`` (the default pipeline, then the GPU backend) prints the PTX that
    ``nnc dump-ir SCRIPT --stage ptx`` prints for the network the file was dumped from."""
    from nnc.backend.ptx.mathlib import find_libdevice

    if find_libdevice() is None:
        pytest.skip("libdevice.10.bc (CUDA toolkit) not found: the rate network's pow needs it on the GPU")
    code, ptx, err = nnc("opt", str(dumped), "--stage", "ptx")
    assert code == 0, err
    code, expected, _ = nnc("dump-ir", str(SCRIPT), "--stage", "ptx")
    assert code == 0
    assert ".visible .entry" in ptx
    assert ptx == expected


@register("test-break-verifier")
@dataclass(frozen=True)
class BreakVerifier(Pass):
    """Assigns a parameter (which the verifier forbids)."""

    def __call__(self, module: Module) -> Module:
        k = module.kernels[-1]
        stmt = k.body[0].body[0]  # type: ignore[attr-defined]
        bad = Assign(replace(stmt.target, name="tau"), stmt.value)
        return replace(
            module, kernels=(*module.kernels[:-1], replace(k, body=(replace(k.body[0], body=(bad,)),)))
        )


def test_error_names_the_pass_that_broke_the_verifier(dumped: Path):
    code, _, err = nnc("opt", str(dumped), "--stage", "fuse")
    assert code == 0
    fused = dumped.with_name("fused.nir")
    fused.write_text(nnc("opt", str(dumped), "--stage", "fuse")[1])
    code, _, err = nnc("opt", str(fused), "--passes", "simplify,test-break-verifier,bounds")
    assert code == 1
    assert "IR does not verify after 'test-break-verifier'" in err
    assert "Traceback" not in err


def test_opt_equals_the_python_pipeline_bit_for_bit(dumped: Path):
    """``nnc opt --passes p1,p2`` and the same passes run from Python give the same module, the same
    text and the same LLVM IR."""
    module = parse_module(dumped.read_text())
    names = ["discretise", "simplify", "bounds", "select-format", "fuse"]
    python = run_pipeline(module, tuple(get_pass(n) for n in names))
    code, text, _ = nnc("opt", str(dumped), "--passes", ",".join(names))
    assert code == 0
    assert text == print_module(python, debuginfo=True)
    assert parse_module(text) == canonical_temps(python)
    code, llvm, _ = nnc("opt", str(dumped), "--passes", ",".join(names), "--stage", "llvm")
    assert code == 0
    engine = LlvmEngine.compile(python, CompileOptions(precision=python.precision, dt=python.dt), None)
    assert llvm.rstrip("\n") == engine.llvm_ir.rstrip("\n")  # type: ignore[attr-defined]
    engine.close()
    code, kernels, _ = nnc("opt", str(dumped), "--stage", "kernels")  # the classes of the result
    assert code == 0
    assert kernels == share(python).describe(python)
    # the default pipeline up to a stage is that prefix of the passes
    code, text, _ = nnc("opt", str(dumped), "--stage", "simplify")
    assert text == print_module(run_pipeline(module, default_pipeline()[:2]), debuginfo=True)


def test_print_after_all(dumped: Path):
    code, text, _ = nnc("opt", str(dumped), "--passes", "discretise,simplify", "--print-after-all")
    assert code == 0
    assert text.count("// ----- after ") == 2
    code, text2, _ = nnc("opt", str(dumped), "--passes", "discretise,simplify", "--no-verify-each")
    assert text2 == text.split("// ----- after simplify -----\n")[1]


def test_run_interp_equals_llvm_fused_equals_unfused(dumped: Path, tmp_path: Path):
    fused = tmp_path / "fused.nir"
    fused.write_text(nnc("opt", str(dumped), "--stage", "fuse")[1])
    (tmp_path / "net.npz").write_bytes(dumped.with_name("net.npz").read_bytes())
    states = {}
    for engine in ("interp", "llvm"):
        out = tmp_path / f"{engine}.npz"
        code, _, err = nnc("run", str(fused), "--steps", "20", "--engine", engine, "--save", str(out))
        assert code == 0, err
        states[engine] = dict(np.load(out))
    assert states["interp"].keys() == states["llvm"].keys()
    for key, values in states["interp"].items():
        assert np.array_equal(values, states["llvm"][key]), key
    # the unfused module computes the same numbers (fuse changes the schedule, not the values)
    code, text, _ = nnc(
        "run", str(dumped), "--steps", "20", "--passes", "discretise,simplify,bounds,select-format"
    )
    assert code == 0
    assert "res.v: [" in text
    code, printed, _ = nnc("run", str(fused), "--steps", "20")
    assert printed == text


def test_run_synthetic_connector_and_errors(tmp_path: Path):
    m = run_pipeline(MODELS["leaky"](), default_pipeline())
    projs = tuple(
        replace(
            p,
            connect=ConnectorRef("fixed_probability", (("probability", 0.5), ("weights", 0.25), ("seed", 3))),
        )
        for p in m.projections
    )
    path = tmp_path / "leaky.nir"
    path.write_text(print_module(replace(m, projections=projs)))
    outs = [nnc("run", str(path), "--steps", "5", "--engine", e)[1] for e in ("interp", "llvm")]
    assert outs[0] == outs[1]
    assert "pop1.v" in outs[0]
    path.write_text(print_module(m))
    code, _, err = nnc("run", str(path), "--steps", "5")
    assert code == 1
    assert "projection proj0 has no connect line" in err
    unrun = tmp_path / "ode.nir"
    unrun.write_text(print_module(MODELS["leaky"]()))
    code, _, err = nnc("run", str(unrun), "--steps", "5")
    assert "still holds ODEs" in err


def test_extra_passes_enter_at_their_registered_place():
    @register("test-identity", after="simplify")
    @dataclass(frozen=True)
    class Identity(Pass):
        """Changes nothing."""

        def __call__(self, module: Module) -> Module:
            return module

    names = [p.name for p in build_pipeline(extra=["test-identity"])]
    assert names == ["discretise", "simplify", "test-identity", "bounds", "select-format", "fuse"]
    assert [p.name for p in build_pipeline(passes=["simplify", Identity()])] == ["simplify", "test-identity"]
    with pytest.raises(CompileError, match="unknown pass"):
        build_pipeline(passes=["nope"])
