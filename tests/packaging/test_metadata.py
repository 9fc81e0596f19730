"""Distribution metadata: one version (``nnc.__version__``), the ``--version`` flag, the extras table and
its errors, and the README's test command."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

import nnc
from nnc import optional
from nnc.diagnostics import InternalError, NncError

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_the_version_lives_in_nnc_init() -> None:
    project = PYPROJECT["project"]
    assert project["dynamic"] == ["version"]
    assert "version" not in project
    assert PYPROJECT["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "nnc.__version__"}
    assert str(Version(nnc.__version__)) == nnc.__version__  # a normalised PEP 440 version
    assert importlib.metadata.version(optional.DISTRIBUTION) == nnc.__version__


def test_nnc_version_flag_prints_the_version() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "nnc.cli", "--version"], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == f"nnc {nnc.__version__}"


def test_the_distribution_name_is_the_one_errors_name() -> None:
    assert PYPROJECT["project"]["name"] == optional.DISTRIBUTION
    assert optional.DISTRIBUTION != "nnc"  # taken on the package index by an unrelated project
    scripts = PYPROJECT["project"]["scripts"]
    assert scripts == {"nnc": "nnc.cli:main"}


def test_the_extras_table_matches_pyproject() -> None:
    declared = PYPROJECT["project"]["optional-dependencies"]
    for name, extra in optional.EXTRAS.items():
        assert tuple(declared[name]) == extra.requirements, name
    everything = {Requirement(r) for r in declared["all"]}
    assert {r.name for r in everything} == {optional.DISTRIBUTION}
    assert set().union(*(r.extras for r in everything)) == set(optional.EXTRAS)
    assert set(declared) == {*optional.EXTRAS, "all", "dev"}
    assert set(optional.EXTRAS) == {
        "cuda",
        "dask",
        "plot",
        "progress",
        "docs",
        "image",
        "tensorboard",
        "keras",
        "test",
    }


def test_the_test_extra_is_installed_here() -> None:
    assert optional.available("test")


@pytest.fixture
def fake_extra(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """An extra 'fake' of two modules: one that does not exist, one whose own import fails."""
    (tmp_path / "nnc_fake_broken.py").write_text("import nnc_fake_dependency_gone\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    extra = optional.Extra("fake", "tests", ("fake",), ("nnc_fake_missing.sub", "nnc_fake_broken"))
    monkeypatch.setitem(optional.EXTRAS, "fake", extra)
    return "fake"


def test_a_missing_package_names_the_extra_to_install(fake_extra: str) -> None:
    with pytest.raises(optional.MissingExtraError) as info:
        optional.require("nnc_fake_missing.sub", fake_extra, "Plotting a monitor")
    message = str(info.value)
    assert message.startswith("Plotting a monitor needs the optional package 'nnc_fake_missing.sub'")
    assert message.endswith("pip install 'nnc-sim[fake]'")
    assert isinstance(info.value, ImportError)
    assert isinstance(info.value, NncError)
    assert not optional.available(fake_extra)


def test_a_broken_installation_is_not_reported_as_missing(fake_extra: str) -> None:
    with pytest.raises(ModuleNotFoundError) as info:
        optional.require("nnc_fake_broken", fake_extra, "x")
    assert not isinstance(info.value, optional.MissingExtraError)
    assert info.value.name == "nnc_fake_dependency_gone"


def test_an_installed_module_is_returned() -> None:
    assert optional.require("pytest", "test", "the test suite") is pytest


def test_a_module_outside_its_extra_is_a_bug() -> None:
    with pytest.raises(InternalError, match="not one of extra 'plot'"):
        optional.require("numpy", "plot", "x")


def test_readme_test_command_is_what_ci_runs() -> None:
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    readme = (ROOT / "README.md").read_text()
    command = "python -m pytest -q"
    assert f"\n    {command}\n" in readme
    assert ci[-1] == command


def test_changelog_follows_keep_a_changelog() -> None:
    text = (ROOT / "CHANGELOG.md").read_text()
    assert text.startswith("# Changelog\n")
    assert "keepachangelog.com" in text
    assert "\n## [Unreleased]\n" in text
    sections = [line for line in text.splitlines() if line.startswith("### ")]
    allowed = {"### Added", "### Changed", "### Deprecated", "### Removed", "### Fixed", "### Security"}
    assert sections
    assert set(sections) <= allowed


#: Optional modules imported by nnc outside the extras, each where its feature raises a clear error.
OPTIONAL_OUTSIDE_EXTRAS = {
    "h5py",  # Monitor.save / MonitorList.save_all to .hdf5 (nnc/api/monitor.py)
    "pycuda",  # used instead of cuda-bindings where installed; it builds only where a driver is
    "nvidia",  # nvidia-cuda-nvcc: a pip-installed toolkit's libdevice (nnc/backend/ptx/mathlib.py)
}


def test_every_third_party_import_is_declared() -> None:
    """A module nnc imports is a dependency, a module of an extra, or a documented optional one: the
    built-wheel test borrows the dependencies of this environment, so this is where an undeclared
    dependency shows."""
    imported: dict[str, str] = {}
    for path in sorted((ROOT / "nnc").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                imported.setdefault(name.split(".")[0], str(path.relative_to(ROOT)))
    third_party = {m: f for m, f in imported.items() if m not in sys.stdlib_module_names and m != "nnc"}
    providers = importlib.metadata.packages_distributions()
    declared = {_norm(Requirement(r).name) for r in PYPROJECT["project"]["dependencies"]}
    extras = {m.split(".")[0] for e in optional.EXTRAS.values() for m in e.modules}
    undeclared = {
        m: f
        for m, f in third_party.items()
        if m not in extras | OPTIONAL_OUTSIDE_EXTRAS
        and not {_norm(d) for d in providers.get(m, [m])} & declared
    }
    assert not undeclared, f"imported but not declared: {undeclared}"


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()
