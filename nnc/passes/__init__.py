"""The passes of nnc: IR -> IR transformations run between assembly and lowering.

``Pass`` is the protocol every pass implements and ``register`` enters a pass into the registry under a
name (see :mod:`nnc.passes.registry` and docs/compiler.md); ``run_pipeline`` runs a list of passes and
verifies the module after each.
"""

from nnc.passes.pipeline import default_pipeline, run_pipeline
from nnc.passes.registry import Pass, build_pipeline, get_pass, register, registered

__all__ = ["Pass", "build_pipeline", "default_pipeline", "get_pass", "register", "registered", "run_pipeline"]
