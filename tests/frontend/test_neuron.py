"""Neuron descriptions -> IR: every construct of DSL.md as printed IR."""

from __future__ import annotations

import math

import pytest

from nnc.descriptions.models import Neuron, Parameter, Variable
from nnc.descriptions.random import Normal, Uniform
from nnc.frontend.analyse import Environment, analyse_neuron, parse_functions
from nnc.ir.model import NeuronModel
from nnc.ir.nodes import Const, Random, SpikeTime, walk
from nnc.ir.printer import print_expr, print_stmts
from nnc.ir.types import AttrKind, DType, Method, NeuronKind, Scope


def rate(equations: object, parameters: object = "", env: Environment | None = None, **kw) -> NeuronModel:
    return analyse_neuron(
        Neuron(parameters=parameters, equations=equations, **kw), env or Environment(), "pop"
    )


def printed(model: NeuronModel) -> str:
    return print_stmts(model.equations)


def attrs(model: NeuronModel) -> list[tuple]:
    return [(a.name, a.kind.value, a.dtype.value, a.locality.value, a.init) for a in model.attributes]


# ---------------------------------------------------------------------------------------------- statements


def test_assignments_and_augmented_assignments():
    m = rate("r = 1\nx += 0.5 * r; y -= 2\nz *= x\nq /= 4")
    assert printed(m) == "r = 1.0\nx = x + 0.5 * r\ny = y - 2.0\nz = z * x\nq = q / 4.0"


def test_odes_are_kept_as_written_with_their_method():
    m = rate(
        """
        tau * dv/dt + v = sum(exc) : exponential
        dr/dt = (v - r)/tau
        du / dt = -u : rk4, init=1
        """,
        "tau = 10.0",
    )
    assert printed(m) == (
        "ode[exponential] v: tau * dv/dt + v = sum(exc)\n"
        "ode[explicit] r: dr/dt = (v - r) / tau\n"
        "ode[rk4] u: du/dt = -u"
    )
    assert m.targets == ("exc",)


def test_default_method_comes_from_the_environment():
    m = rate("dr/dt = -r", env=Environment(default_method=Method.MIDPOINT))
    assert printed(m) == "ode[midpoint] r: dr/dt = -r"
    assert printed(rate("dr/dt = -r : runge-kutta4")) == "ode[rk4] r: dr/dt = -r"


def test_dv_alone_is_a_name_and_dv_dt_a_derivative():
    m = rate("dv = 1 - v\ndv/dt = dv / tau / dt\nr = dv/dt", "tau = 2.0")
    assert printed(m) == "dv = 1.0 - v\node[explicit] v: dv/dt = dv / tau / dt\nr = dv / dt"


def test_block_conditionals_become_nested_selects():
    m = rate(
        """
        r = if v > 1.0:
                1.0
            else:
                if v < 0 and not (v is -1):
                    0
                else:
                    v : min = 0
        dv/dt = if t > 5: 1 else: 0
        """
    )
    assert printed(m) == (
        "r = ite(v > 1.0, 1.0, ite(v < 0.0 and not v == -1.0, 0.0, v))\n"
        "ode[explicit] v: dv/dt = ite(t > 5.0, 1.0, 0.0)"
    )
    assert print_expr(m.attribute("r").lo) == "0.0"


def test_operators_precedence_and_literals():
    m = rate(
        "r = -a^2 ** b + +c * (d - e) / 1e-3 - .5 + 10.\nb = (a is not c) or True and False",
        "a=1\nc=1\nd=1\ne=1",
    )
    assert printed(m) == "r = -a ^ 2.0 ^ b + c * (d - e) / 0.001 - 0.5 + 10.0\nb = a != c or True and False"
    power = m.equations[0].value.lhs.lhs.lhs.operand  # -(a ^ (2 ^ b)): right-associative, above unary minus
    assert print_expr(power.rhs) == "2.0 ^ b"


def test_builtin_names_and_constants():
    m = rate("r = t + dt + pi + c1 + shadow", "shadow = 1.0", env=Environment(constants=("c1", "shadow")))
    assert printed(m) == f"r = t + dt + {math.pi!r} + const.c1 + shadow"


def test_functions_math_aliases_and_ite():
    m = rate(
        "r = ln(abs(x)) + ceiling(x) + positive(x) + negative(x) + ite(x > 0, 1, fmax(x, 2)) + modulo(x, 3)",
        "x = 1",
    )
    assert printed(m) == (
        "r = log(fabs(x)) + ceil(x) + pos(x) + neg(x) + ite(x > 0.0, 1.0, fmax(x, 2.0)) + modulo(x, 3.0)"
    )


def test_sum_of_targets_and_of_all_connected_targets():
    env = Environment(connected_targets=("exc", "inh"))
    assert printed(rate("r = sum(exc) - sum()", env=env)) == "r = sum(exc) - (sum(exc) + sum(inh))"
    assert printed(rate("r = sum()")) == "r = 0.0"
    assert printed(rate("r = sum()", env=Environment(connected_targets=()))) == "r = 0.0"


def test_global_operations_of_local_attributes():
    m = rate("r = mean(v) + max(v) - min(v) + norm1(v) * norm2(v)\nv = 1")
    assert printed(m) == "r = mean(v) + max(v) - min(v) + norm1(v) * norm2(v)\nv = 1.0"


def test_random_draws_number_streams_by_occurrence_and_share_identical_text():
    m = rate(
        "r = Normal(0, 1) + Normal(0.0, 1.0) + Uniform(-a, a)\nx = Normal(0, 1) * DiscreteUniform(1, 4)",
        dict(a=2.0),
    )
    assert printed(m) == (
        "r = Normal(0.0, 1.0)@0 + Normal(0.0, 1.0)@0 + Uniform(-a, a)@1\n"
        "x = Normal(0.0, 1.0)@2 * DiscreteUniform(1.0, 4.0)@3"
    )
    draws = [n for s in m.equations for e in (s.value,) for n in walk(e) if isinstance(n, Random)]
    assert [d.dtype for d in draws] == [DType.REAL] * 4 + [DType.INT]


def test_user_functions_are_inlined_and_local_functions_shadow_global_ones():
    glob = parse_functions("sig(x) = 1/(1+exp(-x))\ntwice(x) = 2*sig(x)", "global functions")
    m = rate(
        "r = sig(v) + twice(v*2)\nv = 1",
        functions="sig(y) = y + k",
        env=Environment(functions=glob, constants=("k",)),
    )
    assert printed(m) == "r = v + const.k + 2.0 * (1.0 / (1.0 + exp(-(v * 2.0))))\nv = 1.0"
    assert [f.name for f in m.functions] == ["sig"]


def test_typed_functions_convert_arguments_and_result():
    (f,) = parse_functions("half(n) = n / 2 : int, int", "global functions")
    m = rate("r = half(v)", "v = 1", env=Environment(functions=(f,)))
    assert printed(m) == "r = int(int(v) / 2.0)"


# ---------------------------------------------------------------------------------------------- attributes


def test_string_parameters_are_local_and_typed():
    m = rate(
        "r = 0",
        """
        tau = 10.0 : population
        n = 2 * 3 : int
        flag = True
        ratio = 1/1.54
        k = c0
        nothing
        """,
        env=Environment(constants=("c0",)),
    )
    assert attrs(m) == [
        ("tau", "param", "real", "global", 10.0),
        ("n", "param", "int", "local", 6),
        ("flag", "param", "bool", "local", True),
        ("ratio", "param", "real", "local", 1 / 1.54),
        ("k", "param", "real", "local", "c0"),
        ("nothing", "param", "real", "local", 0.0),
        ("r", "var", "real", "local", 0.0),
    ]


def test_dict_parameters_are_global_unless_said_otherwise():
    dist = Normal(0.0, 1.0)
    params = dict(
        a=1,
        b=True,
        c=Parameter(2, locality="local", type=int),
        d=Parameter(dist, locality="local"),
        e="a",
        f=Parameter(False, type=bool),
    )
    m = rate("r = 0", params)
    assert attrs(m)[:6] == [
        ("a", "param", "real", "global", 1.0),
        ("b", "param", "real", "global", 1.0),
        ("c", "param", "int", "local", 2),
        ("d", "param", "real", "local", dist),
        ("e", "param", "real", "global", "a"),
        ("f", "param", "bool", "global", False),
    ]


def test_variable_flags_and_variable_objects():
    dist = Uniform(0.0, 1.0)
    m = rate(
        [
            "r = v : max = vmax, min=0.5 * vmax",
            Variable("v = 1", init=dist, locality="global"),
            "n = 1 : int, init=3",
            "b = v > 0 : bool, init=True",
            "z = 0 : population, init=vmax",
            "dq/dt = -q : unless_refractory",
        ],
        "vmax = 2 : population",
    )
    assert attrs(m)[1:] == [
        ("r", "var", "real", "local", 0.0),
        ("v", "var", "real", "global", dist),
        ("n", "var", "int", "local", 3),
        ("b", "var", "bool", "local", True),
        ("z", "var", "real", "global", "vmax"),
        ("q", "var", "real", "local", 0.0),
    ]
    r = m.attribute("r")
    assert (print_expr(r.lo), print_expr(r.hi)) == ("0.5 * vmax", "vmax")


def test_rate_neurons_may_have_r_as_a_parameter():
    m = rate("", "r = 1.0")
    assert m.kind is NeuronKind.RATE
    assert attrs(m) == [("r", "param", "real", "local", 1.0)]


# ---------------------------------------------------------------------------------------------- spiking


def _lif(**kw) -> NeuronModel:
    base = dict(
        parameters="tau = 10.0\nv_th = -50 : population\nt_ref = 2.0",
        equations="tau * dv/dt = -v + g_exc - g_inh + g_exc : init = -65\ndg_nmda/dt = -g_nmda\nlast = last",
        spike="v > v_th",
        reset="v = -65\nlast = t_last\nv += 1 : max = 0",
        refractory="t_ref",
    )
    base.update(kw)
    return analyse_neuron(Neuron(**base), Environment(), "lifpop")


def test_spiking_neuron_fields():
    m = _lif()
    assert m.name == "lifpop"
    assert m.kind is NeuronKind.SPIKE
    assert m.targets == ("nmda", "exc", "inh")
    assert printed(m) == (
        "ode[explicit] v: tau * dv/dt = -v + g_exc - g_inh + g_exc\n"
        "ode[explicit] g_nmda: dg_nmda/dt = -g_nmda\n"
        "last = last\n"
        "g_exc = 0.0\n"
        "g_inh = 0.0"
    )
    assert print_expr(m.spike) == "v > v_th"
    assert print_stmts(m.reset) == "v = -65.0\nlast = t_last\nv = v + 1.0\nclamp v max=0.0"
    assert m.refractory == "t_ref"
    names = [(a.name, a.kind) for a in m.attributes]
    assert names[3:] == [
        ("v", AttrKind.VARIABLE),
        ("g_nmda", AttrKind.VARIABLE),
        ("last", AttrKind.VARIABLE),
        ("r", AttrKind.VARIABLE),
        ("g_exc", AttrKind.VARIABLE),
        ("g_inh", AttrKind.VARIABLE),
    ]


def test_t_last_is_the_last_spike_time_of_the_neuron():
    m = analyse_neuron(
        Neuron(equations="dv/dt = 1\nlast = t - t_last\ntl = t_last", spike="v > 1", reset="v = 0"),
        Environment(),
    )
    (node,) = [n for n in walk(m.equations[2].value) if isinstance(n, SpikeTime)]
    assert node.scope is Scope.SELF
    assert node.dtype is DType.REAL


def test_refractory_forms():
    assert _lif(refractory=5).refractory == 5.0
    assert _lif(refractory="2.5").refractory == 2.5
    assert _lif(refractory=None).refractory is None


def test_axon_spike_and_reset():
    m = _lif(axon_spike="v > -55", axon_reset="v -= 1")
    assert print_expr(m.axon_spike) == "v > -55.0"
    assert print_stmts(m.axon_reset) == "v = v - 1.0"


def test_spans_point_into_the_user_text():
    m = _lif()
    ode = m.equations[0]
    assert (ode.span.source.owner, ode.span.source.field) == ("Neuron 'lifpop'", "equations")
    var = ode.rhs.lhs.lhs.lhs.operand  # -v
    assert (var.span.line, var.span.col, var.span.end_col) == (1, 16, 17)
    assert m.attribute("v").span.col == 8  # the v of dv/dt


@pytest.mark.parametrize(("text", "expected"), [("1", 1.0), ("-1.5", -1.5), ("True", True)])
def test_literals_are_real_or_bool_constants(text: str, expected: object):
    value = rate(f"r = {text}").equations[0].value
    assert isinstance(value, Const | type(value))
    assert print_expr(value) == repr(expected)
