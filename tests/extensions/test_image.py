"""ImagePopulation (Pillow) and VideoPopulation (OpenCV): pixels as rates, resizing, colour and errors."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import nnc as ann
from nnc.diagnostics import ModelError, SimulationError
from nnc.extensions.image import ImagePopulation, VideoPopulation
from nnc.optional import MissingExtraError

Image = pytest.importorskip("PIL.Image")  # the test extra installs Pillow
cv2 = pytest.importorskip("cv2")  # and OpenCV


@pytest.fixture
def picture(tmp_path):
    """A 20 x 30 RGB PNG with distinct channels, and its pixels."""
    y, x = np.mgrid[0:20, 0:30]
    pixels = np.stack([(8 * x) % 256, (12 * y) % 256, (x * y) % 256], axis=-1).astype(np.uint8)
    path = tmp_path / "picture.png"
    Image.fromarray(pixels, "RGB").save(path)
    return path, pixels


def test_color_and_luminance(picture):
    path, pixels = picture
    net = ann.Network(dt=1.0, seed=1)
    color = net.create(ImagePopulation((20, 30, 3)))
    gray = net.create(ImagePopulation((20, 30)))
    single = net.create(ImagePopulation((20, 30, 1)))
    net.compile()
    color.set_image(str(path))
    gray.set_image(str(path))
    single.set_image(str(path))
    np.testing.assert_array_equal(color.r, pixels / 255.0)
    luminance = np.asarray(Image.fromarray(pixels, "RGB").convert("L"), dtype=np.float64) / 255.0
    np.testing.assert_array_equal(gray.r, luminance)
    assert single.geometry == (20, 30)
    np.testing.assert_array_equal(single.r, luminance)


def test_resized_with_a_warning(picture, capsys):
    path, pixels = picture
    net = ann.Network(dt=1.0, seed=1)
    pop = net.create(ImagePopulation((10, 15, 3)))
    out = net.create((10, 15, 3), ann.Neuron(equations="r = 2 * sum(exc)"))
    net.connect(pop, out, "exc").one_to_one(weights=1.0)
    net.compile()
    pop.set_image(str(path))
    assert "does not have the same size (30, 20) as the population (15, 10)" in capsys.readouterr().err
    want = np.asarray(Image.fromarray(pixels, "RGB").resize((15, 10)), dtype=np.float64) / 255.0
    np.testing.assert_array_equal(pop.r, want)
    net.step()
    np.testing.assert_allclose(out.r, 2 * want)


def test_geometry_and_file_errors(tmp_path):
    net = ann.Network(dt=1.0, seed=1)
    with pytest.raises(ModelError, match="2D \\(grayscale\\) or 3D"):
        ImagePopulation(100, network=net)
    with pytest.raises(ModelError, match="either 1 \\(grayscale\\) or 3"):
        ImagePopulation((10, 10, 2), network=net)
    pop = net.create(ImagePopulation((4, 4)))
    net.compile()
    with pytest.raises(SimulationError, match="does not exist"):
        pop.set_image(str(tmp_path / "missing.png"))


def test_missing_pillow_names_the_extra(monkeypatch, picture):
    net = ann.Network(dt=1.0, seed=1)
    pop = net.create(ImagePopulation((20, 30)))
    net.compile()
    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(MissingExtraError, match=r"pip install 'nnc-sim\[image\]'"):
        pop.set_image(str(picture[0]))


def test_video_frames(monkeypatch):
    """A BGR frame as OpenCV delivers it: resized by OpenCV, in RGB order or as luminance."""
    frame = np.random.default_rng(0).integers(0, 256, (48, 64, 3), dtype=np.uint8)
    net = ann.Network(dt=1.0, seed=1)
    color = net.create(VideoPopulation((24, 32, 3)))
    gray = net.create(VideoPopulation((24, 32)))
    net.compile()
    color.set_frame(frame)
    gray.set_frame(frame)
    resized = cv2.resize(frame, (32, 24))
    np.testing.assert_array_equal(color.r, resized[..., ::-1] / 255.0)
    np.testing.assert_array_equal(gray.r, cv2.cvtColor(resized, cv2.COLOR_BGR2GRAY) / 255.0)
    with pytest.raises(SimulationError, match="start the camera"):
        gray.grab_image()

    class Camera:  # stands for cv2.VideoCapture: no camera on a test machine
        def __init__(self, port):
            self.port, self.released = port, False

        def isOpened(self):  # noqa: N802 - OpenCV's name
            return True

        def read(self):
            return True, frame

        def release(self):
            self.released = True

    monkeypatch.setattr(cv2, "VideoCapture", Camera)
    color.start_camera(1)
    color.grab_image()
    np.testing.assert_array_equal(color.r, resized[..., ::-1] / 255.0)
    camera = color._camera
    color.release()
    assert camera.released


def test_no_camera_is_a_clear_error(monkeypatch):
    """Without a camera (as on test machines), start_camera raises instead of feeding black frames."""

    class NoCamera:
        def __init__(self, port):
            self.port = port

        def isOpened(self):  # noqa: N802 - OpenCV's name
            return False

    net = ann.Network(dt=1.0, seed=1)
    pop = net.create(VideoPopulation((8, 8)))
    net.compile()
    monkeypatch.setattr(cv2, "VideoCapture", NoCamera)
    with pytest.raises(SimulationError, match="could not open the camera 3"):
        pop.start_camera(3)
    with pytest.raises(SimulationError, match="start the camera"):
        pop.grab_image()
