"""``Logger``: scalars, images, histograms, figures and parameters of a simulation, in TensorBoard's format.

Logs go to ``logdir/experiment`` (default ``runs/<Mon01_12-00-00>_<hostname>``, as tensorboardX names
runs); view them with ``tensorboard --logdir runs``. Use the logger as a context manager, or call
:meth:`Logger.close` at the end: tensorboardX queues events in memory before writing them.
"""

from __future__ import annotations

import os
import socket
from datetime import datetime
from types import TracebackType

import numpy as np

from nnc.diagnostics import ModelError
from nnc.optional import require


def _equalized(img: np.ndarray) -> np.ndarray:
    """``img`` rescaled to [0, 1] by its minimum and maximum (a constant image becomes 0)."""
    img = np.asarray(img, dtype=np.float64)
    span = img.max() - img.min()
    return (img - img.min()) / span if span > 0 else np.zeros_like(img)


class Logger:
    """Logs data of a simulation for TensorBoard (the ``tensorboard`` extra).

    ``logdir``: the directory of all runs (created if needed); ``experiment``: the subdirectory of this
    run (default: the current date and time and the host name; an existing one is appended to).
    """

    def __init__(self, logdir: str = "runs/", experiment: str | None = None):
        tensorboard_x = require("tensorboardX", "tensorboard", "the TensorBoard Logger")
        self.logdir = logdir
        self.experiment = experiment
        os.makedirs(self.logdir, exist_ok=True)
        if not experiment:
            now = datetime.now().strftime("%b%d_%H-%M-%S")
            self.currentlogdir = os.path.join(self.logdir, f"{now}_{socket.gethostname()}")
        else:
            self.currentlogdir = os.path.join(self.logdir, experiment)
        print("Logging in", self.currentlogdir)
        self._summary = tensorboard_x.SummaryWriter(
            self.currentlogdir,
            comment="",
            purge_step=None,
            max_queue=10,
            flush_secs=10,
            filename_suffix="",
            write_to_disk=True,
        )

    # ------------------------------------------------------------------ values
    def add_scalar(self, tag: str, value: float, step: int | None = None) -> None:
        """Log one value (for example an accuracy after each trial) under ``tag``."""
        self._summary.add_scalar(tag=tag, scalar_value=value, global_step=step, walltime=None)

    def add_scalars(self, tag: str, value: dict[str, float], step: int | None = None) -> None:
        """Log several values drawn in the same figure (``{name: value}``)."""
        self._summary.add_scalars(main_tag=tag, tag_scalar_dict=value, global_step=step, walltime=None)

    def add_histogram(self, tag: str, hist: list | np.ndarray, step: int | None = None) -> None:
        """Log the distribution of a list or array of values (for example the weights of a projection)."""
        self._summary.add_histogram(tag, np.asarray(hist, dtype=np.float64).reshape(-1), step)

    def add_parameters(self, params: dict[str, object], metrics: dict[str, float]) -> None:
        """Log the parameters of a run and the metrics it reached (TensorBoard's HParams view)."""
        self._summary.add_hparams(params, metrics)

    # ------------------------------------------------------------------ images
    def add_image(self, tag: str, img: np.ndarray, step: int | None = None, equalize: bool = False) -> None:
        """Log an image of shape (H, W) or (H, W, 3): integers in 0..255 or floats in [0, 1];
        ``equalize`` rescales it to [0, 1] by its minimum and maximum."""
        img = np.asarray(img)
        if img.ndim == 3 and img.shape[2] != 3:
            raise ModelError("Logger.add_image: color images must be of shape (H, W, 3).")
        if img.ndim not in (2, 3):
            raise ModelError("Logger.add_image: images must be of shape (H, W) or (H, W, 3).")
        if equalize:
            img = _equalized(img)
        fmt = "HW" if img.ndim == 2 else "HWC"
        self._summary.add_image(tag=tag, img_tensor=img, global_step=step, walltime=None, dataformats=fmt)

    def add_images(
        self,
        tag: str,
        img: np.ndarray,
        step: int | None = None,
        equalize: bool = False,
        equalize_per_image: bool = False,
    ) -> None:
        """Log a set of images, shape (N, H, W) or (N, H, W, 3) (for example receptive fields);
        ``equalize`` rescales by the minimum and maximum of the whole array, or of each image with
        ``equalize_per_image``."""
        img = np.asarray(img)
        if img.ndim == 3:
            img = img[..., None]
        if img.ndim != 4 or img.shape[3] not in (1, 3):
            raise ModelError("Logger.add_images: images must be of shape (N, H, W) or (N, H, W, 3).")
        if equalize:
            img = np.stack([_equalized(i) for i in img]) if equalize_per_image else _equalized(img)
        self._summary.add_images(tag=tag, img_tensor=img, global_step=step, walltime=None, dataformats="NHWC")

    def add_figure(self, tag: str, figure: object, step: int | None = None, close: bool = True) -> None:
        """Log a Matplotlib figure as an image (``close``: close the figure afterwards)."""
        require("matplotlib", "plot", "Logger.add_figure")
        import matplotlib.pyplot as plt
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        canvas = FigureCanvasAgg(figure)  # type: ignore[arg-type]
        canvas.draw()
        rgba = np.asarray(canvas.buffer_rgba(), dtype=np.uint8)
        image = rgba[..., :3]
        if close:
            plt.close(figure)  # type: ignore[arg-type]
        self._summary.add_image(tag, np.moveaxis(image, 2, 0), step)

    # ------------------------------------------------------------------ lifetime
    def flush(self) -> None:
        """Write the queued data to disk."""
        self._summary.flush()

    def close(self) -> None:
        """Write the queued data and close the log."""
        self._summary.close()

    def __enter__(self) -> Logger:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        self.close()
