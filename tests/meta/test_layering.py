"""The layers of the pipeline import only downwards: frontend, IR and passes never import the API,
and the IR (nodes, types, printer, verifier, expression semantics) imports no engine and no runtime."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "nnc"

#: package -> packages it must never import
FORBIDDEN = {
    "frontend": ("nnc.api",),
    "ir": ("nnc.api", "nnc.frontend", "nnc.passes", "nnc.backend", "nnc.runtime"),
    "passes": ("nnc.api",),
    "descriptions": ("nnc.api", "nnc.frontend", "nnc.ir", "nnc.passes", "nnc.backend", "nnc.runtime"),
}


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_does_not_import_upper_layers(package: str) -> None:
    bad = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for line, name in _imports(path):
            if any(name == f or name.startswith(f + ".") for f in FORBIDDEN[package]):
                bad.append(f"{path.relative_to(ROOT.parent)}:{line} imports {name}")
    assert not bad, "\n".join(bad)
