"""``report()``: a Markdown or LaTeX description of a network (the reference's ``ANNarchy.report``).

The document lists the populations, projections (with their connection patterns) and monitors, the
neuron and synapse models the network uses with their parameters and equations typeset in LaTeX, the
constants, the global functions and the parameter values of each population and projection.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from nnc.diagnostics import ModelError

if TYPE_CHECKING:
    from nnc.api.network import Network

__all__ = ["report"]


def report(
    network: Network | str | None = None,
    filename: str = "./report.tex",
    standalone: bool = True,
    gather_subprojections: bool = False,
    title: str | None = None,
    author: str | None = None,
    date: str | None = None,
    net_id: int = 0,
) -> None:
    """Write the description of ``network`` to ``filename``.

    A name ending in ``.tex`` gives the LaTeX tables of Nordlie et al. (2009) (``standalone``: a
    complete document for ``pdflatex``, else a fragment to ``\\input``); ``.md`` gives Markdown that
    ``pandoc report.md -o report.pdf`` converts (``title``, ``author``, ``date``: its header).
    ``gather_subprojections``: projections with the same pre- and post-synaptic populations and target
    are listed once.

    ``report(net, "model.md")`` is the reference's form. The older ``report("model.md", net_id=0)``
    (first argument a file name) describes the network whose id is ``net_id`` (0: the default network
    of the legacy API).
    """
    from nnc.api.network import Network

    if isinstance(network, str):  # report(filename, ...): the file name first, the network by its id
        network, filename = None, network
    if network is None:
        from nnc.api.network import network_by_id

        network = network_by_id(net_id)
    if not isinstance(network, Network):
        raise ModelError(f"report(): expected a Network as first argument, got {type(network).__name__}")
    filename = os.fspath(filename)
    if not filename.endswith((".tex", ".md")):
        raise ModelError(f"report(): the file name must end with .tex or .md, not {filename!r}")

    from nnc.report.content import describe

    content = describe(network, gather_subprojections)
    if filename.endswith(".tex"):
        from nnc.report.latex import latex

        text = latex(content, standalone)
    else:
        from nnc.report.markdown import markdown

        text = markdown(content, title, author, date)
    print("Generating report in", filename)
    folder = os.path.dirname(filename)
    if folder:
        os.makedirs(folder, exist_ok=True)
    with open(filename, "w", encoding="utf-8") as f:
        f.write(text)
