"""Entry points of the frontend: neuron / synapse descriptions -> IR models, function definitions."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass, replace

from nnc.descriptions.models import Neuron, Synapse
from nnc.frontend.build_function import parse_functions as _parse_functions
from nnc.frontend.build_neuron import NeuronEnv, build_neuron
from nnc.frontend.build_synapse import SynapseEnv, build_synapse
from nnc.ir.model import FunctionDef, NeuronModel, SynapseModel
from nnc.ir.types import Method

__all__ = ["Environment", "analyse_neuron", "analyse_synapse", "parse_functions", "shared_analyses"]


@dataclass(frozen=True, slots=True)
class Environment:
    """What the network contributes to the analysis of a model."""

    constants: tuple[str, ...] = ()  # network constants visible to equations
    functions: tuple[FunctionDef, ...] = ()  # global functions (add_function), already parsed
    default_method: Method = Method.EXPLICIT  # network default ODE method (DSL.md §9.8)
    connected_targets: tuple[str, ...] | None = None  # rate targets connected to this population
    # (None: not known yet; ``sum()`` then reads 0)


class _Analyses:
    """Models already analysed during one compile, by description contents and environment."""

    def __init__(self) -> None:
        self.neurons: dict[tuple[object, ...], NeuronModel] = {}
        self.synapses: dict[tuple[object, ...], SynapseModel] = {}
        self.base: dict[int, NeuronModel] = {}  # id of a renamed model -> the analysed one
        self.kept: list[object] = []  # objects whose id is part of a key stay alive

    def key(self, value: object) -> object:
        """A hashable key equal for equal description contents (each population and projection
        works on its own copy of a description; the values in it are shared)."""
        match value:
            case None | bool() | int() | float() | str():
                return (type(value).__name__, value)
            case list() | tuple():
                return ("seq", *(self.key(v) for v in value))
            case dict():
                return ("map", *((self.key(k), self.key(v)) for k, v in value.items()))
            case Neuron() | Synapse():
                return (type(value).__name__, *((k, self.key(v)) for k, v in sorted(vars(value).items())))
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            fields = ((f.name, self.key(getattr(value, f.name))) for f in dataclasses.fields(value))
            return (type(value).__name__, *fields)
        self.kept.append(value)
        return ("object", id(value))


_MEMO: list[_Analyses] = []


@contextlib.contextmanager
def shared_analyses() -> Iterator[None]:
    """Within this block, a neuron (synapse) description with the contents of one analysed before, in
    the same environment (for the same pre/post models and targets), returns that analysis: a network
    of many populations of one model analyses it once. A neuron without a name takes the population's
    (``name``), so its other populations get the model renamed, and its source locations keep naming
    the first population. Descriptions must not change within the block (compile() holds it)."""
    _MEMO.append(_Analyses())
    try:
        yield
    finally:
        _MEMO.pop()


def analyse_neuron(neuron: Neuron, env: Environment, name: str | None = None) -> NeuronModel:
    """Parse and check ``neuron``; ``name`` (the population's) is used when the model has no name."""
    memo = _MEMO[-1] if _MEMO else None
    key: tuple[object, ...] = ()
    if memo is not None:
        key = (memo.key(neuron), env)
        model = memo.neurons.get(key)
        if model is not None:
            wanted = neuron.name or name or "neuron"
            if model.name == wanted:
                return model
            renamed = replace(model, name=wanted)
            memo.base[id(renamed)] = model
            memo.kept.append(renamed)
            return renamed
    neuron_env = NeuronEnv(env.constants, env.functions, env.default_method, env.connected_targets)
    model = build_neuron(neuron, neuron_env, name)
    if memo is not None:
        memo.neurons[key] = model
    return model


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
    memo = _MEMO[-1] if _MEMO else None
    key: tuple[object, ...] = ()
    if memo is not None:
        pre_base, post_base = memo.base.get(id(pre), pre), memo.base.get(id(post), post)
        memo.kept += [pre, post]
        key = (memo.key(synapse), env, id(pre_base), id(post_base), pre_targets, post_targets)
        model = memo.synapses.get(key)
        if model is not None:
            return model
    synapse_env = SynapseEnv(env.constants, env.functions, env.default_method, pre_targets, post_targets)
    model = build_synapse(synapse, synapse_env, pre, post)
    if memo is not None:
        memo.synapses[key] = model
    return model


def parse_functions(
    text: str, owner: str, functions: tuple[FunctionDef, ...] = (), constants: tuple[str, ...] = ()
) -> tuple[FunctionDef, ...]:
    """Functions defined in ``text`` (``Neuron(functions=)``, ``add_function``).

    ``functions`` are global functions the bodies may call, ``constants`` the constants they may read.
    """
    return _parse_functions(text, owner, functions, constants)
