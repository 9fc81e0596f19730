"""Collect the FileCheck tests (``*.nir`` with ``// RUN:`` lines) as pytest items, each run by lit."""

from __future__ import annotations

from pathlib import Path

import pytest
from litkit import FileCheckError, run_lit

HERE = Path(__file__).parent


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.Collector | None:
    if file_path.suffix == ".nir" and file_path.parent == HERE:
        return NirFile.from_parent(parent, path=file_path)
    return None


class NirFile(pytest.File):
    def collect(self):
        yield NirTest.from_parent(self, name=self.path.name)


class NirTest(pytest.Item):
    """Runs ``lit`` on one file; its output (the failing RUN line and FileCheck's report) on failure."""

    def runtest(self) -> None:
        run_lit(self.path)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException]) -> str:
        if isinstance(excinfo.value, FileCheckError):
            return str(excinfo.value)
        return super().repr_failure(excinfo)  # type: ignore[return-value]

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"lit {self.name}"
