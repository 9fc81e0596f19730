"""``simulate(progress=...)``, the ``progress`` configuration key and ``measure_time``."""

from __future__ import annotations

import io
import sys

import numpy as np
import pytest

import nnc as ann
from nnc.optional import MissingExtraError
from nnc.runtime import progress as progress_module
from nnc.runtime.progress import Progress, wanted

pytest.importorskip("tqdm")


def network(engine: str = "llvm") -> tuple[ann.Network, ann.Monitor]:
    net = ann.Network(dt=0.1, seed=11)
    net.config(engine=engine)
    noisy = ann.Neuron(
        parameters="I = 1.1",
        equations="10.0 * dv/dt = -v + I + 0.5 * Normal(0.0, 1.0) + g_exc",
        spike="v > 1.0",
        reset="v = 0.0",
    )
    pop = net.create(50, noisy)
    net.connect(pop, pop, "exc").fixed_probability(probability=0.2, weights=0.05)
    m = net.monitor(pop, ["spike", "v"], period=0.5)
    net.compile()
    return net, m


def test_the_bar_does_not_change_the_results(monkeypatch, capsys):
    monkeypatch.setattr(progress_module, "FIRST_CHUNK_STEPS", 7)  # many uneven chunks
    monkeypatch.setattr(progress_module, "CHUNK_SECONDS", 1e-4)
    a, ma = network()
    b, mb = network()
    a.simulate(300.0, progress=False)
    b.simulate(300.0, progress=True)
    assert ma.get("spike") == mb.get("spike")
    np.testing.assert_array_equal(ma.get("v"), mb.get("v"))
    err = capsys.readouterr().err
    assert "3000/3000" in err
    assert "bio/wall=" in err


def test_the_bar_counts_the_steps_of_runs_with_callbacks(capsys):
    net, _ = network()
    fired = []

    @ann.every(network=net, period=10.0)
    def record(n):
        fired.append(n)

    net.simulate(100.0, progress=True)
    assert fired == list(range(10))
    assert "1000/1000" in capsys.readouterr().err


def test_chunks_follow_the_measured_speed():
    bar = Progress(10_000, 0.1, file=io.StringIO())
    assert bar.next_chunk() == progress_module.FIRST_CHUNK_STEPS
    bar._last -= 0.001  # 100 steps took 1 ms: 0.25 s hold 25 000 steps, at most 4x the last chunk
    bar.advance(100)
    assert bar.next_chunk() == 400
    bar.close()


def test_by_default_the_bar_shows_only_on_a_terminal():
    class Stream(io.StringIO):
        def __init__(self, tty: bool):
            super().__init__()
            self.tty = tty

        def isatty(self) -> bool:
            return self.tty

    assert wanted(None, Stream(True))
    assert not wanted(None, Stream(False))
    assert wanted(True, Stream(False))
    assert not wanted(False, Stream(True))


def test_the_configuration_key_sets_the_default(capsys):
    net, _ = network()
    net.config(progress=True)  # accepted after compile: it only changes how runs are shown
    net.simulate(10.0)
    assert "100/100" in capsys.readouterr().err
    net.config(progress=False)
    net.simulate(10.0)
    assert capsys.readouterr().err == ""
    net.simulate(10.0, progress=True)  # the argument wins
    assert "100/100" in capsys.readouterr().err


def test_the_interpreter_shows_the_bar_too(capsys):
    net, _ = network("interp")
    net.simulate(5.0, progress=True)
    assert "50/50" in capsys.readouterr().err


def test_a_missing_tqdm_names_the_extra(monkeypatch):
    net, _ = network()
    monkeypatch.setitem(sys.modules, "tqdm", None)
    with pytest.raises(MissingExtraError, match=r"nnc-sim\[progress\]"):
        net.simulate(1.0, progress=True)
    net.simulate(1.0)  # the default (standard output is not a terminal under pytest) needs no tqdm


def test_measure_time_prints_as_the_reference(capsys):
    net, _ = network()
    net.simulate(100.0, measure_time=True)
    out = capsys.readouterr().out
    assert out.startswith(f"Simulating 0.1 seconds of the network {net.id} took ")
    assert out.rstrip().endswith(" seconds.")


def test_measure_time_of_the_default_network_does_not_name_it(capsys):
    ann.clear()
    pop = ann.Population(3, ann.Neuron(equations="r = 1.0"))
    assert pop is not None
    ann.compile()
    capsys.readouterr()
    ann.simulate(50.0, measure_time=True)
    assert capsys.readouterr().out.startswith("Simulating 0.05 seconds of the network took ")
    ann.clear()
