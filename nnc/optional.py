"""Optional packages: import one for a feature, or raise an error that names the extra installing it.

The distribution (``nnc-sim`` on the package index; the import name is ``nnc``) declares one extra per
optional feature in ``pyproject.toml``; :data:`EXTRAS` mirrors that table (a test keeps them equal), and
``pip install 'nnc-sim[all]'`` installs every extra. A feature that needs an optional package imports
it through :func:`require`, so a user who lacks it reads which extra to install instead of a bare
``ModuleNotFoundError`` from deep inside nnc.
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass
from types import ModuleType

from nnc.diagnostics import InternalError, NncError

#: The distribution's name on the package index.
DISTRIBUTION = "nnc-sim"


@dataclass(frozen=True, slots=True)
class Extra:
    """One extra of the distribution: what it is for, its requirements (as in ``pyproject.toml``) and
    the modules they provide."""

    name: str
    purpose: str
    requirements: tuple[str, ...]
    modules: tuple[str, ...]


EXTRAS: dict[str, Extra] = {
    e.name: e
    for e in (
        Extra(
            "cuda",
            "the CUDA backend (GPU launches; libdevice for tanh, pow ... on the GPU)",
            ("cuda-bindings>=12", "nvidia-nvvm>=13"),
            ("cuda.bindings",),
        ),
        Extra(
            "dask",
            "parallel_run and sweep on a Dask cluster",
            ("dask[distributed]>=2024.1", "tqdm>=4.66"),
            ("dask", "distributed", "tqdm"),
        ),
        Extra(
            "plot",
            "plotting recorded data (nnc.plot) and the gallery",
            ("matplotlib>=3.8",),
            ("matplotlib", "mpl_toolkits"),
        ),
        Extra("progress", "the progress bar of simulate(progress=True)", ("tqdm>=4.66",), ("tqdm",)),
        Extra(
            "docs",
            "building the documentation site",
            ("mkdocs>=1.6", "mkdocs-material>=9.5", "mkdocstrings[python]>=0.26"),
            ("mkdocs", "material", "mkdocstrings"),
        ),
        Extra(
            "image",
            "ImagePopulation (Pillow) and VideoPopulation (OpenCV), nnc.extensions.image",
            ("pillow>=10", "opencv-python-headless>=4.8"),
            ("PIL", "cv2"),
        ),
        Extra(
            "tensorboard",
            "logging to TensorBoard, nnc.extensions.tensorboard",
            ("tensorboardX>=2.6",),
            ("tensorboardX",),
        ),
        Extra(
            "keras",
            "reading Keras model files (.h5, .keras) in nnc.extensions.ann_to_snn_conversion",
            ("h5py>=3.8",),
            ("h5py",),
        ),
        Extra(
            "test",
            "the test suite (the built-wheel test, the extensions, the gallery, the documentation site)",
            (
                "pytest>=8",
                "hypothesis>=6.100",
                "build>=1.2",
                "twine>=6.1",
                "setuptools>=77",
                "lit>=17",
                "filecheck>=1.0",
                "dask[distributed]>=2024.1",
                "tqdm>=4.66",
                "cuda-bindings>=12",
                "pillow>=10",
                "opencv-python-headless>=4.8",
                "tensorboardX>=2.6",
                "h5py>=3.8",
                "matplotlib>=3.8",
                "mkdocs>=1.6",
                "mkdocs-material>=9.5",
                "mkdocstrings[python]>=0.26",
            ),
            (
                "pytest",
                "hypothesis",
                "build",
                "twine",
                "setuptools",
                "lit",
                "filecheck",
                "dask",
                "distributed",
                "tqdm",
                "cuda.bindings",
                "PIL",
                "cv2",
                "tensorboardX",
                "h5py",
                "matplotlib",
                "mkdocs",
                "material",
                "mkdocstrings",
            ),
        ),
    )
}


class MissingExtraError(NncError, ImportError):
    """A feature needs a package of an extra that is not installed."""


def install_hint(extra: str) -> str:
    """The command that installs ``extra``."""
    return f"pip install '{DISTRIBUTION}[{extra}]'"


def require(module: str, extra: str, feature: str) -> ModuleType:
    """Import ``module`` (a module of ``extra``) for ``feature``.

    A missing module raises :class:`MissingExtraError` naming the feature, the module and the command
    that installs the extra. An installed module that fails to import (a broken installation, a missing
    system library) raises its own ``ImportError``: installing the extra again would not help.
    """
    if extra not in EXTRAS or module not in EXTRAS[extra].modules:
        raise InternalError("optional", f"module '{module}' is not one of extra '{extra}'")
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as e:
        if e.name is None or not (module == e.name or module.startswith(e.name + ".")):
            raise  # the module exists but one of its own imports is missing
        raise MissingExtraError(
            f"{feature} needs the optional package '{module}', which is not installed; "
            f"install the '{extra}' extra: {install_hint(extra)}"
        ) from e


def available(extra: str) -> bool:
    """Whether every module of ``extra`` can be found (without importing them)."""
    return all(_findable(m) for m in EXTRAS[extra].modules)


def _findable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:  # a parent package is missing
        return False
