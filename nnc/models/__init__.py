"""Built-in neuron and synapse models (MODELS.md §1-3) as ``Neuron`` / ``Synapse`` subclasses; their lists."""

from __future__ import annotations

import sys
import types

from nnc.models.neurons import (
    IF_cond_alpha,
    IF_cond_exp,
    IF_curr_alpha,
    IF_curr_exp,
    Izhikevich,
    LeakyIntegrator,
)
from nnc.models.neurons_ext import (
    EIF_cond_alpha_isfa_ista,
    EIF_cond_exp_isfa_ista,
    GIF_curr,
    GIF_curr_exp,
    HH_cond_exp,
)
from nnc.models.synapses import (
    IBCM,
    STDP,
    STP,
    DefaultRateCodedSynapse,
    DefaultSpikingSynapse,
    Hebb,
    Oja,
)

__all__ = [
    "IBCM",
    "STDP",
    "STP",
    "DefaultRateCodedSynapse",
    "DefaultSpikingSynapse",
    "EIF_cond_alpha_isfa_ista",
    "EIF_cond_exp_isfa_ista",
    "GIF_curr",
    "GIF_curr_exp",
    "HH_cond_exp",
    "Hebb",
    "IF_cond_alpha",
    "IF_cond_exp",
    "IF_curr_alpha",
    "IF_curr_exp",
    "Izhikevich",
    "LeakyIntegrator",
    "Neurons",
    "Oja",
    "Synapses",
    "list_standard_neurons",
    "list_standard_synapses",
]


def list_standard_neurons() -> list[type]:
    """The built-in neuron classes, in the reference's order (``ANNarchy.models.list_standard_neurons``)."""
    return [
        LeakyIntegrator,
        Izhikevich,
        IF_curr_exp,
        IF_cond_exp,
        IF_curr_alpha,
        IF_cond_alpha,
        GIF_curr,
        GIF_curr_exp,
        HH_cond_exp,
        EIF_cond_alpha_isfa_ista,
        EIF_cond_exp_isfa_ista,
    ]


def list_standard_synapses() -> list[type]:
    """The built-in plastic synapse classes, in the reference's order (the defaults are not listed)."""
    return [STP, STDP, Hebb, Oja, IBCM]


def _alias(name: str, doc: str, members: list[type]) -> types.ModuleType:
    """A module ``nnc.models.<name>`` holding ``members`` (the reference's submodule names; not files,
    which would collide with ``neurons.py`` / ``synapses.py`` on case-insensitive file systems)."""
    module = types.ModuleType(f"{__name__}.{name}", doc)
    module.__dict__.update({m.__name__: m for m in members})
    module.__all__ = [m.__name__ for m in members]  # type: ignore[attr-defined]
    sys.modules[module.__name__] = module
    return module


#: ``ANNarchy.models.Neurons`` / ``ANNarchy.models.Synapses``
Neurons = _alias(
    "Neurons", "The built-in neuron models (the reference's module name).", list_standard_neurons()
)
Synapses = _alias(
    "Synapses",
    "The built-in synapse models (the reference's module name).",
    [*list_standard_synapses(), DefaultRateCodedSynapse, DefaultSpikingSynapse],
)
