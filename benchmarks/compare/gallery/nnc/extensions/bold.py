"""``nnc.extensions.bold`` on the reference simulator."""

from ANNarchy.extensions.bold import *  # noqa: F403
