"""Golden ``nnc dump-ir`` output of a whole network with projections, one file per compiler stage.

The script ``scripts/rate_network.py`` goes through the real frontend (``import nnc``, ``net.connect``,
connectors) and ``nnc dump-ir --stage S`` stops its compile after each stage up to the last pass; the
LLVM dump is checked by substring tests elsewhere (STYLE.md: no golden LLVM IR). Files live in
``tests/golden/network/<stage>.ir``; regenerate with ``pytest tests/e2e/test_dump_golden.py
--update-golden`` and review the diff.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest

from nnc.cli import main, stage_names

SCRIPTS = Path(__file__).parent / "scripts"
GOLDEN = Path(__file__).parent.parent / "golden"
#: script -> its golden directory: a rate-coded network, a spiking one
NETWORKS = {"rate_network.py": "network", "spiking_network.py": "spiking"}
STAGES = [s for s in stage_names() if s not in ("kernels", "llvm", "ptx")]  # backend stages: no golden


def dump(script: str, stage: str) -> str:
    """What ``nnc dump-ir SCRIPT --stage stage`` prints."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["dump-ir", str(SCRIPTS / script), "--stage", stage])
    assert code == 0, f"dump-ir --stage {stage} exited with {code}"
    return out.getvalue()


@pytest.mark.parametrize("stage", STAGES)
@pytest.mark.parametrize("script", sorted(NETWORKS))
def test_dump_ir_golden(script: str, stage: str, update_golden: bool) -> None:
    text = dump(script, stage)
    path = GOLDEN / NETWORKS[script] / f"{stage}.ir"
    if update_golden:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    assert path.exists(), f"missing {path}: run pytest --update-golden"
    assert text == path.read_text(), f"{path} differs: review and run pytest --update-golden"


@pytest.mark.parametrize("script", sorted(NETWORKS))
def test_dump_ptx_golden(script: str, update_golden: bool) -> None:
    """The PTX of the GPU backend (sm_80). LLVM's NVPTX output changes between LLVM versions: the file
    was written with the llvmlite version named in its first line, and is compared only under it."""
    import llvmlite

    from nnc.backend.ptx.mathlib import find_libdevice

    if script == "rate_network.py" and find_libdevice() is None:
        pytest.skip("libdevice.10.bc (CUDA toolkit) not found: the rate network's pow needs it on the GPU")
    text = f"// llvmlite {llvmlite.__version__}\n" + dump(script, "ptx")
    path = GOLDEN / NETWORKS[script] / "ptx.ptx"
    if update_golden:
        path.write_text(text)
    assert path.exists(), f"missing {path}: run pytest --update-golden"
    golden = path.read_text()
    if golden.splitlines()[0] != text.splitlines()[0]:
        pytest.skip(
            f"{path} was written with {golden.splitlines()[0][3:]}, this is llvmlite {llvmlite.__version__}"
        )
    assert text == golden, f"{path} differs: review and run pytest --update-golden"


@pytest.mark.parametrize("script", sorted(NETWORKS))
def test_every_stage_has_a_golden_file(script: str) -> None:
    """A new pass needs its golden file; a removed one leaves none behind."""
    assert sorted(p.stem for p in (GOLDEN / NETWORKS[script]).glob("*.ir")) == sorted(STAGES)
