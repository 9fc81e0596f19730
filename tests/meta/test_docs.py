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


def test_the_gallery_page_shows_every_example_s_figure() -> None:
    """Each gallery script has its rendered figure in docs/gallery/, shown on the gallery page under
    a heading of its own (README and the guides link to these headings)."""
    import re

    page = (ROOT / "docs" / "gallery" / "index.md").read_text()
    shown = set(re.findall(r"^!\[[^\]]+\]\((\w+)\.png\)$", page, flags=re.M))
    # as tests/e2e/test_gallery.py: every script of examples/ but the helper and README's first example
    scripts = {p.stem for p in (ROOT / "examples").glob("*.py")} - {"_gallery", "leaky_field"}
    assert shown == scripts
    for name in scripts:
        assert (ROOT / "docs" / "gallery" / f"{name}.png").exists(), name
        assert f"`{name}.py`" in page, name


def test_the_first_network_page_runs(tmp_path: Path) -> None:
    """The code blocks of 'A first network', run in order as one script (the plot to the Agg backend)."""
    import re

    page = (ROOT / "docs" / "guide" / "first-network.md").read_text()
    script = tmp_path / "first.py"
    script.write_text("\n".join(re.findall(r"```python\n(.*?)```", page, flags=re.S)))
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONPATH=str(ROOT))
    proc = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rate = float(proc.stdout.split()[-2])  # print(m.mean_fr(spikes), "Hz")
    assert 1.0 < rate < 100.0


def test_readme_links_and_figures_exist() -> None:
    """README's relative links (the documentation pages, the three gallery figures) point at files."""
    import re

    readme = (ROOT / "README.md").read_text()
    targets = set(re.findall(r"\]\(((?:docs|examples)/[^)#\s]+)", readme))
    targets |= set(re.findall(r'<img src="([^"]+)"', readme))
    assert sum(t.startswith("docs/gallery/") and t.endswith(".png") for t in targets) >= 3
    missing = sorted(t for t in targets if not (ROOT / t).exists())
    assert missing == []
