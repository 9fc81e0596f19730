"""Shared by every comparison script: the simulator named by $SIM, compile directories, the JSON line.

A comparison script builds networks with the ANNarchy 5 API only, runs them, and prints ONE JSON line::

    {"script": ..., "sim": ..., "rtol": ..., "values": {name: nested list}, "exact": {name: ...}}

``values`` are compared numerically (max abs / rel difference), ``exact`` must be identical (connectivity,
shapes, recorded step lists). Nothing here imports nnc or ANNarchy before ``load_sim``.
"""

from __future__ import annotations

import importlib
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np


def load_sim():
    """The simulator module named by $SIM (default ``nnc``) and that name."""
    name = os.environ.get("SIM", "nnc")
    return name, importlib.import_module(name)


def build_dir(script: str, net: str) -> str:
    """Compile directory of network ``net`` of ``script``, kept so the reference reuses its build."""
    root = os.environ.get("NNC_COMPARE_BUILD") or os.path.join(tempfile.gettempdir(), "nnc-compare")
    path = Path(root) / os.environ.get("SIM", "nnc") / f"{script}-{net}"
    path.mkdir(parents=True, exist_ok=True)
    return str(path)


def _plain(x: object) -> object:
    """JSON-compatible form of arrays, ragged lists, numpy scalars and dicts."""
    if isinstance(x, dict):
        return {str(k): _plain(v) for k, v in x.items()}
    if isinstance(x, np.ndarray) and x.dtype != object:
        return x.astype(float).tolist() if x.dtype.kind in "fc" else x.tolist()
    if isinstance(x, list | tuple | np.ndarray):
        return [_plain(v) for v in x]
    if isinstance(x, np.generic):
        return x.item()
    return x


class Results:
    """Collects the quantities of one script and prints the JSON line."""

    def __init__(self, script: str, rtol: float = 1e-9):
        self.sim, self.ann = load_sim()
        self.script = script
        self.rtol = rtol
        self.values: dict[str, object] = {}
        self.exact: dict[str, object] = {}
        self.rtols: dict[str, float] = {}
        self._t0 = time.perf_counter()

    def compile(self, net: object, name: str = "net") -> None:
        """Compile ``net`` into this script's build directory for that network.

        ``NNC_COMPARE_THREADS`` / ``NNC_COMPARE_ENGINE`` (set by ``run.py --nnc-threads/--nnc-engine`` for
        the nnc runs only) select nnc's thread count and engine.
        """
        threads = os.environ.get("NNC_COMPARE_THREADS")
        if threads:
            net.config(num_threads=int(threads))  # type: ignore[attr-defined]
        engine = os.environ.get("NNC_COMPARE_ENGINE")
        if engine:
            net.config(engine=engine)  # type: ignore[attr-defined]
        net.compile(directory=build_dir(self.script, name), silent=True)  # type: ignore[attr-defined]

    def value(self, name: str, x: object, rtol: float | None = None) -> None:
        """A numerical quantity (compared within ``rtol``, default the script's)."""
        self.values[name] = _plain(np.asarray(x, dtype=float) if np.isscalar(x) else x)
        if rtol is not None:
            self.rtols[name] = rtol

    def same(self, name: str, x: object) -> None:
        """A quantity that must be identical (ranks, counts, shapes)."""
        self.exact[name] = _plain(x)

    def emit(self) -> None:
        """Print the JSON line."""
        line = {
            "script": self.script,
            "sim": self.sim,
            "rtol": self.rtol,
            "rtols": self.rtols,
            "wall_s": round(time.perf_counter() - self._t0, 3),
            "values": self.values,
            "exact": self.exact,
        }
        print(json.dumps(line), flush=True)
