"""BOLD monitoring (API.md §12): ``BoldMonitor``, ``BoldModel`` and the predefined balloon models.

Import it as scripts written for the reference do (``from ANNarchy.extensions.bold import BoldMonitor``
becomes ``from nnc.extensions.bold import BoldMonitor``); ``net.boldmonitor(...)`` creates a monitor.
"""

from nnc.extensions.bold.accumulate import AccProjection
from nnc.extensions.bold.models import (
    BoldModel,
    balloon_CL,
    balloon_CN,
    balloon_maith2021,
    balloon_RL,
    balloon_RN,
    balloon_two_inputs,
)
from nnc.extensions.bold.monitor import BoldMonitor, BoldMonitorFromSlices
from nnc.extensions.bold.norm import NormProjection

__all__ = [
    "AccProjection",
    "BoldModel",
    "BoldMonitor",
    "BoldMonitorFromSlices",
    "NormProjection",
    "balloon_CL",
    "balloon_CN",
    "balloon_RL",
    "balloon_RN",
    "balloon_maith2021",
    "balloon_two_inputs",
]
