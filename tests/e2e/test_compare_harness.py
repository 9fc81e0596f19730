"""The harness of benchmarks/compare: its difference measures, and every script running under nnc.

The reference simulator is not needed (nor imported): the scripts run with ``SIM=nnc`` and must print one
well-formed JSON line; the comparison functions are checked on hand-computed inputs.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

import nnc as ann

COMPARE = Path(__file__).resolve().parents[2] / "benchmarks" / "compare"


def _load_run():
    spec = importlib.util.spec_from_file_location("compare_run", COMPARE / "run.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["compare_run"] = module
    spec.loader.exec_module(module)
    return module


run = _load_run()


def test_difference_of_nested_lists() -> None:
    d = run.difference([[1.0, 2.0], [3.0]], [[1.0, 2.5], [4.0]])
    assert d["max_abs"] == 1.0
    assert d["max_rel"] == 1.0 / 4.0  # relative to the largest reference magnitude
    assert (d["at"], d["nnc"], d["reference"]) == (2, 3.0, 4.0)


def test_difference_reports_shapes_and_nans() -> None:
    assert run.difference([[1.0], [2.0, 3.0]], [[1.0, 2.0], [3.0]])["shape_mismatch"]
    assert run.difference([1.0, 2.0], [1.0, 2.0, 3.0])["shape_mismatch"]
    both_nan = run.difference([math.nan, 1.0], [math.nan, 1.0])
    assert both_nan["max_abs"] == 0.0
    assert "nan_mismatch" not in both_nan
    assert run.difference([math.nan, 1.0], [0.0, 1.0])["nan_mismatch"]


def test_compare_uses_per_quantity_tolerances_and_exact_checks() -> None:
    nnc = {"rtol": 1e-9, "rtols": {"b": 1e-3}, "values": {"a": [1.0], "b": [1.0]}, "exact": {"e": [1, 2]}}
    ref = {"rtol": 1e-9, "rtols": {}, "values": {"a": [1.0], "b": [1.0005]}, "exact": {"e": [1, 2]}}
    result = run.compare(nnc, ref)
    assert result["status"] == "ok"
    assert result["values"]["b"]["rtol"] == 1e-3
    ref["exact"]["e"] = [1, 3]
    assert run.compare(nnc, ref)["status"] == "mismatch"
    ref["exact"]["e"] = [1, 2]
    ref["values"]["a"] = [1.1]
    assert run.compare(nnc, ref)["status"] == "mismatch"
    del ref["values"]["a"]
    assert run.compare(nnc, ref)["values"]["a"] == {"missing_in": "reference"}


def test_informational_quantities_never_fail() -> None:
    """``rtol`` 1e9 (case_spiking_stats): the difference is reported, the script still passes."""
    nnc = {"rtol": 1e-9, "rtols": {"n": 1e9}, "values": {"n": [79802.0]}, "exact": {}}
    ref = {"rtol": 1e-9, "rtols": {}, "values": {"n": [81000.0]}, "exact": {}}
    result = run.compare(nnc, ref)
    assert result["status"] == "ok"
    assert result["values"]["n"]["max_abs"] == 1198.0


def test_only_accepts_names_and_patterns() -> None:
    names = [p.stem for p in run.scripts(["spik*", "case_spike_monitors"])]
    assert names == sorted(names)
    assert {
        "case_spike_monitors",
        "case_spiking_deterministic",
        "case_spiking_plasticity",
        "case_spiking_stats",
    } <= set(names)
    assert all(n.startswith("case_spik") for n in names)
    assert [p.stem for p in run.scripts(["methods"])] == ["case_methods"]


def test_the_reference_runs_in_its_own_virtual_environment(tmp_path: Path, monkeypatch) -> None:
    """CMake's FindPython prefers $VIRTUAL_ENV: the reference must not see nnc's."""
    monkeypatch.setenv("VIRTUAL_ENV", "/somewhere/nnc-venv")
    env = run._environment("ANNarchy", tmp_path)
    assert env["VIRTUAL_ENV"] == str(tmp_path)
    assert env["PATH"].split(os.pathsep)[0] == str(tmp_path / "bin")
    assert env["SIM"] == "ANNarchy"
    assert run._environment("nnc", None)["VIRTUAL_ENV"] == "/somewhere/nnc-venv"


def _needs(script: Path) -> str | None:
    """Why ``script`` cannot run under this nnc yet (a public name it uses is not exported), or None."""
    text = script.read_text()
    missing = [name for name in ("TimedArray",) if f"ann.{name}" in text and not hasattr(ann, name)]
    return f"nnc does not export {', '.join(missing)} yet" if missing else None


@pytest.mark.parametrize("script", run.scripts(None), ids=lambda p: p.stem)
def test_script_runs_under_nnc(script: Path, tmp_path: Path) -> None:
    reason = _needs(script)
    if reason:
        pytest.skip(reason)
    env = {**os.environ, "SIM": "nnc", "NNC_COMPARE_BUILD": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=False,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = json.loads(proc.stdout.strip().splitlines()[-1])
    assert line["sim"] == "nnc"
    assert line["script"] == script.stem.removeprefix("case_")
    assert line["values"]
    for name, value in line["values"].items():
        assert value is not None, name
