"""Input populations of API.md §10 that need no runtime support of their own: ``InputArray``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nnc.api.population import Population
from nnc.descriptions.models import Neuron
from nnc.diagnostics import ModelError

if TYPE_CHECKING:
    from nnc.api.network import Network


class InputArray(Population):
    """A rate-coded population whose ``r`` is set from Python and never updated (``r = r``).

    ``r`` is a variable, so it is recordable. Pass the object to ``net.create(...)``; constructed
    alone it belongs to the default network.
    """

    def __init__(self, geometry: object = None, name: str | None = None, network: Network | None = None):
        if geometry is None:
            raise ModelError("InputArray: a geometry is required")
        neuron = Neuron(equations="r = r", name="InputArray", description="Input array: r is set from Python")
        super().__init__(geometry, neuron, name=name, network=network)
