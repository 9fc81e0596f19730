"""The FileCheck test of the worked example of an out-of-tree pass (examples/passes/)."""

from __future__ import annotations

from litkit import ROOT, run_lit


def test_strength_reduce_example() -> None:
    run_lit(ROOT / "examples" / "passes" / "strength_reduce.nir")
