"""``ImagePopulation`` (Pillow) and ``VideoPopulation`` (OpenCV): pixels as rates in [0, 1].

The geometry is ``(height, width)`` (luminance) or ``(height, width, 3)`` (RGB; a third dimension of 1
is dropped, luminance). An image of another size is resized to ``(width, height)`` (a warning says so);
``r = pixel / 255``. The populations are rate-coded, ``r`` a parameter set from Python (as the
reference's ``Neuron(parameters="r = 0.0")``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from nnc.api.population import Population
from nnc.descriptions.models import Neuron
from nnc.diagnostics import ModelError, SimulationError
from nnc.optional import require

if TYPE_CHECKING:
    from nnc.api.network import Network


def _image_geometry(geometry: object) -> tuple[int, ...]:
    if isinstance(geometry, int) or len(geometry) == 1:  # type: ignore[arg-type]
        raise ModelError("The geometry of an ImagePopulation should be 2D (grayscale) or 3D (color).")
    shape = tuple(int(g) for g in geometry)  # type: ignore[union-attr]
    if len(shape) > 3 or (len(shape) == 3 and shape[2] not in (1, 3)):
        raise ModelError(
            "The third dimension of an ImagePopulation should be either 1 (grayscale) or 3 (color)."
        )
    return shape[:2] if len(shape) == 3 and shape[2] == 1 else shape


class ImagePopulation(Population):
    """A rate-coded population representing an image, one neuron per pixel (and per colour channel).

    ``set_image(filename)`` loads the image with Pillow (the ``image`` extra).
    """

    def __init__(self, geometry: tuple[int, ...], name: str | None = None, network: Network | None = None):
        neuron = Neuron(parameters="r = 0.0", name="ImagePopulation", description="Pixels as rates")
        super().__init__(_image_geometry(geometry), neuron, name=name, network=network)

    @property
    def _color(self) -> bool:
        return len(self.geometry) == 3

    def set_image(self, filename: str) -> None:
        """Set the rates from an image file (anything Pillow opens), resized to the population if needed."""
        require("PIL", "image", "ImagePopulation.set_image")
        from PIL import Image

        try:
            im = Image.open(filename)
        except (OSError, ValueError) as e:
            raise SimulationError(f"The image {filename} does not exist or cannot be read: {e}") from e
        height, width = self.geometry[0], self.geometry[1]
        if im.size != (width, height):
            self.network._warn(
                f"The image {filename} does not have the same size {im.size} as the population "
                f"{(width, height)}. It will be resized."
            )
            im = im.resize((width, height))
        im = im.convert("RGB" if self._color else "L")
        self.r = np.asarray(im, dtype=np.float64).reshape(self.size) / 255.0


class VideoPopulation(ImagePopulation):
    """A rate-coded population fed by a camera (OpenCV, the ``image`` extra), one neuron per pixel.

    ``start_camera(id)``, then ``grab_image()`` before each run; ``release()`` frees the camera.
    """

    def __init__(
        self,
        geometry: tuple[int, ...],
        opencv_version: str = "4",
        name: str | None = None,
        network: Network | None = None,
    ):
        super().__init__(geometry, name=name, network=network)
        self.__dict__["opencv_version"] = opencv_version
        self.__dict__["_camera"] = None

    def start_camera(self, camera_port: int = 0) -> None:
        """Open the camera ``camera_port`` (``/dev/video<port>`` on Linux)."""
        cv2 = require("cv2", "image", "VideoPopulation")
        camera = cv2.VideoCapture(camera_port)
        if not camera.isOpened():
            raise SimulationError(f"VideoPopulation: could not open the camera {camera_port}")
        self.__dict__["_camera"] = camera

    def grab_image(self) -> None:
        """Read one frame, resize it to the population and set the rates (RGB or luminance)."""
        camera = self._camera
        if camera is None:
            raise SimulationError("VideoPopulation: start the camera first (start_camera())")
        ok, frame = camera.read()
        if not ok:
            raise SimulationError("VideoPopulation: the camera gave no frame")
        self.set_frame(frame)

    def set_frame(self, frame: np.ndarray) -> None:
        """Set the rates from a BGR frame as OpenCV reads it (resized with OpenCV's default
        interpolation, converted to luminance or to RGB order)."""
        cv2 = require("cv2", "image", "VideoPopulation")
        height, width = self.geometry[0], self.geometry[1]
        resized = cv2.resize(np.asarray(frame), (width, height))
        pixels = (
            resized[..., ::-1] if self._color else cv2.cvtColor(resized, cv2.COLOR_BGR2GRAY)
        )  # BGR -> RGB
        self.r = np.ascontiguousarray(pixels, dtype=np.float64).reshape(self.size) / 255.0

    def release(self) -> None:
        """Release the camera."""
        if self._camera is not None:
            self._camera.release()
            self.__dict__["_camera"] = None
