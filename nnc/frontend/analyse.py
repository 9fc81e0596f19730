"""Entry points of the frontend: neuron / synapse descriptions -> IR models, function definitions."""

from __future__ import annotations

from dataclasses import dataclass

from nnc.descriptions.models import Neuron, Synapse
from nnc.frontend.build_function import parse_functions as _parse_functions
from nnc.frontend.build_neuron import NeuronEnv, build_neuron
from nnc.frontend.build_synapse import SynapseEnv, build_synapse
from nnc.ir.model import FunctionDef, NeuronModel, SynapseModel
from nnc.ir.types import Method

__all__ = ["Environment", "analyse_neuron", "analyse_synapse", "parse_functions"]


@dataclass(frozen=True, slots=True)
class Environment:
    """What the network contributes to the analysis of a model."""

    constants: tuple[str, ...] = ()  # network constants visible to equations
    functions: tuple[FunctionDef, ...] = ()  # global functions (add_function), already parsed
    default_method: Method = Method.EXPLICIT  # network default ODE method (DSL.md §9.8)
    connected_targets: tuple[str, ...] | None = None  # rate targets connected to this population
    # (None: not known yet; ``sum()`` then reads 0)


def analyse_neuron(neuron: Neuron, env: Environment, name: str | None = None) -> NeuronModel:
    """Parse and check ``neuron``; ``name`` (the population's) is used when the model has no name."""
    neuron_env = NeuronEnv(env.constants, env.functions, env.default_method, env.connected_targets)
    return build_neuron(neuron, neuron_env, name)


def analyse_synapse(
    synapse: Synapse | None,
    env: Environment,
    pre: NeuronModel,
    post: NeuronModel,
    pre_targets: tuple[str, ...],
    post_targets: tuple[str, ...],
) -> SynapseModel:
    """Parse and check ``synapse`` for a projection ``pre -> post``; None is the default synapse.

    ``pre_targets`` / ``post_targets`` are the targets connected to the pre / post populations
    (checked by ``pre.sum(t)`` / ``post.sum(t)``). The synapse's kind is the kind of ``pre``.
    """
    synapse_env = SynapseEnv(env.constants, env.functions, env.default_method, pre_targets, post_targets)
    return build_synapse(synapse, synapse_env, pre, post)


def parse_functions(
    text: str, owner: str, functions: tuple[FunctionDef, ...] = (), constants: tuple[str, ...] = ()
) -> tuple[FunctionDef, ...]:
    """Functions defined in ``text`` (``Neuron(functions=)``, ``add_function``).

    ``functions`` are global functions the bodies may call, ``constants`` the constants they may read.
    """
    return _parse_functions(text, owner, functions, constants)
