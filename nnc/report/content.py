"""What a model report says about a network, independent of the output format.

:func:`describe` reads a :class:`~nnc.api.network.Network` (compiled or not) into plain data: the
populations, projections and monitors, the neuron and synapse models the network uses with their
parameters and equations typeset in LaTeX (:mod:`nnc.report.typeset`), the constants, the global
functions and the parameter values of each population and projection.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from nnc.descriptions.models import Neuron, Synapse, is_given
from nnc.diagnostics import ModelError, SimulationError
from nnc.frontend.build_ir import read_equation
from nnc.frontend.text import CONDITION, EQUATIONS, FUNCTIONS, STRUCTURAL, statements
from nnc.ir.model import HIDDEN, NeuronModel, SynapseModel
from nnc.ir.nodes import Ode, Stmt
from nnc.ir.types import AttrKind, DType, Locality, NeuronKind
from nnc.report.typeset import Typesetter, latex_name

if TYPE_CHECKING:
    from nnc.api.network import Network

#: Connector names as the reference's report writes them (``connector_name``).
CONNECTOR_NAMES = {
    "all_to_all": "All-to-All",
    "one_to_one": "One-to-One",
    "fixed_probability": "Random",
    "fixed_number_pre": "Random Convergent",
    "fixed_number_post": "Random Divergent",
    "gaussian": "Gaussian",
    "dog": "Difference-of-Gaussian",
    "from_matrix": "Connectivity matrix",
    "from_sparse": "Sparse connectivity matrix",
    "from_function": "User-defined",
    "from_file": "From File",
    "from_matrix_market": "MatrixMarket",
}

_NEURON_LOCALITY = {Locality.LOCAL: "per neuron", Locality.SEMIGLOBAL: "per population"}
_NEURON_LOCALITY[Locality.GLOBAL] = "per population"
_SYNAPSE_LOCALITY = {
    Locality.LOCAL: "per synapse",
    Locality.SEMIGLOBAL: "per post-synaptic neuron",
    Locality.GLOBAL: "per projection",
}


@dataclass
class Variable:
    """One equation of a model: the variable it updates and the equation in LaTeX."""

    name: str
    locality: str
    init: str
    latex: str
    lo: str | None = None
    hi: str | None = None
    method: str | None = None  # the numerical method of an ODE


@dataclass
class Model:
    """A neuron or synapse model as the report describes it."""

    label: str
    description: str
    spiking: bool
    parameters: list[tuple[str, str, str, str]]  # LaTeX name, default value, locality, type
    variables: list[Variable]
    functions: list[str] = field(default_factory=list)
    spike: str | None = None  # spiking neurons: the condition, and the reset statements
    reset: list[str] = field(default_factory=list)
    psp: str | None = None  # synapses: the psp, and the statements of pre/post-synaptic events
    operation: str = "sum"
    pre_event: list[str] = field(default_factory=list)
    post_event: list[str] = field(default_factory=list)
    creating: str | None = None
    pruning: str | None = None


@dataclass
class Content:
    """Everything a report writes."""

    version: str
    backend: str
    dt: float
    populations: list[tuple[str, tuple[int, ...], str]]  # name, geometry, neuron label
    projections: list[dict[str, str]]  # pre, post, target, synapse, pattern (connector_name), description
    monitors: list[tuple[str, str, str]]  # object, variables, period
    functions: list[str]  # global functions in LaTeX
    neurons: list[Model]
    synapses: list[Model]
    constants: list[tuple[str, str]]
    pop_parameters: list[tuple[str, str, list[tuple[str, str]]]]  # population, neuron label, (name, value)
    proj_parameters: list[tuple[str, str, list[tuple[str, str]]]]  # projection, synapse label, (name, value)
    inputs: list[tuple[str, str]]  # input populations: name, description


def describe(net: Network, gather_subprojections: bool = False) -> Content:
    """The report's content for ``net``."""
    import nnc
    from nnc.api.constant import GLOBAL

    config = net._config
    backend = "default" if config.num_threads <= 1 else "OpenMP"
    if config.paradigm == "cuda":
        backend = "CUDA"
    pops = net.get_populations()
    projs = net.get_projections(suppress_error=True) or []
    neuron_labels = _labels([p.neuron_type for p in pops], "Neuron")
    synapse_labels = _labels([q.synapse_type for q in projs], "Synapse")
    real = "float" if config.dtype.value == "f32" else "double"

    neurons: dict[str, Model] = {}
    for pop in pops:
        label = neuron_labels[id(pop.neuron_type)]
        if label not in neurons and isinstance(pop.neuron_type, Neuron):  # inputs built on IR: no text
            neurons[label] = _neuron(pop.neuron_type, pop.neuron_model, label, real)
    synapses: dict[str, Model] = {}
    for proj in projs:
        label = synapse_labels[id(proj.synapse_type)]
        if label != "-" and label not in synapses:
            synapses[label] = _synapse(proj.synapse_type, proj.synapse_model, label, real)

    shown = _gathered(projs) if gather_subprojections else projs
    return Content(
        version=nnc.__version__,
        backend=backend,
        dt=net.dt,
        populations=[(p.name, tuple(p.geometry), neuron_labels[id(p.neuron_type)]) for p in pops],
        projections=[_projection(q, synapse_labels[id(q.synapse_type)]) for q in shown],
        monitors=[_monitor(m) for m in net.get_monitors()],
        functions=[f for text in dict.fromkeys(GLOBAL.function_texts.values()) for f in _functions(text)],
        neurons=list(neurons.values()),
        synapses=list(synapses.values()),
        constants=[(latex_name(c.name), _value(c.value)) for c in net.get_constants()],
        pop_parameters=[
            (
                p.name,
                neuron_labels[id(p.neuron_type)],
                [(latex_name(a), _value(p.init[a])) for a in p.parameters],
            )
            for p in pops
            if p.parameters
        ],
        proj_parameters=[
            (
                _projection_title(q),
                synapse_labels[id(q.synapse_type)],
                [(latex_name(a), _value(_proj_value(q, a))) for a in q.parameters if a != "w"],
            )
            for q in shown
            if [a for a in q.parameters if a != "w"]
        ],
        inputs=[(p.name, _input_description(p)) for p in pops if _is_input(p)],
    )


# --------------------------------------------------------------------------------------------- names
def _labels(models: list[object], kind: str) -> dict[int, str]:
    """A label per model object: its name, ``"-"`` for the default synapse, else ``"<kind> k"``."""
    labels: dict[int, str] = {}
    unnamed: dict[str, str] = {}
    for m in models:
        name = getattr(m, "name", None)
        if isinstance(m, Synapse) and _is_default_synapse(m):
            labels[id(m)] = "-"
        elif name:
            labels[id(m)] = str(name)
        else:
            key = repr(m)
            labels[id(m)] = unnamed.setdefault(key, f"{kind} {len(unnamed) + 1}")
    return labels


def _is_default_synapse(s: Synapse) -> bool:
    fields = (s.parameters, s.equations, s.psp, s.pre_spike, s.post_spike, s.pre_axon_spike, s.functions)
    return not any(is_given(f) for f in fields) and not s.creating and not s.pruning


def _is_input(pop: object) -> bool:
    from nnc.api.inputs import InputArray
    from nnc.api.spike_inputs import (
        HomogeneousCorrelatedSpikeTrains,
        PoissonPopulation,
        SpikeSourceArray,
        TimedPoissonPopulation,
    )
    from nnc.api.timed_array import TimedArray

    kinds = (
        InputArray,
        TimedArray,
        PoissonPopulation,
        SpikeSourceArray,
        TimedPoissonPopulation,
        HomogeneousCorrelatedSpikeTrains,
    )
    return isinstance(pop, kinds)


#: Descriptions of the inputs built directly on IR (the reference's texts).
_INPUT_TEXTS = {
    "TimedArray": "Timed array source.",
    "SpikeSourceArray": "Spike source array.",
    "TimedPoissonPopulation": "Spiking neuron following a Poisson distribution.",
}


def _input_description(pop: object) -> str:
    text = _INPUT_TEXTS.get(type(pop).__name__)
    return text if text is not None else _description(pop.neuron_type, pop.neuron_model)


def _description(desc: object, model: NeuronModel | SynapseModel) -> str:
    text = getattr(desc, "description", None)
    if text:
        return str(text)
    if isinstance(model, NeuronModel):
        return "Spiking neuron." if model.kind is NeuronKind.SPIKE else "Rate-coded neuron."
    return "Spiking synapse." if model.kind is NeuronKind.SPIKE else "Rate-coded synapse."


# ------------------------------------------------------------------------------------------- values
def _value(value: object) -> str:
    """A parameter value as the report writes it: arrays as their ``$[min, max]$`` range."""
    if isinstance(value, (list, tuple, np.ndarray)):
        arr = np.asarray(value, dtype=float)
        if arr.size == 0:
            return "$[]$"
        if arr.min() == arr.max():  # one value everywhere
            return str(arr.flat[0])
        return f"$[{arr.min()}, {arr.max()}]$"
    if hasattr(value, "latex"):
        return value.latex()
    return str(value)


def _proj_value(proj: object, name: str) -> object:
    """A projection's parameter: its value now (pending before compile), else the model's default."""
    try:
        return proj.get(name)
    except (ModelError, SimulationError):  # values that cannot be read now
        attr = proj.synapse_model.attribute(name)
        return attr.init if attr is not None else "?"


def _dtype_name(dtype: DType, real: str) -> str:
    return {DType.REAL: real, DType.INT: "int", DType.BOOL: "bool"}[dtype]


def _functions(text: str) -> list[str]:
    """The global functions declared by one ``add_function`` text, in LaTeX."""
    return [Typesetter().function(s.body) for s in statements(text, "add_function", "functions", FUNCTIONS)]


# ------------------------------------------------------------------------------------------- models
def _parameters(
    model: NeuronModel | SynapseModel, synapse: bool, real: str
) -> list[tuple[str, str, str, str]]:
    where = _SYNAPSE_LOCALITY if synapse else _NEURON_LOCALITY
    return [
        (f"${latex_name(a.name)}$", _value(a.init), where[a.locality], _dtype_name(a.dtype, real))
        for a in model.attributes
        if a.kind is AttrKind.PARAMETER and a.name not in HIDDEN
    ]


def _methods(stmts: tuple[Stmt, ...]) -> dict[str, str]:
    return {s.target.name: s.method.value for s in stmts if isinstance(s, Ode)}


def _variables(
    desc: Neuron | Synapse, model: NeuronModel | SynapseModel, ts: Typesetter, synapse: bool
) -> list[Variable]:
    where = _SYNAPSE_LOCALITY if synapse else _NEURON_LOCALITY
    methods = _methods(model.equations)
    out = []
    for stmt in statements(desc.equations, "report", "equations", EQUATIONS, synapse):
        eq = read_equation(stmt, synapse)
        attr = model.attribute(eq.target)
        flags = eq.flags
        init = flags.init.value.text if flags.init and flags.init.value else None
        if init is None:
            init = _value(attr.init) if attr is not None else "0.0"
        out.append(
            Variable(
                name=eq.target,
                locality=where[attr.locality] if attr is not None else where[Locality.LOCAL],
                init=init,
                latex=ts.equation(stmt.body),
                lo=flags.lo.value.text if flags.lo and flags.lo.value else None,
                hi=flags.hi.value.text if flags.hi and flags.hi.value else None,
                method=methods.get(eq.target) if eq.ode else None,
            )
        )
    return out


def _timed(model: NeuronModel | SynapseModel) -> set[str]:
    return {a.name for a in model.attributes if a.kind is AttrKind.VARIABLE}


def _events(value: object, field: str, ts: Typesetter) -> list[str]:
    if not is_given(value):
        return []
    return [ts.equation(s.body) for s in statements(value, "report", field, EQUATIONS, True)]


def _model_functions(text: object, ts: Typesetter) -> list[str]:
    if not is_given(text):
        return []
    return [ts.function(s.body) for s in statements(text, "report", "functions", FUNCTIONS)]


def _neuron(desc: object, model: NeuronModel, label: str, real: str) -> Model:
    spiking = model.kind is NeuronKind.SPIKE
    result = Model(label, _description(desc, model), spiking, _parameters(model, False, real), [])
    if not isinstance(desc, Neuron):  # a population built on an IR model has no text to show
        return result
    ts = Typesetter(_timed(model))
    result.variables = _variables(desc, model, ts, synapse=False)
    result.functions = _model_functions(desc.functions, ts)
    if spiking and is_given(desc.spike):
        (cond,) = statements(desc.spike, "report", "spike", CONDITION)
        result.spike = ts.expression(cond.body)
        if is_given(desc.reset):
            result.reset = [ts.equation(s.body) for s in statements(desc.reset, "report", "reset", EQUATIONS)]
    return result


def _synapse(desc: object, model: SynapseModel, label: str, real: str) -> Model:
    spiking = model.kind is NeuronKind.SPIKE
    result = Model(label, _description(desc, model), spiking, _parameters(model, True, real), [])
    result.operation = model.operation.value
    if not isinstance(desc, Synapse):
        return result
    ts = Typesetter(_timed(model) | {"w"}, synapse=True)
    result.variables = _variables(desc, model, ts, synapse=True)
    result.functions = _model_functions(desc.functions, ts)
    if is_given(desc.psp):
        (psp,) = statements(desc.psp, "report", "psp", CONDITION)
        result.psp = ts.expression(psp.body)
    elif not spiking:
        result.psp = r"{w}(t) \cdot {r^{\text{pre}}}(t-d)"
    if spiking:
        result.pre_event = _events(desc.pre_spike, "pre_spike", ts) or _events(
            desc.pre_axon_spike, "pre_axon_spike", ts
        )
        result.post_event = _events(desc.post_spike, "post_spike", ts)
    result.creating = _structural(desc.creating, ts)
    result.pruning = _structural(desc.pruning, ts)
    return result


def _structural(rule: object, ts: Typesetter) -> str | None:
    """``creating`` / ``pruning``: the condition in LaTeX, with its probability."""
    if not rule:
        return None
    text = getattr(rule, "equation", rule)
    (stmt,) = statements(str(text), "report", "structural", STRUCTURAL)
    tex = ts.expression(stmt.body)
    proba = getattr(rule, "proba", None)
    flag = stmt.flag("proba")
    if proba is None and flag is not None and flag.value is not None:
        proba = flag.value.text
    return tex if proba in (None, 1.0, "1.0") else f"{tex}, with probability {proba}"


# ---------------------------------------------------------------------------------------- network
def _targets(proj: object) -> str:
    target = proj.target
    return " / ".join(target) if isinstance(target, list) else str(target)


def _projection(proj: object, synapse: str) -> dict[str, str]:
    connector = proj._connector
    if connector is None:
        pattern, description = "Specific", "Specific"
    else:
        pattern = CONNECTOR_NAMES.get(connector.name, connector.name)
        description = connector.description or pattern
    return {
        "pre": proj.pre.name,
        "post": proj.post.name,
        "target": _targets(proj),
        "synapse": synapse,
        "pattern": pattern,
        "description": description,
    }


def _projection_title(proj: object) -> str:
    return f"{proj.pre.name}  $\\rightarrow$ {proj.post.name} with target {_targets(proj)}"


def _gathered(projs: list[object]) -> list[object]:
    """One projection per (pre population, post population, target)."""
    seen: dict[tuple[str, str, str], object] = {}
    for q in projs:
        key = (q.pre.population.name, q.post.population.name, _targets(q))
        seen.setdefault(key, q)
    return list(seen.values())


def _monitor(m: object) -> tuple[str, str, str]:
    from nnc.api.views import PopulationView

    obj = m.object
    name = getattr(obj, "name", None) or type(obj).__name__
    if isinstance(obj, PopulationView):
        name = f"{obj.population.name} (subset)"
    elif hasattr(obj, "proj") and hasattr(obj, "post_rank"):  # a dendrite
        name = f"{obj.proj.name} (dendrite {obj.post_rank})"
    return name, ", ".join(m.variables), str(m.period)
