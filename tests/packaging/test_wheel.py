"""The built distribution: ``python -m build`` makes an sdist and a pure wheel that ``twine check``
accepts, and the wheel, installed into a fresh virtual environment, runs the example and
``nnc dump-ir`` from a directory outside the checkout (so a file the wheel lacks fails here, not after
a release).

The sdist and the wheel are built without build isolation (the ``test`` extra installs setuptools,
build and twine). The fresh environment gets the wheel alone (``--no-deps``); its dependencies come from
this environment's site-packages through a ``.pth`` path entry, which adds their directory to the
search path but runs none of its ``.pth`` files (the editable install of this checkout stays out).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import venv
import zipfile
from pathlib import Path

import pytest

import nnc
from nnc.optional import DISTRIBUTION

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
STEM = f"{DISTRIBUTION.replace('-', '_')}-{nnc.__version__}"
RUNTIME_DATA = ("nnc/frontend/equations.lark", "nnc/ir/ir.lark")


def _run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False, timeout=300)
    assert proc.returncode == 0, f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """sdist and wheel of this checkout (the wheel built from the sdist, as ``python -m build`` does)."""
    out = tmp_path_factory.mktemp("dist")
    _run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(ROOT)], cwd=out)
    return out


@pytest.fixture(scope="module")
def wheel(dist: Path) -> Path:
    return dist / f"{STEM}-py3-none-any.whl"


def test_build_makes_an_sdist_and_a_pure_wheel(dist: Path) -> None:
    assert sorted(p.name for p in dist.iterdir()) == [f"{STEM}-py3-none-any.whl", f"{STEM}.tar.gz"]


def test_twine_accepts_both(dist: Path) -> None:
    _run([sys.executable, "-m", "twine", "check", "--strict", *map(str, sorted(dist.iterdir()))], cwd=dist)


def test_the_wheel_holds_the_package_its_data_licence_and_command(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        metadata = zf.read(f"{STEM}.dist-info/METADATA").decode()
        entry_points = zf.read(f"{STEM}.dist-info/entry_points.txt").decode()
    sources = {p.relative_to(ROOT).as_posix() for p in (ROOT / "nnc").rglob("*.py")}
    assert sources <= names, f"modules missing from the wheel: {sorted(sources - names)}"
    assert set(RUNTIME_DATA) <= names
    assert f"{STEM}.dist-info/licenses/LICENSE" in names
    assert not [n for n in names if n.startswith(("tests/", "benchmarks/", "examples/"))]
    assert f"Name: {DISTRIBUTION}\n" in metadata
    assert f"Version: {nnc.__version__}\n" in metadata
    assert "License-Expression: MIT\n" in metadata
    for extra in ("cuda", "dask", "plot", "docs", "image", "tensorboard", "test", "all"):
        assert f"Provides-Extra: {extra}\n" in metadata
    assert "nnc = nnc.cli:main" in entry_points


def test_the_sdist_holds_what_the_wheel_is_built_from(dist: Path) -> None:
    with tarfile.open(dist / f"{STEM}.tar.gz") as tf:
        names = {n.split("/", 1)[1] for n in tf.getnames() if "/" in n}
    assert {"pyproject.toml", "README.md", "LICENSE", *RUNTIME_DATA} <= names


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment with the wheel installed; returns its scripts directory."""
    env_dir = tmp_path_factory.mktemp("venv")
    venv.EnvBuilder(with_pip=False).create(env_dir)
    scripts = Path(sysconfig.get_path("scripts", vars={"base": str(env_dir)}))
    python = scripts / Path(sys.executable).name
    pip = [
        sys.executable,
        "-m",
        "pip",
        "--python",
        str(python),
        "install",
        "--quiet",
        "--no-deps",
        "--no-index",
    ]
    _run([*pip, str(wheel)], cwd=env_dir)
    code = "import sysconfig; print(sysconfig.get_path('purelib'))"
    purelib = _run([str(python), "-c", code], cwd=env_dir)
    deps = {sysconfig.get_path(k) for k in ("purelib", "platlib")}
    (Path(purelib.strip()) / "_nnc_test_dependencies.pth").write_text("\n".join(sorted(deps)) + "\n")
    return scripts


@pytest.fixture
def outside(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A working directory outside the checkout holding the example, and an environment without
    PYTHONPATH."""
    shutil.copy(ROOT / "examples" / "leaky_field.py", tmp_path)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    return tmp_path, env


def _exe(scripts: Path, name: str) -> str:
    return str(scripts / (name + (".exe" if sys.platform == "win32" else "")))


def test_the_installed_wheel_is_what_runs(installed: Path, outside: tuple[Path, dict[str, str]]) -> None:
    cwd, env = outside
    code = "import nnc, nnc.optional as o; print(nnc.__file__); print(o.available('plot'))"
    where = _run([_exe(installed, "python"), "-c", code], cwd=cwd, env=env).split()[0]
    assert Path(where).is_relative_to(installed.parent)
    assert not Path(where).is_relative_to(ROOT)
    version = _run([_exe(installed, "nnc"), "--version"], cwd=cwd, env=env)
    assert version.strip() == f"nnc {nnc.__version__}"


def test_the_installed_wheel_runs_the_example(installed: Path, outside: tuple[Path, dict[str, str]]) -> None:
    cwd, env = outside
    out = _run([_exe(installed, "python"), "leaky_field.py"], cwd=cwd, env=env)
    assert "recorded v: shape (1000, 10, 10)" in out
    out = _run([_exe(installed, "python"), "leaky_field.py", "--interp"], cwd=cwd, env=env)
    assert "largest deviation" in out


def test_the_installed_wheel_dumps_ir(installed: Path, outside: tuple[Path, dict[str, str]]) -> None:
    cwd, env = outside
    nnc_cmd = _exe(installed, "nnc")
    out = _run([nnc_cmd, "dump-ir", "leaky_field.py", "--stage", "discretise"], cwd=cwd, env=env)
    assert "kernel field.update phase=neuron:" in out
    assert "v = v + dt * %0" in out
    llvm = _run([nnc_cmd, "dump-ir", "leaky_field.py", "--stage", "llvm"], cwd=cwd, env=env)
    assert '@"nnc.barrier"' in llvm
