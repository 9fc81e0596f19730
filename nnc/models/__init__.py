"""Built-in neuron and synapse models (MODELS.md §1-3) as ``Neuron`` / ``Synapse`` subclasses."""

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
from nnc.models.synapses import IBCM, STDP, STP, Hebb, Oja

__all__ = [
    "IBCM",
    "STDP",
    "STP",
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
    "Oja",
]
