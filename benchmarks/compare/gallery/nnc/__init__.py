"""``import nnc as ann`` for the reference simulator: the gallery scripts run unchanged on ANNarchy.

Only ``benchmarks/compare/gallery/run.py`` puts this directory on the path, in the reference's own
virtual environment; the scripts then run with ``--no-figure`` (``nnc.plot`` is nnc's own).
"""

from ANNarchy import *  # noqa: F403
from ANNarchy import __version__  # noqa: F401
