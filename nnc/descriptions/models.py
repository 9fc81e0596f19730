"""Model descriptions of the API (API.md §4): Neuron, Synapse, Parameter, Variable, Creating, Pruning.

These are plain description objects: they keep the user's arguments exactly as given. Parsing and
checking of the equation text happens in :mod:`nnc.frontend.analyse` when a population or projection
uses the model; each use works on its own :meth:`copy`.
"""

from __future__ import annotations

import copy as _copy
from dataclasses import dataclass

from nnc.diagnostics import ModelError

#: Localities accepted by ``Parameter``/``Variable`` (DSL.md §3.1): canonical names and aliases.
LOCALITY_ALIASES: dict[str, str] = {
    "global": "global",
    "local": "local",
    "semiglobal": "semiglobal",
    "population": "global",
    "projection": "global",
    "postsynaptic": "semiglobal",
}

#: Types accepted by ``Parameter``/``Variable``: names and Python types, mapped to the DSL type name.
TYPE_ALIASES: dict[object, str] = {
    "float": "float",
    "double": "float",
    "int": "int",
    "bool": "bool",
    float: "float",
    int: "int",
    bool: "bool",
}

#: Numerical methods accepted by ``Variable(method=...)`` (DSL.md §4.2), with their aliases.
METHODS: frozenset[str] = frozenset(
    {
        "explicit",
        "implicit",
        "semiimplicit",
        "exponential",
        "midpoint",
        "rk4",
        "runge-kutta4",
        "event-driven",
        "exact",
    }
)

#: Operations a rate-coded synapse may apply over a dendrite (DSL.md §11.2).
OPERATIONS: tuple[str, ...] = ("sum", "max", "min", "mean")


def _check_locality(owner: str, locality: object) -> None:
    if not isinstance(locality, str) or locality not in LOCALITY_ALIASES:
        raise ModelError(
            f"{owner}: locality must be one of 'global', 'local' or 'semiglobal' "
            f"(or 'population', 'projection', 'postsynaptic'), not {locality!r}"
        )


def _check_type(owner: str, type_: object) -> None:
    try:
        known = type_ in TYPE_ALIASES
    except TypeError:  # unhashable
        known = False
    if not known:
        raise ModelError(f"{owner}: type must be 'float', 'int' or 'bool', not {type_!r}")


def is_given(field_value: object) -> bool:
    """Whether a DSL field holds any text (None, '', whitespace and empty lists count as absent)."""
    match field_value:
        case None:
            return False
        case str():
            return field_value.strip() != ""
        case list() | tuple():
            return any(is_given(item) for item in field_value)
        case dict():
            return bool(field_value)
    return True


@dataclass
class Parameter:
    """A parameter of the dict form: ``Parameter(value, locality='global', type='float')``."""

    value: object
    locality: str = "global"
    type: object = "float"

    def __post_init__(self) -> None:
        _check_locality("Parameter", self.locality)
        _check_type("Parameter", self.type)


@dataclass
class Variable:
    """A variable given as an object instead of ``equation : flags`` text (DSL.md §4.2)."""

    equation: str
    init: object = None
    min: object = None
    max: object = None
    method: str | None = None
    locality: str = "local"
    type: object = "float"

    def __post_init__(self) -> None:
        if not isinstance(self.equation, str):
            raise ModelError(f"Variable: the equation must be a string, not {self.equation!r}")
        _check_locality("Variable", self.locality)
        _check_type("Variable", self.type)
        if self.method is not None and self.method not in METHODS:
            raise ModelError(
                f"Variable: unknown numerical method {self.method!r}; use one of {', '.join(sorted(METHODS))}"
            )


@dataclass
class Creating:
    """Structural plasticity: create a synapse where ``equation`` holds, with probability ``proba``."""

    equation: str
    proba: float = 1.0
    w: float = 0.0
    d: float | None = None


@dataclass
class Pruning:
    """Structural plasticity: remove a synapse where ``equation`` holds, with probability ``proba``."""

    equation: str
    proba: float = 1.0


class _Model:
    """Shared behaviour of neuron and synapse descriptions."""

    name: str | None
    description: str | None
    extra_values: dict[str, object]

    def copy(self) -> _Model:
        """A copy for one population/projection (containers copied, values shared)."""
        new = _copy.copy(self)
        for key, value in vars(self).items():
            if isinstance(value, dict | list):
                setattr(new, key, _copy.copy(value))
        return new

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if is_given(v) and k != "type")
        return f"{type(self).__name__}({fields})"


class Neuron(_Model):
    """A neuron model (API.md §4). Spiking iff ``spike`` is given, rate-coded otherwise (DSL.md §1)."""

    #: A rate-coded model that does not declare ``r`` gets it as a variable no equation updates (the
    #: BOLD models of API.md §12); every other rate-coded model must declare ``r``.
    implicit_rate: bool = False

    def __init__(
        self,
        parameters: str | dict = "",
        equations: str | list | Variable = "",
        spike: str | None = None,
        axon_spike: str | None = None,
        reset: str | list | None = None,
        axon_reset: str | list | None = None,
        refractory: float | str | None = None,
        functions: str | None = None,
        name: str = "",
        description: str = "",
        extra_values: dict[str, object] | None = None,
    ):
        self.parameters = parameters
        self.equations = equations
        self.spike = spike
        self.axon_spike = axon_spike
        self.reset = reset
        self.axon_reset = axon_reset
        self.refractory = refractory
        self.functions = functions
        self.name = name
        self.description = description
        self.extra_values = dict(extra_values) if extra_values else {}
        self.type = "spike" if is_given(spike) else "rate"


def _check_synapse(operation: str, pre_spike: object, post_spike: object, pre_axon_spike: object) -> None:
    """The errors a ``Synapse`` raises at construction (API.md §4)."""
    if operation not in OPERATIONS:
        raise ModelError(f"Synapse: the only operations permitted are sum, min, max, mean, not {operation!r}")
    if is_given(pre_spike) and operation != "sum":
        raise ModelError(
            f"Spiking synapses can only perform a sum of presynaptic potentials, not {operation!r} "
            "(hint: remove operation=, spikes add up in g_target)"
        )
    if is_given(pre_axon_spike) and is_given(post_spike):
        raise ModelError(
            "Synapse: pre_axon_spike is not allowed for plastic connections (together with post_spike) "
            "(hint: use two projections, one with pre_axon_spike and one with post_spike)"
        )


class Synapse(_Model):
    """A synapse model (API.md §4); its final kind is the kind of the pre-synaptic population."""

    def __init__(
        self,
        parameters: str | dict = "",
        equations: str | list | Variable = "",
        psp: str | None = None,
        operation: str = "sum",
        pre_spike: str | list | None = None,
        post_spike: str | list | None = None,
        pre_axon_spike: str | list | None = None,
        functions: str | None = None,
        pruning: Pruning | str | None = None,
        creating: Creating | str | None = None,
        name: str | None = None,
        description: str | None = None,
        extra_values: dict[str, object] | None = None,
    ):
        _check_synapse(operation, pre_spike, post_spike, pre_axon_spike)
        self.parameters = parameters
        self.equations = equations
        self.psp = psp
        self.operation = operation
        self.pre_spike = pre_spike
        self.post_spike = post_spike
        self.pre_axon_spike = pre_axon_spike
        self.functions = functions
        self.pruning = pruning
        self.creating = creating
        self.name = name
        self.description = description
        self.extra_values = dict(extra_values) if extra_values else {}
        self.type = "spike" if is_given(pre_spike) else "rate"
