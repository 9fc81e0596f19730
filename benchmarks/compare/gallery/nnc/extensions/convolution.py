"""``nnc.extensions.convolution`` on the reference simulator."""

from ANNarchy.extensions.convolution import *  # noqa: F403
