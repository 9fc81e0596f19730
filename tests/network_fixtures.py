"""Fixtures of the API and end-to-end tests: networks on each engine, a shared cache, clean globals."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

import nnc as ann

ENGINES = ["interp", "llvm"]


def engine_available(name: str) -> bool:
    """Whether the engine ``name`` is built in this checkout."""
    if name == "interp":
        return importlib.util.find_spec("nnc.backend.interp.engine") is not None
    return importlib.util.find_spec("nnc.backend.llvm.engine") is not None


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    """Name of an execution engine; skipped when that engine is not built."""
    if not engine_available(request.param):
        pytest.skip(f"engine '{request.param}' is not built")
    return request.param


@pytest.fixture(scope="session")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory shared by the session: compile() writes its default 'annarchy' cache there."""
    return tmp_path_factory.mktemp("work")


@pytest.fixture(autouse=True)
def _isolated(workdir: Path, monkeypatch: pytest.MonkeyPatch):
    """Run in the shared work directory; forget the default network and global objects afterwards."""
    monkeypatch.chdir(workdir)
    yield
    ann.clear()


@pytest.fixture
def make_net(engine: str):
    """Factory of networks (seed 1 unless given) configured for ``engine``."""

    def make(**kwargs: object) -> ann.Network:
        net = ann.Network(**{"seed": 1, **kwargs})
        net.config(engine=engine)
        return net

    return make
