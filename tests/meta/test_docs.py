"""The documentation site builds with ``mkdocs build --strict`` (no broken link, no missing page or
figure, every API reference entry resolves), and every page is in the navigation."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytest.importorskip("mkdocs")
pytest.importorskip("material")
pytest.importorskip("mkdocstrings")


def test_the_site_builds_strictly(tmp_path: Path) -> None:
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1", PYTHONPATH=str(ROOT))
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (tmp_path / "site" / "gallery" / "index.html").exists()
    api = (tmp_path / "site" / "api" / "index.html").read_text()
    assert "simulate" in api  # mkdocstrings rendered Network.simulate


def test_every_page_is_in_the_navigation() -> None:
    import yaml

    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text().replace("!!python", "#"))
    listed: set[str] = set()

    def walk(entries: object) -> None:
        if isinstance(entries, list):
            for e in entries:
                walk(e)
        elif isinstance(entries, dict):
            for v in entries.values():
                walk(v)
        elif isinstance(entries, str):
            listed.add(entries)

    walk(config["nav"])
    pages = {str(p.relative_to(ROOT / "docs")) for p in (ROOT / "docs").rglob("*.md")}
    assert pages - listed == set(), "pages missing from mkdocs.yml's nav"
