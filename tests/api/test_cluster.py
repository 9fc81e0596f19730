"""parallel_run and sweep on a Dask cluster (docs/cluster.md): real worker processes on 127.0.0.1 only.

Every check compares the copies run as Dask tasks with the same copies run one after another in this
process (``max_processes=1``), bit for bit, on a network whose results depend on its seed through its
random connectivity, its random initial values and the noise in its equations.
"""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import nnc as ann
from nnc.api import cluster
from nnc.api.config import DEFAULTS
from nnc.diagnostics import DslError, SimulationError
from nnc.optional import MissingExtraError

distributed = pytest.importorskip("distributed")  # the 'test' extra installs it: CI runs these

NOISY = ann.Neuron(
    parameters=dict(tau=10.0, gain=1.0),
    equations="tau * dr/dt + r = gain * sum(exc) + Normal(0.0, 0.1) : init = Uniform(0.0, 1.0)",
)


class Noisy(ann.Network):
    """Random connectivity, random initial values and noise: every bit depends on the seed."""

    def __init__(self, n: int = 20, gain: float = 1.0):
        self.a = self.create(n, NOISY)
        self.b = self.create(n, NOISY)
        self.b.gain = gain
        proj = self.connect(self.a, self.b, "exc")
        proj.fixed_probability(0.3, weights=ann.Uniform(0.0, 0.2))
        self.m = self.monitor(self.b, "r")


def trial(net: Noisy, duration: float = 10.0) -> tuple[np.ndarray, int, bool]:
    net.simulate(duration)
    return net.m.get("r"), net.seed, net._runtime.engine.cache_hit


def _parent(directory: Path, **config: object) -> Noisy:
    net = Noisy(seed=11)
    net.config(**config)
    net.compile(directory=str(directory))
    return net


def _assert_same(got: list, expected: list) -> None:
    assert len(got) == len(expected)
    for (r1, s1, _), (r2, s2, _) in zip(got, expected, strict=True):
        assert s1 == s2
        np.testing.assert_array_equal(r1, r2)  # bit for bit


#: two worker processes of one thread each, on loopback, their HTTP servers on free ports
LOOPBACK = dict(
    n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address="127.0.0.1:0"
)


@pytest.fixture(scope="module")
def client():
    """A local cluster of two worker processes (one thread each), on loopback (HTTP on a free port)."""
    with (
        distributed.LocalCluster(**LOOPBACK) as local,
        distributed.Client(local) as c,
    ):
        yield c


@pytest.mark.parametrize("seeds", [None, "same", "sequential", [5, 3, 5, 900]])
def test_a_local_cluster_gives_the_sequential_results(client, seeds, tmp_path, monkeypatch) -> None:
    # seeds=None: a copy takes the seed of setup(); the cluster's workers must receive it too
    monkeypatch.setattr(DEFAULTS, "config", DEFAULTS.config if seeds is not None else _seeded(1234))
    net = _parent(tmp_path)
    kwargs = dict(seeds=seeds, gain=[1.0, 2.0, 1.0, 0.5], duration=[10.0, 12.0, 10.0, 7.0])
    expected = net.parallel_run(trial, number=4, max_processes=1, **kwargs)
    got = net.parallel_run(trial, number=4, client=client, **kwargs)
    _assert_same(got, expected)
    if seeds == "sequential":
        assert not np.array_equal(got[0][0], got[2][0])  # same arguments, other seed: other numbers
    assert all(hit for _, _, hit in got)  # no copy ran LLVM: the workers' caches hold the parent's object


def _seeded(seed: int):
    from dataclasses import replace

    return replace(DEFAULTS.config, seed=seed)


def test_config_parallel_dask_uses_the_current_client(client, tmp_path) -> None:
    net = _parent(tmp_path, parallel="dask")
    shared = dict(seeds="sequential", gain=2.0, duration=9.0)  # sent once with the job, not per copy
    got = net.parallel_run(trial, number=3, **shared)
    _assert_same(got, net.parallel_run(trial, number=3, client="processes", **shared))
    with pytest.raises(ann.ANNarchyException, match="parallel"):
        Noisy().config(parallel="threads")


def test_a_raising_method_names_the_copy_and_the_others_complete(client, tmp_path) -> None:
    net = _parent(tmp_path)
    with pytest.raises(ann.ParallelRunError) as info:
        net.parallel_run(_fail_on_two, number=4, seeds="sequential", client=client, index=[0, 1, 2, 3])
    err = info.value
    assert "1 of 4 copies failed" in str(err)
    assert "copy 2 (seed 14) raised ValueError: copy two fails" in str(err)
    assert isinstance(err.__cause__, ValueError)
    assert set(err.failures) == {2}
    assert err.failures[2].phase == "method"
    expected = net.parallel_run(trial, number=4, seeds="sequential", max_processes=1)
    for i in (0, 1, 3):
        np.testing.assert_array_equal(err.results[i][0], expected[i][0])
    assert err.results[2] is None


def _fail_on_two(net: Noisy, index: int) -> tuple[np.ndarray, int, bool]:
    if index == 2:
        raise ValueError("copy two fails")
    return trial(net)


class Broken(ann.Network):
    """Compiles with the default equation; a copy given another one may not."""

    def __init__(self, equation: str = "r = t"):
        self.pop = self.create(3, ann.Neuron(equations=equation))


def test_a_copy_that_fails_to_compile_fails_fast_once(client, tmp_path) -> None:
    net = Broken(seed=1)
    net.compile(directory=str(tmp_path))
    t0 = time.perf_counter()
    with pytest.raises(DslError) as info:
        net.parallel_run(_sleep_then_r, number=20, client=client, equation="r = missing + 1")
    elapsed = time.perf_counter() - t0
    assert "unknown name 'missing'" in str(info.value)  # the compiler's own message, with its caret
    assert "^^^^^^^" in str(info.value)
    assert any("building copy" in note for note in info.value.__notes__)
    assert elapsed < 10.0  # 20 copies x 1 s of method would take 10 s on two workers
    _wait_for(lambda: not [k for k in client.cluster.scheduler.tasks if "nnc-" in str(k)])


def _sleep_then_r(net: Broken) -> float:
    time.sleep(1.0)
    net.simulate(1.0)
    return float(net.pop.r[0])


def test_progress_bar_over_finished_copies_only_on_a_terminal(client, tmp_path, monkeypatch, capsys) -> None:
    net = _parent(tmp_path)
    net.parallel_run(trial, number=3, client=client)
    assert "parallel_run" not in capsys.readouterr().err  # not a terminal: no bar

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    tty = Terminal()
    monkeypatch.setattr(sys, "stderr", tty)
    net.parallel_run(trial, number=3, client=client)
    assert "parallel_run: 100%" in tty.getvalue()
    assert "3/3" in tty.getvalue()


def test_sweep_on_the_cluster_equals_the_local_sweep(client, tmp_path) -> None:
    net = _parent(tmp_path)
    grid = {"gain": [0.5, 2.0], "duration": [5.0, 8.0]}
    local = ann.sweep(net, trial, grid, repeats=2, seeds="sequential")
    remote = ann.sweep(net, trial, grid, repeats=2, seeds="sequential", client=client)
    assert remote.points == local.points
    assert remote.seeds == local.seeds == [12 + k for k in range(8)]
    _assert_same(remote.results, local.results)


def _wait_for(condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.02)


MAIN_SCRIPT = """
import sys
import numpy as np
import nnc as ann

class FromMain(ann.Network):
    def __init__(self, gain=1.0):
        n = ann.Neuron(parameters=dict(gain=gain), equations="r = gain * Uniform(0.0, 1.0)")
        self.pop = self.create(5, n)
        self.m = self.monitor(self.pop, "r")

def run(net, steps):
    net.simulate(steps)
    return net.m.get("r")

if __name__ == "__main__":
    net = FromMain(seed=3)
    net.compile(directory=sys.argv[2])
    kwargs = dict(seeds="sequential", gain=[1.0, 2.0, 3.0], steps=[3.0, 4.0, 5.0])
    remote = net.parallel_run(run, number=3, client=sys.argv[1], **kwargs)
    local = net.parallel_run(run, number=3, max_processes=1, **kwargs)
    assert all(np.array_equal(a, b) for a, b in zip(remote, local, strict=True))
    print("same", len(remote))
"""


def test_a_scheduler_and_two_workers_started_as_on_a_cluster(tmp_path) -> None:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    file = tmp_path / "scheduler.json"
    common = ["--no-dashboard", "--dashboard-address", "127.0.0.1:0", "--host", "127.0.0.1"]
    scheduler = [sys.executable, "-m", "distributed.cli.dask_scheduler", "--port", "0"]
    worker = [sys.executable, "-m", "distributed.cli.dask_worker", "--nthreads", "1", "--no-nanny"]
    procs = [subprocess.Popen([*scheduler, *common, "--scheduler-file", str(file)], env=env, cwd=tmp_path)]
    try:
        _wait_for(file.exists)
        for _ in range(2):
            procs.append(
                subprocess.Popen([*worker, *common, "--scheduler-file", str(file)], env=env, cwd=tmp_path)
            )
        with distributed.Client(scheduler_file=str(file)) as c:
            c.wait_for_workers(2, timeout=60)
            address = c.scheduler.address
            assert address.startswith("tcp://127.0.0.1:")
            net = _parent(tmp_path / "cache", parallel=address)  # an address in the configuration
            got = net.parallel_run(trial, number=4, seeds=[1, 2, 3, 4])
            _assert_same(got, net.parallel_run(trial, number=4, seeds=[1, 2, 3, 4], client="processes"))
            script = tmp_path / "script.py"
            script.write_text(MAIN_SCRIPT)  # classes and functions of __main__ travel by value
            done = subprocess.run(
                [sys.executable, str(script), address, str(tmp_path / "main-cache")],
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert done.returncode == 0, done.stderr
            assert done.stdout.strip() == "same 3"
    finally:
        for p in reversed(procs):  # the workers before the scheduler they would wait for
            p.terminate()
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def test_a_bad_client_and_a_missing_extra_are_clear_errors(tmp_path, monkeypatch) -> None:
    net = _parent(tmp_path)
    with pytest.raises(SimulationError, match=r"must be a dask\.distributed\.Client"):
        net.parallel_run(trial, number=2, client=42)
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if the extra were not installed
    with pytest.raises(MissingExtraError, match=r"pip install 'nnc-sim\[dask\]'"):
        net.parallel_run(trial, number=2, client="dask")


def test_without_a_client_dask_is_never_imported(tmp_path) -> None:
    code = (
        "import sys, nnc as ann\n"
        "class N(ann.Network):\n"
        "    def __init__(self):\n"
        "        self.pop = self.create(2, ann.Neuron(equations='r = t'))\n"
        "def run(net):\n"
        "    net.simulate(2.0)\n"
        "    return float(net.pop.r[0])\n"
        "net = N(seed=1)\n"
        f"net.compile(directory={str(tmp_path)!r})\n"
        "assert net.parallel_run(run, number=3, max_processes=2) == [1.0] * 3\n"
        "def scaled(net, x):\n"
        "    return x * run(net)\n"
        "assert ann.sweep(net, scaled, {'x': [1.0, 2.0]}).results == [1.0, 2.0]\n"
        "print(sorted(m for m in ('dask', 'distributed', 'tqdm') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_worker_context_carries_global_constants_and_functions() -> None:
    ann.Constant("cluster_test_k", 2.5)
    ann.add_function("cluster_test_f(x) = 2 * x")
    from nnc.api.constant import GLOBAL

    try:
        ctx = cluster.Context.current()
        assert ("cluster_test_k", 2.5) in ctx.constants
        saved = (list(GLOBAL.constants), dict(GLOBAL.functions), dict(GLOBAL.function_texts))
        GLOBAL.clear()
        ctx.install()
        assert [(c.name, c.value) for c in GLOBAL.constants] == list(ctx.constants)
        assert "cluster_test_f" in GLOBAL.functions
    finally:
        GLOBAL.clear()
        GLOBAL.constants.extend(c for c in saved[0] if c.name != "cluster_test_k")
        GLOBAL.functions.update({k: v for k, v in saved[1].items() if k != "cluster_test_f"})
        GLOBAL.function_texts.update({k: v for k, v in saved[2].items() if k != "cluster_test_f"})


def test_dask_without_a_client_starts_a_local_cluster_for_the_call(tmp_path, monkeypatch) -> None:
    def no_client() -> None:
        raise ValueError("No clients found")

    monkeypatch.setattr(distributed, "default_client", no_client)
    net = _parent(tmp_path)
    got = net.parallel_run(trial, number=2, max_processes=1, seeds="sequential", client="dask")
    _assert_same(got, net.parallel_run(trial, number=2, max_processes=1, seeds="sequential"))


def test_a_killed_worker_costs_a_retry_and_every_result_arrives_once(client, tmp_path) -> None:
    # the last test of the module's cluster: its nanny restarts the killed worker
    net = _parent(tmp_path)
    marks = tmp_path / "marks"
    marks.mkdir()
    number = 6
    kwargs = dict(seeds="sequential", index=list(range(number)))
    expected = net.parallel_run(_marked, number=number, max_processes=1, marks="", **kwargs)
    outcome: dict[str, object] = {}

    def run() -> None:
        try:
            outcome["results"] = net.parallel_run(
                _marked, number=number, client=client, marks=str(marks), **kwargs
            )
        except BaseException as e:  # reported by the assertions below
            outcome["error"] = e

    runner = threading.Thread(target=run)
    runner.start()
    _wait_for(lambda: any(p.name.startswith("0-") for p in marks.iterdir()), timeout=60.0)
    (victim,) = (p.name.split("-")[1] for p in marks.iterdir() if p.name.startswith("0-"))
    os.kill(int(victim), signal.SIGKILL)  # the worker process itself, in the middle of copy 0
    runner.join(timeout=120.0)
    assert "error" not in outcome, outcome.get("error")
    _assert_same(outcome["results"], expected)  # every copy, in order, once
    runs = [p.name.split("-") for p in marks.iterdir()]
    # copy 0 ran again on another worker (so may a copy whose result died with the worker unfetched)
    assert {int(i) for i, _, _ in runs} == set(range(number))
    assert [pid for i, pid, _ in runs if i == "0"].count(victim) == 1
    assert sum(1 for i, _, _ in runs if i == "0") == 2


def _marked(net: Noisy, index: int, marks: str) -> tuple[np.ndarray, int, bool]:
    if marks:
        again = any(p.name.startswith(f"{index}-") for p in Path(marks).iterdir())
        (Path(marks) / f"{index}-{os.getpid()}-{time.monotonic_ns()}").touch()
        if index == 0 and not again:
            time.sleep(30.0)  # until killed
    return trial(net)
