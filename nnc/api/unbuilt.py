"""Names of the ANNarchy API that nnc does not implement yet: using one raises NotImplementedError.

They exist so that ``import nnc as ann`` scripts fail at the line that needs the missing feature, with a
message that says what is missing, rather than with an AttributeError.
"""

from __future__ import annotations

from typing import NoReturn


def _unbuilt(name: str, needs: str) -> type:
    def __init__(self: object, *args: object, **kwargs: object) -> NoReturn:  # noqa: N807
        raise NotImplementedError(f"{name} is not built yet: it needs {needs}")

    return type(name, (), {"__init__": __init__, "__doc__": f"Not built yet (needs {needs})."})


_SPIKING = "the spiking runtime (spike emission, transmission of spikes)"


def report(*args: object, **kwargs: object) -> NoReturn:
    """Not built yet: the reference's LaTeX/Markdown model report (``ann.report``)."""
    raise NotImplementedError("report is not built yet: nnc has no model report generator")
