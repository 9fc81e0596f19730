"""Convolution, pooling and weight-sharing projections (API.md §11).

``Convolution`` and ``Pooling`` are stored in their own connectivity format (``Format.STENCIL``): each
post neuron reads a box of pre-synaptic neurons around its anchor, with weights shared by all post
neurons; no synapse lists. ``Copy`` and ``Transpose`` read the synapses of another projection (as they
are, or backwards through its pre->post index, ``Format.TRANSPOSED``). Import them as scripts written for
the reference do
(``from ANNarchy.extensions.convolution import Convolution`` becomes
``from nnc.extensions.convolution import Convolution``).
"""

from nnc.extensions.convolution.convolution import Convolution
from nnc.extensions.convolution.copy import Copy, Transpose
from nnc.extensions.convolution.pooling import Pooling

__all__ = ["Convolution", "Copy", "Pooling", "Transpose"]
