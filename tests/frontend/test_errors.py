"""One test per error of DSL.md §15 that the frontend reports: class, (line, col), message and hint."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from nnc.descriptions.models import Creating, Neuron, Synapse
from nnc.diagnostics import (
    ANNarchyException,
    DslError,
    DslNameError,
    DslSyntaxError,
    DslTypeError,
    ModelError,
)
from nnc.frontend.analyse import Environment, analyse_neuron, analyse_synapse, parse_functions
from nnc.ir.model import NeuronModel
from nnc.models import STP

RATE = analyse_neuron(Neuron(equations="r = sum(exc)\nv = 1 : population"), Environment(), "rate")
SPIKE = analyse_neuron(Neuron(equations="dv/dt = -v", spike="v > 1", reset="v = 0"), Environment(), "spiking")


def neuron(**kw: object) -> NeuronModel:
    kw.setdefault("equations", "r = 0")
    return analyse_neuron(Neuron(**kw), Environment(), "pop")  # type: ignore[arg-type]


def synapse(pre: NeuronModel = RATE, **kw: object) -> object:
    return analyse_synapse(Synapse(**kw), Environment(), pre, pre, ("exc",), ("exc",))  # type: ignore[arg-type]


def check(
    fn: Callable[[], object], cls: type[DslError], where: tuple[int, int], message: str, hint: str = ""
) -> None:
    with pytest.raises(cls) as info:
        fn()
    e = info.value
    assert (e.line, e.col) == where, e
    assert message in e.message, e
    assert e.hint, f"no hint: {e}"
    assert hint in e.hint, e


def test_rate_neuron_without_r():
    with pytest.raises(ModelError, match='Rate-coded neurons must define the variable "r"'):
        neuron(equations="v = 1")


def test_spiking_neuron_declaring_r():
    check(lambda: neuron(equations="dv/dt = 1\n r = v", spike="v > 1"), DslNameError, (2, 2), "r is reserved")


def test_duplicate_attribute():
    check(
        lambda: neuron(parameters="tau = 1", equations="r = 0\ntau = 2"),
        DslNameError,
        (2, 1),
        "Attributes must be declared only once",
        "first declared in Neuron 'pop', parameters line 1",
    )
    check(lambda: neuron(equations="r = 0\n  r += 1"), DslNameError, (2, 3), "declared only once")


def test_reserved_variable_names_and_keywords():
    check(lambda: neuron(equations="r = 0\nt = 1"), DslNameError, (2, 1), "t is a reserved variable name")
    check(lambda: neuron(parameters=dict(size=1)), DslNameError, (1, 1), "size is a reserved variable name")
    check(lambda: neuron(parameters="pos = 1"), DslNameError, (1, 1), "pos is a reserved keyword")


def test_unbalanced_parentheses():
    check(lambda: neuron(equations="r = (1 + (2 * 3)"), DslSyntaxError, (1, 5), "parentheses does not match")
    check(lambda: neuron(equations="r = 1 + 2)"), DslSyntaxError, (1, 10), "parentheses does not match")


def test_two_assignment_operators():
    check(lambda: neuron(equations="r = v = 1"), DslSyntaxError, (1, 7), "Only one assignment operator")


def test_no_variable_name():
    check(lambda: neuron(equations="r + v = 1"), DslSyntaxError, (1, 1), "only one variable may be assigned")
    check(lambda: neuron(equations="\n1 + 2"), DslSyntaxError, (2, 1), "No variable name can be found")


def test_locality_flag_not_valid_for_the_object():
    check(
        lambda: neuron(equations="r = 0 : projection"), DslTypeError, (1, 9), 'flag "projection" is forbidden'
    )
    check(
        lambda: synapse(parameters="a = 1 : population"),
        DslTypeError,
        (1, 9),
        'flag "population" is forbidden',
    )


def test_bad_parameter_literal():
    check(lambda: neuron(parameters="a = 1 +* 2"), DslSyntaxError, (1, 8), "cannot analyse")
    check(
        lambda: neuron(parameters="a = b"), DslTypeError, (1, 5), "The value of the parameter is not a float"
    )
    check(lambda: neuron(parameters="n = 1.5 : int"), DslTypeError, (1, 5), "not an integer")


def test_bad_random_distribution_calls():
    check(lambda: neuron(equations="r = Normal(0)"), DslTypeError, (1, 5), "requires 2 parameters")
    check(lambda: neuron(equations="r = Exponential(1, 2)"), DslTypeError, (1, 5), "Too many parameters")
    check(
        lambda: neuron(parameters="s = 1", equations="r = Normal(0, s)"),
        DslTypeError,
        (1, 15),
        "s is not a global parameter",
        "numbers or global parameters",
    )
    check(
        lambda: neuron(equations="r = 0 : min = Uniform(0, 1)"),
        DslTypeError,
        (1, 15),
        "random distributions are not allowed in min",
    )


def test_global_operation_on_unknown_or_non_local_name():
    check(lambda: neuron(equations="r = mean(q)"), DslNameError, (1, 10), "There is no local attribute q")
    check(
        lambda: neuron(parameters="g = 1 : population", equations="r = max(g)"),
        DslNameError,
        (1, 9),
        "There is no local attribute g",
    )


def test_global_operation_on_synaptic_variable():
    check(
        lambda: synapse(equations="x = mean(w)"),
        DslTypeError,
        (1, 10),
        "on synaptic variable w: not implemented",
    )


def test_pre_sum_needs_one_connected_target():
    check(lambda: synapse(psp="pre.sum()"), DslTypeError, (1, 1), "pre.sum() requires one argument")
    check(
        lambda: synapse(psp="post.sum(inh)"),
        DslNameError,
        (1, 10),
        "receives no projection with target 'inh'",
    )


def test_function_name_reserved_and_type_list():
    check(lambda: parse_functions("exp(x) = x", "f"), DslNameError, (1, 1), "function name reserved")
    check(
        lambda: parse_functions("f(x, y) = x : float, float", "f"),
        DslTypeError,
        (1, 15),
        "You must specify exactly the types",
    )
    check(lambda: parse_functions("f(x) = f(x - 1)", "f"), DslNameError, (1, 8), "calls itself", "Recursion")
    check(lambda: parse_functions("f(x) = x + y", "f"), DslNameError, (1, 12), "unknown name 'y'")


def test_malformed_block_conditionals():
    check(
        lambda: neuron(equations="r = if v > 0: 1"),
        DslSyntaxError,
        (1, 16),
        "cannot analyse",
        "Conditional statements must use both : and else",
    )
    check(
        lambda: neuron(equations="r = 1 + if v > 0: 1 else: 0"),
        DslSyntaxError,
        (1, 9),
        "cannot analyse",
        "The right term must directly start with a if statement",
    )


def test_spike_condition_must_be_single_expression():
    check(
        lambda: neuron(equations="dv/dt = 1", spike="v > 1\nv > 2"),
        DslSyntaxError,
        (2, 1),
        "The spike condition must be a single expression",
    )
    check(lambda: neuron(equations="dv/dt = 1", spike="v = 1"), DslSyntaxError, (1, 3), "single expression")


def test_ode_in_event_fields():
    check(
        lambda: synapse(SPIKE, pre_spike="dw/dt = 1"),
        DslTypeError,
        (1, 1),
        "It is forbidden to use ODEs in a pre_spike term",
    )
    check(
        lambda: neuron(equations="dv/dt = 1", spike="v > 1", reset="dv/dt = 0"),
        DslTypeError,
        (1, 1),
        "forbidden to use ODEs in a reset",
    )


def test_operations_of_synapses():
    with pytest.raises(ModelError, match="only operations permitted are sum, min, max, mean"):
        Synapse(operation="prod")
    with pytest.raises(ModelError, match="Spiking synapses can only perform a sum"):
        Synapse(pre_spike="g_target += w", operation="max")
    with pytest.raises(ModelError, match="Spiking synapses can only perform a sum"):
        synapse(SPIKE, operation="mean")
    with pytest.raises(ModelError, match="is rate-coded"):
        synapse(RATE, pre_spike="g_target += w")


def test_pre_axon_spike_with_post_spike():
    with pytest.raises(ModelError, match="pre_axon_spike"):
        Synapse(pre_spike="g_target += w", post_spike="w += 1", pre_axon_spike="g_target += w")
    check(
        lambda: synapse(SPIKE, pre_spike="g_target += w", pre_axon_spike="w += 1"),
        DslTypeError,
        (1, 1),
        "pre_axon_spike may only update g_target",
    )


def test_refractory_names_a_missing_attribute():
    check(
        lambda: neuron(equations="dv/dt = 1", spike="v > 1", refractory="t_ref"),
        DslNameError,
        (1, 1),
        "refractory = t_ref: parameter or variable does not exist",
    )


def test_pre_post_attribute_missing():
    check(
        lambda: synapse(psp="w * pre.rr"),
        DslNameError,
        (1, 5),
        "The pre-synaptic population (rate) has no variable called rr",
        "did you mean 'r'?",
    )


def test_locality_violations_of_synaptic_variables():
    check(
        lambda: synapse(equations="g = w : projection"),
        DslTypeError,
        (1, 5),
        "is global and may not depend on",
    )
    check(
        lambda: synapse(equations="g = post.r : projection"), DslTypeError, (1, 5), "may not depend on post.r"
    )
    check(
        lambda: synapse(equations="s = pre.r : postsynaptic"), DslTypeError, (1, 5), "semiglobal and may not"
    )
    check(
        lambda: neuron(equations="r = 1\ng = r : population"), DslTypeError, (2, 5), "the local attribute r"
    )


def test_parser_cannot_analyse():
    check(lambda: neuron(equations="r = 1 $ 2"), DslSyntaxError, (1, 7), "Parser: cannot analyse", "'$'")
    check(lambda: neuron(equations="r = a.b.c"), DslSyntaxError, (1, 8), "Parser: cannot analyse")


def test_unknown_names_and_functions_with_did_you_mean():
    check(
        lambda: neuron(parameters="tau = 1", equations="r = tua"),
        DslNameError,
        (1, 5),
        "unknown name 'tua'",
        "did you mean 'tau'?",
    )
    check(
        lambda: neuron(equations="r = exq(1)"),
        DslNameError,
        (1, 5),
        "unknown function 'exq'",
        "did you mean 'exp'?",
    )
    check(lambda: neuron(equations="r = e"), DslNameError, (1, 5), "unknown name 'e'", "exp(1)")
    check(
        lambda: neuron(equations="r = g_exc"), DslNameError, (1, 5), "unknown name 'g_exc'", "sum(<target>)"
    )


def test_two_argument_min_max_point_to_fmin_fmax():
    check(lambda: neuron(equations="r = max(1, 2)"), DslNameError, (1, 5), "max(a, b)", "use fmax(a, b)")


def test_wrong_arity_of_math_functions():
    check(lambda: neuron(equations="r = exp(1, 2)"), DslTypeError, (1, 5), "exp() takes 1 argument, 2 given")


def test_event_driven_restrictions():
    check(
        lambda: neuron(equations="dr/dt = -r : event-driven"),
        DslTypeError,
        (1, 1),
        "only available in spiking",
    )
    check(
        lambda: synapse(SPIKE, equations="dx/dt = -x : event-driven\ny = x"),
        DslTypeError,
        (2, 5),
        "event-driven variable x cannot be read",
    )
    check(
        lambda: synapse(SPIKE, equations="dx/dt = -x : event-driven", psp="w"),
        DslTypeError,
        (1, 1),
        "cannot be used in a synapse that defines psp",
    )


def test_mixed_methods_in_a_coupled_system():
    check(
        lambda: neuron(equations="dr/dt = -r : rk4\ndv/dt = r : midpoint"),
        DslTypeError,
        (2, 1),
        "Cannot mix different numerical methods",
        "same method",
    )
    neuron(
        equations="dr/dt = -r : rk4\ndv/dt = r : exponential\ndu/dt = v : rk4"
    )  # explicit/exponential are not coupled
    check(
        lambda: synapse(equations="dw/dt = -w : implicit\ndx/dt = w : midpoint"),
        DslTypeError,
        (2, 1),
        "Cannot mix",
        "same method",
    )
    synapse(equations="dw/dt = -w : implicit\ndx/dt = w : rk4")  # synapses integrate rk4 ODEs one by one


def test_flags_outside_their_place():
    check(lambda: neuron(equations="r = 0 : unless_post"), DslTypeError, (1, 1), "unless_post cannot be used")
    check(lambda: neuron(parameters="a = 1 : init = 2"), DslTypeError, (1, 1), "init cannot be used")
    check(lambda: neuron(equations="r = 0 : init = q"), DslNameError, (1, 16), "there is no parameter")


def test_structural_conditions():
    check(
        lambda: synapse(equations="x = 1", creating=Creating("x > 0")),
        DslTypeError,
        (1, 1),
        "creating condition cannot read the synaptic attribute x",
    )
    check(lambda: synapse(pruning="w < Uniform(0, 1) + Normal(0, 1)"), DslTypeError, (1, 21), "at most one")
    check(lambda: synapse(pruning="w < 0 : w = 1"), DslTypeError, (1, 9), "pruning takes no w=")


def test_errors_are_catchable_as_annarchy_exception_and_render_a_caret():
    with pytest.raises(ANNarchyException) as info:
        neuron(parameters="tau = 1", equations="r = tua")
    assert str(info.value) == (
        "error: unknown name 'tua'\n"
        "  --> Neuron 'pop', equations line 1, col 5\n"
        "   | r = tua\n"
        "   |     ^^^\n"
        "hint: did you mean 'tau'?"
    )


def test_stp_requires_positive_tau_facil():
    with pytest.raises(ModelError, match="tau_facil"):
        STP(tau_facil=0.0)
