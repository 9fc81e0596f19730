"""``nnc dump-ir``: every stage of a real script, run as a subprocess."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from nnc.cli import stage_names

SCRIPT = """
import sys
import nnc as ann

class Twin(ann.Network):
    def __init__(self):
        self.create(3, ann.Neuron(equations="r = 2 * t"), name="twin")

net = ann.Network(dt=0.1, seed=42)
LI = ann.Neuron(parameters=dict(tau=10.0, I=1.0),
                equations=["tau * dv/dt + v = I : init=0.0", "r = pos(v)"])
pop = net.create((10, 10), LI, name="field")
m = net.monitor(pop, ["v", "r"])
if "--with-twin" in sys.argv:
    Twin().compile()
net.compile()
net.simulate(10.0)
print("simulated", net.current_step)
"""


@pytest.fixture
def script(tmp_path: Path) -> Path:
    path = tmp_path / "field.py"
    path.write_text(SCRIPT)
    return path


def dump(script: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nnc.cli", "dump-ir", str(script), *args],
        capture_output=True,
        text=True,
        cwd=script.parent,
        timeout=120,
        check=False,
    )


def test_parse_stage_prints_the_analysed_model(script: Path) -> None:
    out = dump(script, "--stage", "parse")
    assert out.returncode == 0, out.stderr
    assert "neuron field rate of population field:" in out.stdout
    assert "  var v: real local = 0.0" in out.stdout
    assert "ode[explicit] v: tau * dv/dt + v = I" in out.stdout
    assert "simulated" not in out.stdout  # the script stops at compile()


def test_ir_and_every_pass(script: Path) -> None:
    ir = dump(script, "--stage", "ir")
    assert ir.returncode == 0, ir.stderr
    assert "kernel field.update phase=neuron:" in ir.stdout
    assert "ode[explicit] v" in ir.stdout
    passes = stage_names()[2 : stage_names().index("kernels")]
    assert passes[0] == "discretise"
    for name in passes:
        out = dump(script, "--stage", name)
        assert out.returncode == 0, out.stderr
        assert out.stdout.startswith("module network")
        assert "ode[" not in out.stdout
        assert "v = v + dt * " in out.stdout


def test_default_stage_is_the_last_pass(script: Path) -> None:
    last_pass = stage_names()[stage_names().index("kernels") - 1]
    assert dump(script).stdout == dump(script, "--stage", last_pass).stdout


def test_debuginfo_prints_locations(script: Path) -> None:
    out = dump(script, "--stage", "ir", "--debuginfo")
    assert "loc(Neuron 'field', equations line 1, col 1)" in out.stdout


@pytest.mark.skipif(
    importlib.util.find_spec("nnc.backend.llvm.engine") is None, reason="LLVM engine not built"
)
def test_llvm_stage(script: Path) -> None:
    out = dump(script, "--stage", "llvm")
    assert out.returncode == 0, out.stderr
    assert "define" in out.stdout
    assert "nnc_run" in out.stdout


def test_kernels_stage_shows_which_kernels_share_code(tmp_path: Path) -> None:
    """Three populations of one model and one of another: the update and clear kernels of the three
    share one class each, the fourth population's update is a class of its own."""
    path = tmp_path / "shared.py"
    path.write_text(
        "import nnc as ann\n"
        "leaky = ann.Neuron(parameters='tau = 10.0', equations='tau * dr/dt + r = sum(exc)')\n"
        "other = ann.Neuron(equations='r = sum(exc) + 1.0')\n"
        "net = ann.Network()\n"
        "pops = [net.create(10, leaky, name=f'a{i}') for i in range(3)] + [net.create(10, other, name='b')]\n"
        "for i in range(4):\n"
        "    net.connect(pops[i], pops[(i + 1) % 4], 'exc').all_to_all(weights=0.1)\n"
        "net.compile()\n"
    )
    out = dump(path, "--stage", "kernels")
    assert out.returncode == 0, out.stderr
    classes = [line for line in out.stdout.splitlines() if line.startswith("class ")]
    assert any(line.endswith(": a1.update, a2.update") for line in classes), classes
    assert any(line.endswith(": b.update") for line in classes), classes
    assert "population #0 p0 rate geometry=(10,)" in out.stdout  # the canonical module of a class


def test_ptx_stage(script: Path) -> None:
    out = dump(script, "--stage", "ptx")
    assert out.returncode == 0, out.stderr
    assert ".target sm_80" in out.stdout
    assert ".visible .entry nnc_step(" in out.stdout


def test_errors(script: Path, tmp_path: Path) -> None:
    assert dump(script, "--stage", "nope").returncode == 1
    assert dump(tmp_path / "missing.py").returncode == 1
    idle = tmp_path / "idle.py"
    idle.write_text("import nnc as ann\nann.Network(seed=1)\n")
    out = dump(idle)
    assert out.returncode == 1
    assert "without compiling" in out.stderr
    bad = tmp_path / "bad.py"
    bad.write_text(
        "import nnc as ann\nnet = ann.Network()\n"
        "net.create(2, ann.Neuron(equations='r = tua'))\nnet.compile()\n"
    )
    out = dump(bad, "--stage", "parse")
    assert out.returncode == 1
    assert "tua" in out.stderr


def test_network_selection_and_script_arguments(script: Path) -> None:
    out = dump(script, "--stage", "parse", "--network", "Twin", "--", "--with-twin")
    assert out.returncode == 0, out.stderr
    assert "population twin" in out.stdout
    out = dump(script, "--stage", "parse", "--", "--with-twin")
    assert "population twin" in out.stdout  # the first network compiled
    out = dump(script, "--stage", "parse", "--network", "Twin")
    assert out.returncode == 1  # no Twin without the script flag
