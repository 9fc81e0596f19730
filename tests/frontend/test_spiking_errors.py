"""Bad spiking models (DSL.md §10-§11, §15): errors name their DSL line and column or object, with a hint.

Errors located in DSL text are :class:`DslError` subclasses and the tests assert (line, col), the
message and the hint; inconsistencies between objects are :class:`ModelError` whose message names the
objects and carries a ``(hint: ...)``.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

import nnc as ann
from nnc.descriptions.models import Neuron, Synapse
from nnc.diagnostics import DslError, DslNameError, DslSyntaxError, DslTypeError, ModelError
from nnc.frontend.analyse import Environment, analyse_neuron, analyse_synapse
from nnc.ir.model import NeuronModel

RATE = analyse_neuron(Neuron(equations="r = sum(exc)"), Environment(), "rate")
SPIKE = analyse_neuron(
    Neuron(parameters="tau = 10", equations="tau * dv/dt = -v", spike="v > 1", reset="v = 0"),
    Environment(),
    "spiking",
)


def neuron(**kw: object) -> NeuronModel:
    kw.setdefault("equations", "dv/dt = 1")
    return analyse_neuron(Neuron(**kw), Environment(), "pop")  # type: ignore[arg-type]


def synapse(pre: NeuronModel = SPIKE, post: NeuronModel | None = None, **kw: object) -> object:
    synapse = Synapse(**kw)  # type: ignore[arg-type]
    return analyse_synapse(synapse, Environment(), pre, post or pre, ("exc",), ("exc",))


def check(
    fn: Callable[[], object], cls: type[DslError], where: tuple[int, int], message: str, hint: str
) -> DslError:
    with pytest.raises(cls) as info:
        fn()
    e = info.value
    assert (e.line, e.col) == where, e
    assert message in e.message, e
    assert e.hint is not None, f"no hint: {e}"
    assert hint in e.hint, e
    return e


def check_model(fn: Callable[[], object], message: str, hint: str) -> None:
    with pytest.raises(ModelError) as info:
        fn()
    text = str(info.value)
    assert message in text, text
    assert f"(hint: {hint}" in text, text


# --------------------------------------------------------------------------------------------------
# neurons


@pytest.mark.parametrize("field", ["reset", "axon_reset", "axon_spike"])
def test_spiking_fields_of_a_rate_coded_neuron(field: str) -> None:
    value = "v = 0" if field != "axon_spike" else "v > 1"
    e = check(
        lambda: neuron(equations="r = 1\n v = 2", **{field: "\n  " + value}),
        DslTypeError,
        (2, 3),
        f"{field} is given but the neuron has no spike condition",
        "add spike='...'",
    )
    assert f"{field} line 2" in str(e)


def test_axon_reset_without_axon_spike() -> None:
    check(
        lambda: neuron(spike="v > 1", axon_reset="v = 0"),
        DslTypeError,
        (1, 1),
        "axon_reset is given without axon_spike",
        "add axon_spike=",
    )


def test_refractory_of_a_rate_coded_neuron() -> None:
    e = check(
        lambda: neuron(equations="r = 1", refractory=2.0),
        DslTypeError,
        (1, 1),
        "refractory is only meaningful for spiking neurons",
        "add a spike condition",
    )
    assert "refractory line 1" in str(e)


def test_refractory_naming_a_missing_attribute() -> None:
    check(
        lambda: neuron(parameters="t_ref = 2", spike="v > 1", refractory="tref"),
        DslNameError,
        (1, 1),
        "refractory = tref: parameter or variable does not exist",
        "name of a parameter or variable",
    )


def test_spike_condition_with_two_statements() -> None:
    check(
        lambda: neuron(spike="v > 1; v < -1"),
        DslSyntaxError,
        (1, 8),
        "The spike condition must be a single expression",
        "combine conditions with 'and' / 'or'",
    )
    check(
        lambda: neuron(spike="v > 1\n  v < -1"),
        DslSyntaxError,
        (2, 3),
        "The spike condition must be a single expression",
        "'and' / 'or'",
    )


@pytest.mark.parametrize("field", ["reset", "axon_reset"])
def test_ode_in_a_neuron_event(field: str) -> None:
    extra = {"axon_spike": "v > 0.5"} if field == "axon_reset" else {}
    check(
        lambda: neuron(spike="v > 1", **{field: "v = 0\n  dv/dt = -1"}, **extra),
        DslTypeError,
        (2, 3),
        f"It is forbidden to use ODEs in a {field} term",
        "events are instantaneous",
    )


def test_event_driven_ode_in_a_neuron() -> None:
    check(
        lambda: neuron(
            equations="x = 1\ntau * dv/dt = -v : event-driven", parameters="tau = 1", spike="v > 1"
        ),
        DslTypeError,
        (2, 1),
        "the event-driven method is only available in spiking synapses",
        "use exponential",
    )


@pytest.mark.parametrize(
    ("kw", "where"),
    [
        (dict(equations="dv/dt = 1\nr = v"), (2, 1)),
        (dict(parameters="a = 1\nr = 2", equations="dv/dt = a"), (2, 1)),
        (dict(equations=["dv/dt = 1", ann.Variable("r = v", init=0.0)]), (2, 1)),
    ],
    ids=["equation", "parameter", "Variable"],
)
def test_spiking_neuron_declaring_r(kw: dict[str, object], where: tuple[int, int]) -> None:
    check(
        lambda: neuron(spike="v > 1", **kw),
        DslNameError,
        where,
        "r is reserved for the mean firing rate of spiking neurons",
        "compute_firing_rate",
    )


def test_reset_assigning_a_parameter() -> None:
    check(
        lambda: neuron(parameters="a = 1", equations="dv/dt = a", spike="v > 1", reset="v = 0\na += 1"),
        DslTypeError,
        (2, 1),
        "the parameter a cannot be assigned in reset",
        "declare a as a variable",
    )


# --------------------------------------------------------------------------------------------------
# synapses: their kind, g_target, events


@pytest.mark.parametrize("field", ["pre_spike", "post_spike"])
def test_event_fields_between_rate_coded_populations(field: str) -> None:
    check_model(
        lambda: synapse(RATE, **{field: "w += 1"}),
        f"defines {field} (a spiking synapse) but the pre-synaptic population (rate) is rate-coded",
        "a synapse takes the kind of its pre-synaptic population",
    )


def test_post_spike_with_a_rate_coded_post_population() -> None:
    check_model(
        lambda: synapse(SPIKE, RATE, post_spike="w += 1"),
        "defines post_spike but the post-synaptic population (rate) does not spike",
        "post_spike needs a spiking post-synaptic population",
    )


@pytest.mark.parametrize(
    ("kw", "where", "hint"),
    [
        (dict(equations="x = g_target"), (1, 5), "only be used in pre_spike / pre_axon_spike"),
        (dict(psp="w * g_target"), (1, 5), "only be used in pre_spike / pre_axon_spike"),
        (dict(post_spike="w += g_target"), (1, 6), "only be used in pre_spike / pre_axon_spike"),
        (dict(pre_spike="g_target += w\nx = g_target"), (2, 5), "post.g_<target>"),
    ],
    ids=["equations", "psp", "post_spike", "pre_spike-read"],
)
def test_g_target_outside_its_statements(kw: dict[str, object], where: tuple[int, int], hint: str) -> None:
    check(lambda: synapse(**kw), DslNameError, where, "unknown name 'g_target'", hint)


def test_g_target_in_a_rate_coded_synapse() -> None:
    check(
        lambda: synapse(RATE, psp="g_target"),
        DslNameError,
        (1, 1),
        "unknown name 'g_target'",
        "pre_spike / pre_axon_spike of a spiking synapse",
    )


@pytest.mark.parametrize(
    "kw", [dict(equations="g_target = w"), dict(parameters="g_target = 1")], ids=["equations", "parameters"]
)
def test_synapse_declaring_g_target(kw: dict[str, object]) -> None:
    check(
        lambda: synapse(**kw), DslNameError, (1, 1), "g_target is a reserved name in synapses", "g_target +="
    )


@pytest.mark.parametrize("field", ["pre_spike", "post_spike"])
def test_event_assigning_an_undeclared_conductance(field: str) -> None:
    """``g_exc += w`` in a synapse would declare a synaptic variable g_exc (the post neuron's is g_target)."""
    check(
        lambda: synapse(**{field: "w += 0\n g_exc += w"}),
        DslNameError,
        (2, 2),
        "g_exc is not declared by the synapse",
        "through g_target",
    )


def test_a_declared_synaptic_variable_named_g_is_allowed() -> None:
    model = synapse(equations="g_s = g_s", pre_spike="g_target += w\ng_s += w")
    assert model.attribute("g_s") is not None


def test_event_assigning_a_parameter() -> None:
    check(
        lambda: synapse(parameters="a = 1", pre_spike="g_target += w\na += 1"),
        DslTypeError,
        (2, 1),
        "the parameter a cannot be assigned in pre_spike",
        "declare a as a variable",
    )


@pytest.mark.parametrize("field", ["pre_spike", "post_spike", "pre_axon_spike"])
def test_ode_in_a_synapse_event(field: str) -> None:
    check(
        lambda: synapse(**{field: "g_target += w\ndg_target/dt = 1"} if field == "pre_axon_spike" else
                        {field: "w += 1\ndw/dt = 1"}),
        DslTypeError,
        (2, 1),
        f"It is forbidden to use ODEs in a {field} term",
        "events are instantaneous",
    )  # fmt: skip


def test_pre_axon_spike_with_post_spike() -> None:
    check_model(
        lambda: Synapse(pre_spike="g_target += w", post_spike="w += 1", pre_axon_spike="g_target += w"),
        "pre_axon_spike is not allowed for plastic connections",
        "use two projections",
    )


@pytest.mark.parametrize("operation", ["max", "min", "mean"])
def test_spiking_synapse_with_an_operation_other_than_sum(operation: str) -> None:
    check_model(
        lambda: Synapse(pre_spike="g_target += w", operation=operation),
        "Spiking synapses can only perform a sum",
        "remove operation=",
    )
    check_model(  # a synapse without pre_spike is spiking through its pre-synaptic population
        lambda: synapse(psp="w", operation=operation),
        "Spiking synapses can only perform a sum",
        "remove operation=",
    )


def test_event_driven_in_a_rate_coded_synapse() -> None:
    check(
        lambda: synapse(RATE, equations="dx/dt = -x : event-driven"),
        DslTypeError,
        (1, 1),
        "the event-driven method is only available in spiking synapses",
        "use exponential",
    )


# --------------------------------------------------------------------------------------------------
# errors found when the network is compiled


def _compile(synapse_: Synapse | None = None, pre: Neuron | None = None, post: Neuron | None = None) -> None:
    spiking = Neuron(parameters="tau = 10", equations="tau * dv/dt = -v", spike="v > 1", reset="v = 0")
    net = ann.Network(seed=1)
    a, b = net.create(2, pre or spiking), net.create(2, post or spiking)
    net.connect(a, b, "exc", synapse_).all_to_all(1.0)
    net.compile()


@pytest.mark.parametrize(
    ("equations", "where", "message"),
    [
        ("z = 1\ntau * dx/dt = z - x : event-driven", (2, 1), "(z)"),
        ("tau * dx/dt = post.v - x : event-driven", (1, 1), "(v)"),
        ("z = 1\nz * dx/dt = -x : event-driven", (2, 1), "(z)"),
    ],
    ids=["steady-state", "post-variable", "time-constant"],
)
def test_event_driven_ode_depending_on_a_variable(
    equations: str, where: tuple[int, int], message: str
) -> None:
    check(
        lambda: _compile(Synapse(parameters="tau = 10 : projection", equations=equations)),
        DslTypeError,
        where,
        f"The equation can not depend on other variables {message} to be evaluated exactly",
        "parameters and constants only",
    )


def test_event_driven_ode_that_is_not_linear() -> None:
    check(
        lambda: _compile(Synapse(equations="w += 0\n dx/dt = -x * x : event-driven")),
        DslTypeError,
        (2, 2),
        "The event-driven method is reserved for linear first-order ODEs",
        "must appear linearly",
    )


def test_rate_coded_projection_onto_spiking_neurons_that_do_not_read_its_sum() -> None:
    check_model(
        lambda: _compile(pre=Neuron(equations="r = 1")),
        "projects on target 'exc' of the spiking population pop1, whose neurons do not read sum(exc)",
        "use CurrentInjection",
    )


def test_rate_coded_projection_onto_spiking_neurons_that_read_its_sum() -> None:
    reader = Neuron(equations="dv/dt = sum(exc) - v", spike="v > 1", reset="v = 0")
    _compile(pre=Neuron(equations="r = 1"), post=reader)


def test_spiking_projection_onto_a_rate_coded_population() -> None:
    check_model(
        lambda: _compile(post=Neuron(equations="r = sum(exc)")),
        "a spiking population cannot project onto the rate-coded population pop1",
        "use DecodingProjection",
    )
