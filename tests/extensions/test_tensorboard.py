"""The TensorBoard Logger: what it writes, read back from the event files (TFRecord framing, Event protos)."""

from __future__ import annotations

import io
import struct
import sys
from pathlib import Path

import numpy as np
import pytest

import nnc as ann
from nnc.diagnostics import ModelError
from nnc.extensions.tensorboard import Logger
from nnc.optional import MissingExtraError

pytest.importorskip("tensorboardX")  # the test extra installs it
Image = pytest.importorskip("PIL.Image")
from tensorboardX.proto import event_pb2  # noqa: E402


def _events(directory: Path) -> list[object]:
    """Every Event of the run's event files (records: u64 length, u32 crc, data, u32 crc)."""
    events = []
    for path in sorted(directory.glob("events.out.tfevents.*")):
        data = path.read_bytes()
        pos = 0
        while pos < len(data):
            (length,) = struct.unpack("<Q", data[pos : pos + 8])
            event = event_pb2.Event()
            event.ParseFromString(data[pos + 12 : pos + 12 + length])
            events.append(event)
            pos += 12 + length + 4
    return events


def _values(directory: Path) -> dict[str, list[tuple[int, object]]]:
    out: dict[str, list[tuple[int, object]]] = {}
    for e in _events(directory):
        for v in e.summary.value:
            out.setdefault(v.tag, []).append((e.step, v))
    return out


def test_scalars_histograms_and_images_from_a_simulation(tmp_path):
    net = ann.Network(dt=1.0, seed=1)
    pop = net.create((4, 5), ann.Neuron(parameters="f = 1.0", equations="r = sin(f * t / 10.0)"))
    pop.f = np.linspace(0.1, 2.0, 20).reshape(4, 5)
    net.compile()
    with Logger(logdir=str(tmp_path), experiment="run1") as logger:
        for trial in range(3):
            net.simulate(10.0)
            logger.add_scalar("Activity/mean", float(np.mean(pop.r)), trial)
            logger.add_scalars(
                "Activity/neurons", {"first": float(pop.r[0, 0]), "last": float(pop.r[3, 4])}, trial
            )
            logger.add_histogram("Rates", pop.r, trial)
            logger.add_image("Rates/image", pop.r, trial, equalize=True)
            logger.add_images("Rates/rows", np.stack([pop.r, 2 * pop.r]), trial, equalize=True)
            logger.add_image("Color", np.stack([pop.r, pop.r, pop.r], axis=-1) ** 2, trial)
    values = _values(tmp_path / "run1")
    means = [(step, v.simple_value) for step, v in values["Activity/mean"]]
    assert [s for s, _ in means] == [0, 1, 2]
    assert means[-1][1] == pytest.approx(float(np.mean(pop.r)), rel=1e-6)
    hist = values["Rates"][-1][1].histo
    assert hist.num == 20
    assert hist.min == pytest.approx(pop.r.min())
    assert hist.max == pytest.approx(pop.r.max())
    image = values["Rates/image"][-1][1].image
    assert (image.height, image.width) == (4, 5)
    pixels = np.asarray(Image.open(io.BytesIO(image.encoded_image_string)).convert("L"), dtype=np.float64)
    equalized = (pop.r - pop.r.min()) / (pop.r.max() - pop.r.min())
    np.testing.assert_allclose(pixels, np.round(equalized * 255), atol=1)  # tensorboardX rounds to uint8
    color = values["Color"][0][1].image
    assert (color.height, color.width, color.colorspace) == (4, 5, 3)
    assert (values["Rates/rows"][0][1].image.height, values["Rates/rows"][0][1].image.width) == (4, 10)
    # add_scalars writes each curve in a run directory of its own
    first = _values(tmp_path / "run1" / "Activity" / "neurons" / "first")
    assert len(first["Activity/neurons"]) == 3


def test_equalize_a_constant_image_and_errors(tmp_path):
    with Logger(logdir=str(tmp_path), experiment="e") as logger:
        logger.add_image("flat", np.full((3, 3), 7.0), 0, equalize=True)  # no division by zero
        logger.add_images("flat", np.full((2, 3, 3), 7.0), 0, equalize=True, equalize_per_image=True)
        with pytest.raises(ModelError, match="\\(H, W, 3\\)"):
            logger.add_image("bad", np.zeros((3, 3, 2)))
        with pytest.raises(ModelError, match="\\(H, W\\) or \\(H, W, 3\\)"):
            logger.add_image("bad", np.zeros(3))


def test_default_run_directory_and_parameters(tmp_path, capsys):
    logger = Logger(logdir=str(tmp_path))
    assert "Logging in" in capsys.readouterr().out
    logger.add_parameters({"tau": 10.0, "eta": 0.1}, {"accuracy": 0.9})
    logger.flush()
    logger.close()
    (run,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    assert "_" in run.name  # <date>_<host>
    assert any(p.is_file() for p in run.rglob("events.out.tfevents.*"))


def test_figure(tmp_path):
    plt = pytest.importorskip("matplotlib.pyplot")
    fig = plt.figure(figsize=(2, 1), dpi=50)
    plt.plot([0, 1, 0])
    with Logger(logdir=str(tmp_path), experiment="fig") as logger:
        logger.add_figure("Plot", fig, 5)
    image = _values(tmp_path / "fig")["Plot"][0][1].image
    assert (image.width, image.height) == (100, 50)
    assert not plt.fignum_exists(fig.number)


def test_missing_tensorboardx_names_the_extra(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "tensorboardX", None)
    with pytest.raises(MissingExtraError, match=r"pip install 'nnc-sim\[tensorboard\]'"):
        Logger(logdir=str(tmp_path))
