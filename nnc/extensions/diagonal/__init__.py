"""``DiagonalProjection``: shared weights along the diagonals of a 2D or 4D map.

Import it as scripts written for the reference do (``from ANNarchy.extensions.diagonal import
DiagonalProjection`` becomes ``from nnc.extensions.diagonal import DiagonalProjection``).
"""

from nnc.extensions.diagonal.projection import DiagonalProjection

__all__ = ["DiagonalProjection"]
