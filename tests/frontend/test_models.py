"""Built-in models (MODELS.md §1-3): they analyse, with the attributes and localities of the spec."""

from __future__ import annotations

import pytest

import nnc.models as M  # noqa: N812 - short name for the model catalogue
from nnc.descriptions.models import Neuron, Synapse
from nnc.frontend.analyse import Environment, analyse_neuron, analyse_synapse
from nnc.ir.model import NeuronModel
from nnc.ir.nodes import Ode
from nnc.ir.printer import print_expr, print_stmts
from nnc.ir.types import AttrKind, Locality, Method, NeuronKind

ENV = Environment()

#: MODELS.md §2 tables: (parameters in declaration order, variables in declaration order)
_IF = ["v_rest", "cm", "tau_m", "tau_refrac", "tau_syn_E", "tau_syn_I", "v_thresh", "v_reset", "i_offset"]
_EIF = [
    *_IF[:6],
    "e_rev_E",
    "e_rev_I",
    "tau_w",
    "a",
    "b",
    "i_offset",
    "delta_T",
    "v_thresh",
    "v_reset",
    "v_spike",
]
_GIF = ["tau_m", "R", "tau_v", "J_v", "u_r", "u_th", "c", "delta_u", "I_ext"]
NEURONS = {
    "Izhikevich": (["noise", "a", "b", "c", "d", "v_thresh", "i_offset", "tau_refrac"], ["I", "v", "u"]),
    "IF_curr_exp": (_IF, ["v", "g_exc", "g_inh"]),
    "IF_cond_exp": ([*_IF, "e_rev_E", "e_rev_I"], ["v", "g_exc", "g_inh"]),
    "IF_curr_alpha": (_IF, ["gmax_exc", "gmax_inh", "v", "g_exc", "g_inh", "alpha_exc", "alpha_inh"]),
    "IF_cond_alpha": (
        [*_IF, "e_rev_E", "e_rev_I"],
        ["gmax_exc", "gmax_inh", "v", "g_exc", "g_inh", "alpha_exc", "alpha_inh"],
    ),
    "EIF_cond_exp_isfa_ista": (_EIF, ["I", "v", "w", "g_exc", "g_inh"]),
    "EIF_cond_alpha_isfa_ista": (
        _EIF,
        ["gmax_exc", "gmax_inh", "I", "v", "w", "g_exc", "g_inh", "alpha_exc", "alpha_inh"],
    ),
    "HH_cond_exp": (
        [
            "gbar_Na",
            "gbar_K",
            "gleak",
            "cm",
            "v_offset",
            "e_rev_Na",
            "e_rev_K",
            "e_rev_leak",
            "e_rev_E",
            "e_rev_I",
            "tau_syn_E",
            "tau_syn_I",
            "i_offset",
            "v_thresh",
        ],
        ["prev_v", "an", "am", "ah", "bn", "bm", "bh", "n", "m", "h", "v", "g_exc", "g_inh"],
    ),
    "GIF_curr": (_GIF, ["u", "v", "Lambda", "p"]),
    "GIF_curr_exp": (
        [*_GIF[:-1], "tau_g_exc", "tau_g_inh", "I_ext"],
        ["u", "v", "Lambda", "p", "g_exc", "g_inh"],
    ),
}


def _split(model: NeuronModel, kind: AttrKind) -> list[str]:
    return [a.name for a in model.attributes if a.kind is kind]


@pytest.mark.parametrize("name", sorted(NEURONS))
def test_spiking_neurons_have_the_parameters_and_variables_of_the_spec(name: str):
    model = analyse_neuron(getattr(M, name)(), ENV)
    params, variables = NEURONS[name]
    assert model.kind is NeuronKind.SPIKE
    assert _split(model, AttrKind.PARAMETER) == params
    assert [v for v in _split(model, AttrKind.VARIABLE) if v not in ("r", "g_exc", "g_inh")] == [
        v for v in variables if v not in ("g_exc", "g_inh")
    ]
    assert {"r", "g_exc", "g_inh"} <= set(_split(model, AttrKind.VARIABLE))
    assert set(model.targets) == {"exc", "inh"}
    glob = name.startswith("GIF")  # dict parameters are global, legacy string parameters local
    expected = Locality.GLOBAL if glob else Locality.LOCAL
    assert {model.attribute(p).locality for p in params} == {expected}
    assert {a.locality for a in model.attributes if a.kind is AttrKind.VARIABLE} == {Locality.LOCAL}


def test_leaky_integrator():
    model = analyse_neuron(M.LeakyIntegrator(), ENV)
    assert model.kind is NeuronKind.RATE
    assert [(a.name, a.locality) for a in model.attributes] == [
        ("tau", Locality.GLOBAL),
        ("B", Locality.LOCAL),
        ("T", Locality.GLOBAL),
        ("v", Locality.LOCAL),
        ("r", Locality.LOCAL),
    ]
    assert print_stmts(model.equations) == (
        "ode[exponential] v: tau * dv/dt + v = sum(exc) - sum(inh) + B\nr = pos(v - T)"
    )
    noisy = analyse_neuron(M.LeakyIntegrator(tau=5, sum="sum(a)", noise="Normal(0.0, 1.0)"), ENV)
    assert print_stmts(noisy.equations[:1]) == (
        "ode[exponential] v: tau * dv/dt + v = sum(a) + B + Normal(0.0, 1.0)@0"
    )
    assert noisy.attribute("tau").init == 5.0


def test_izhikevich_substitutes_constructor_values():
    model = analyse_neuron(M.Izhikevich(b=0.25, c=-60.0, conductance="g_ampa"), ENV)
    assert model.attribute("v").init == -60.0
    assert model.attribute("u").init == 0.25 * -60.0
    assert print_stmts(model.equations[:1]) == "I = g_ampa + noise * Normal(0.0, 1.0)@0 + i_offset"
    assert model.targets == ("ampa",)
    assert print_expr(model.spike) == "v > v_thresh"
    assert print_stmts(model.reset) == "v = c\nu = u + d"
    assert model.refractory == "tau_refrac"
    assert analyse_neuron(M.Izhikevich(), ENV).attribute("u").init == -13.0


def test_pynn_models_use_the_methods_of_the_spec():
    methods = {
        s.target.name: s.method
        for s in analyse_neuron(M.EIF_cond_exp_isfa_ista(), ENV).equations
        if isinstance(s, Ode)
    }
    assert methods == {
        "v": Method.EXPLICIT,
        "w": Method.EXPLICIT,
        "g_exc": Method.EXPONENTIAL,
        "g_inh": Method.EXPONENTIAL,
    }
    hh = analyse_neuron(M.HH_cond_exp(), ENV)
    assert {s.method for s in hh.equations if isinstance(s, Ode)} == {Method.EXPONENTIAL}
    assert hh.attribute("v").init == -65.0
    assert hh.attribute("h").init == 1.0
    assert print_expr(hh.spike) == "v > v_thresh and prev_v <= v_thresh"
    assert hh.reset == ()
    assert hh.refractory is None


def test_gif_models():
    gif = analyse_neuron(M.GIF_curr(C_m=100.0, current=""), ENV)
    assert gif.attribute("R").init == 10.0 / 100.0
    assert print_stmts(gif.equations[:1]) == "ode[explicit] u: tau_m * du/dt = -u + u_r + R * I_ext"
    assert gif.attribute("v").init == "u_th"
    assert print_expr(gif.spike) == "p < Lambda"
    assert print_stmts(gif.reset) == "u = u_r\nv = v + J_v / tau_v"
    exp = analyse_neuron(M.GIF_curr_exp(refractory_period=2.0), ENV)
    assert exp.attribute("u").init == "u_r"
    assert exp.refractory == 2.0


def test_rate_synapses():
    rate = analyse_neuron(M.LeakyIntegrator(), ENV)
    hebb = analyse_synapse(M.Hebb(eta=0.5), ENV, rate, rate, (), ())
    assert [(a.name, a.kind, a.locality) for a in hebb.attributes] == [
        ("eta", AttrKind.PARAMETER, Locality.GLOBAL),
        ("w", AttrKind.VARIABLE, Locality.LOCAL),
    ]
    assert hebb.attribute("eta").init == 0.5
    assert print_expr(hebb.attribute("w").lo) == "0.0"
    oja = analyse_synapse(M.Oja(), ENV, rate, rate, (), ())
    assert print_stmts(oja.equations) == (
        "ode[explicit] w: dw/dt = eta * (pre.r * post.r - alpha * post.r ^ 2.0 * w)"
    )
    ibcm = analyse_synapse(M.IBCM(), ENV, rate, rate, (), ())
    assert [(a.name, a.locality) for a in ibcm.attributes] == [
        ("eta", Locality.GLOBAL),
        ("tau", Locality.GLOBAL),
        ("theta", Locality.SEMIGLOBAL),
        ("w", Locality.LOCAL),
    ]


def test_spiking_synapses():
    lif = analyse_neuron(M.IF_curr_exp(), ENV)
    stp = analyse_synapse(M.STP(U=0.3), ENV, lif, lif, (), ())
    assert [(a.name, a.kind, a.locality, a.init) for a in stp.attributes] == [
        ("tau_rec", AttrKind.PARAMETER, Locality.GLOBAL, 100.0),
        ("tau_facil", AttrKind.PARAMETER, Locality.GLOBAL, 0.01),
        ("U", AttrKind.PARAMETER, Locality.LOCAL, 0.3),
        ("w", AttrKind.PARAMETER, Locality.LOCAL, 0.0),
        ("x", AttrKind.VARIABLE, Locality.LOCAL, 1.0),
        ("u", AttrKind.VARIABLE, Locality.LOCAL, 0.3),
    ]
    assert {s.method for s in stp.equations} == {Method.EVENT_DRIVEN}
    assert print_stmts(stp.pre_spike) == (
        "post.g_target = post.g_target + w * u * x\nx = x * (1.0 - u)\nu = u + U * (1.0 - u)"
    )
    stdp = analyse_synapse(M.STDP(), ENV, lif, lif, (), ())
    assert {a.locality for a in stdp.attributes if a.kind is AttrKind.PARAMETER and a.name != "w"} == {
        Locality.GLOBAL
    }
    assert print_stmts(stdp.pre_spike) == (
        "post.g_target = post.g_target + w\nx = x + A_plus * w_max\nw = clip(w + y, w_min, w_max)"
    )
    assert print_stmts(stdp.post_spike) == "y = y - A_minus * w_max\nw = clip(w + x, w_min, w_max)"


def test_models_are_neuron_and_synapse_subclasses():
    for name in [*NEURONS, "LeakyIntegrator"]:
        assert issubclass(getattr(M, name), Neuron)
    for name in ("Hebb", "Oja", "IBCM", "STP", "STDP"):
        assert issubclass(getattr(M, name), Synapse)
    assert M.Izhikevich().type == "spike"
    assert M.LeakyIntegrator().type == "rate"
    assert M.STDP().type == "spike"
