"""The worker and thread tests again with the portable barrier (the one macOS and Windows get), so that
Linux CI runs it too: same results, bit for bit, and the same Ctrl-C behaviour.

Every test and fixture of ``test_threads.py`` and ``test_worker.py`` is collected here a second time,
under a module fixture that makes :func:`~nnc.backend.llvm.loops.default_barrier_kind` answer
``PORTABLE`` while their networks compile (their engines are compiled without the on-disk cache).
"""

from __future__ import annotations

import pytest
import test_threads
import test_worker

from nnc.backend.llvm import loops

_TESTS = {}
for _module in (test_threads, test_worker):
    _names = {k: v for k, v in vars(_module).items() if not k.startswith("__")}  # tests, fixtures, helpers
    assert not {k for k in _names if k.startswith("test_")} & set(_TESTS), "a test name in both modules"
    _TESTS.update({k: v for k, v in _names.items() if k.startswith("test_")})
    globals().update(_names)


@pytest.fixture(scope="module", autouse=True)
def portable_barrier():
    """Build every barrier of this module's engines with the portable implementation."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(loops, "default_barrier_kind", lambda *_: loops.BarrierKind.PORTABLE)
        yield


def test_the_engines_here_use_the_portable_barrier() -> None:
    from netkit import attr, compile_module, population_module

    engine = compile_module(population_module((attr("v"),), (), 8))
    calls = {f.name for f in engine_functions(engine.llvm_ir)}
    engine.close()
    assert "usleep" in calls
    assert "syscall" not in calls


def engine_functions(llvm_ir: str):
    """The functions an LLVM IR text declares (external calls)."""
    from llvmlite import binding as llvm

    return [f for f in llvm.parse_assembly(llvm_ir).functions if f.is_declaration]
