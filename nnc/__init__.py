"""nnc: a compiler toolchain for neural-network simulation with the ANNarchy 5 API.

``import nnc as ann`` gives the objects of API.md §1: networks, populations, monitors, models, random
distributions, and the legacy functions acting on the default network.
"""

from nnc.api.callbacks import every
from nnc.api.cluster import ParallelRunError
from nnc.api.config import float32, float64, setup
from nnc.api.constant import Constant, add_function, functions
from nnc.api.decoding import DecodingProjection
from nnc.api.dendrite import Dendrite, IndividualSynapse
from nnc.api.inputs import InputArray
from nnc.api.io import load, load_parameter, load_parameters, save, save_parameters
from nnc.api.legacy import (
    callbacks_enabled,
    clear,
    clear_all_callbacks,
    compile,
    disable_callbacks,
    disable_learning,
    dt,
    enable_callbacks,
    enable_learning,
    get_current_step,
    get_population,
    get_projection,
    get_time,
    magic_network,
    monitors,
    populations,
    projections,
    reset,
    set_current_step,
    set_seed,
    set_time,
    simulate,
    simulate_until,
    step,
)
from nnc.api.lil import LILConnectivity
from nnc.api.monitor import Monitor, MonitorList
from nnc.api.network import Network
from nnc.api.population import Population
from nnc.api.projection import Projection
from nnc.api.sparse import sparse_delays_from_weights, sparse_random_matrix
from nnc.api.special_projections import CurrentInjection
from nnc.api.spike_inputs import (
    HomogeneousCorrelatedSpikeTrains,
    PoissonPopulation,
    SpikeSourceArray,
    TimedPoissonPopulation,
)
from nnc.api.sweep import Sweep, sweep
from nnc.api.timed_array import TimedArray
from nnc.api.utils import timeit
from nnc.api.views import IndividualNeuron, PopulationView
from nnc.descriptions.models import Creating, Neuron, Parameter, Pruning, Synapse, Variable
from nnc.descriptions.random import (
    Binomial,
    DiscreteUniform,
    Exponential,
    Gamma,
    LogNormal,
    Normal,
    RandomDistribution,
    Uniform,
)
from nnc.diagnostics import ANNarchyException
from nnc.models import (
    IBCM,
    STDP,
    STP,
    EIF_cond_alpha_isfa_ista,
    EIF_cond_exp_isfa_ista,
    GIF_curr,
    GIF_curr_exp,
    Hebb,
    HH_cond_exp,
    IF_cond_alpha,
    IF_cond_exp,
    IF_curr_alpha,
    IF_curr_exp,
    Izhikevich,
    LeakyIntegrator,
    Oja,
)
from nnc.report import report

__version__ = "0.1.0"

__all__ = [
    "IBCM",
    "STDP",
    "STP",
    "ANNarchyException",
    "Dendrite",
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
    "IndividualSynapse",
    "InputArray",
    "Izhikevich",
    "LeakyIntegrator",
    "Oja",
    "ParallelRunError",
    "Projection",
    "Binomial",
    "Constant",
    "Creating",
    "DiscreteUniform",
    "Exponential",
    "Gamma",
    "IndividualNeuron",
    "LILConnectivity",
    "LogNormal",
    "Monitor",
    "MonitorList",
    "Network",
    "Neuron",
    "Normal",
    "Parameter",
    "Population",
    "PopulationView",
    "Pruning",
    "RandomDistribution",
    "Synapse",
    "TimedArray",
    "TimedPoissonPopulation",
    "PoissonPopulation",
    "SpikeSourceArray",
    "HomogeneousCorrelatedSpikeTrains",
    "CurrentInjection",
    "DecodingProjection",
    "report",
    "timeit",
    "Uniform",
    "Variable",
    "__version__",
    "add_function",
    "callbacks_enabled",
    "clear",
    "clear_all_callbacks",
    "compile",
    "disable_callbacks",
    "disable_learning",
    "dt",
    "enable_callbacks",
    "enable_learning",
    "every",
    "float32",
    "float64",
    "functions",
    "get_current_step",
    "get_population",
    "get_projection",
    "get_time",
    "load",
    "load_parameter",
    "load_parameters",
    "magic_network",
    "monitors",
    "populations",
    "projections",
    "reset",
    "save",
    "save_parameters",
    "set_current_step",
    "set_seed",
    "set_time",
    "setup",
    "simulate",
    "simulate_until",
    "sparse_delays_from_weights",
    "sparse_random_matrix",
    "step",
    "Sweep",
    "sweep",
]
