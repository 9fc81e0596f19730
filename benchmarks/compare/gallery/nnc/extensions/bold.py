"""``nnc.extensions.bold`` on the reference simulator.

Names imported one by one: the reference's ``__all__`` of this module lacks a comma (a star import fails).
"""

from ANNarchy.extensions.bold import (  # noqa: F401
    BoldModel,
    BoldMonitor,
    balloon_CL,
    balloon_CN,
    balloon_RL,
    balloon_RN,
    balloon_two_inputs,
)
