"""Built-in models produce exactly the DSL of MODELS.md; the model lists and exports of API.md §1.

The expected texts below are MODELS.md §1-3 with the default constructor arguments substituted as
Python ``str()`` of the value (and, for ``test_constructor_values_are_substituted``, other values).
Texts are compared statement by statement with all whitespace removed (spacing is not part of the
specification; names, numbers, operators and flags are).
"""

# ruff: noqa: E501 - the DSL texts are transcribed line by line from MODELS.md

from __future__ import annotations

import pytest

import nnc as ann
import nnc.models as M  # noqa: N812 - short name for the model catalogue
from nnc.descriptions.models import Neuron, Synapse


def lines(text: object) -> list[str]:
    """Statements of a DSL field, whitespace removed (physical lines; None and '' are empty)."""
    if not text:
        return []
    return ["".join(line.split()) for line in str(text).split("\n") if line.strip()]


IF_PARAMS = """
    v_rest = -65.0
    cm = 1.0
    tau_m = 20.0
    tau_refrac = 0.0
    tau_syn_E = 5.0
    tau_syn_I = 5.0
    v_thresh = -50.0
    v_reset = -65.0
    i_offset = 0.0
"""
COND_PARAMS = IF_PARAMS + "e_rev_E = 0.0\ne_rev_I = -70.0\n"
EXP_SYNAPSES = (
    "tau_syn_E * dg_exc/dt = - g_exc : exponential\ntau_syn_I * dg_inh/dt = - g_inh : exponential\n"
)
ALPHA_SYNAPSES = (
    EXP_SYNAPSES + "tau_syn_E * dalpha_exc/dt = gmax_exc * g_exc - alpha_exc : exponential\n"
    "tau_syn_I * dalpha_inh/dt = gmax_inh * g_inh - alpha_inh : exponential\n"
)
GMAX = "gmax_exc = exp((tau_syn_E - dt/2.0)/tau_syn_E)\ngmax_inh = exp((tau_syn_I - dt/2.0)/tau_syn_I)\n"
EIF_PARAMS = """
    v_rest = -70.6
    cm = 0.281
    tau_m = 9.3667
    tau_refrac = 0.1
    tau_syn_E = 5.0
    tau_syn_I = 5.0
    e_rev_E = 0.0
    e_rev_I = -80.0
    tau_w = 144.0
    a = 4.0
    b = 0.0805
    i_offset = 0.0
    delta_T = 2.0
    v_thresh = -50.4
    v_reset = -70.6
    v_spike = -40.0
"""
EIF_MEMBRANE = """
    tau_m * dv/dt = (v_rest - v + delta_T * exp((v-v_thresh)/delta_T)) + tau_m/cm*(I - w) : init=-70.6
    tau_w * dw/dt = a * (v - v_rest) / 1000.0 - w
"""
GIF_EQUATIONS = """
    tau_m * du/dt = -u + u_r + R*I_ext + R*(g_exc - g_inh) : init=-65.0
    tau_v * dv/dt = -(v - u_th) : init=u_th
    Lambda = c * exp((u - v)/delta_u)
    p = Uniform(0.0, 1.0) * 1000.0 / dt
"""
GIF_PARAMS = dict(
    tau_m=10.0, R=10.0 / 250.0, tau_v=1000.0, J_v=1000, u_r=-65.0, u_th=-50.0, c=10.0, delta_u=5.0
)
GIF_RESET = "u = u_r\nv += J_v/tau_v"

#: name -> (parameters, equations, spike, reset, refractory)
NEURONS: dict[str, tuple[object, str, str | None, str | None, object]] = {
    "LeakyIntegrator": (
        "tau = 10.0 : population\nB = 0.0\nT = 0.0 : population",
        "tau * dv/dt + v = sum(exc) - sum(inh) + B : exponential\nr = pos(v - T)",
        None, None, None,
    ),
    "Izhikevich": (
        "noise = 0.0\na = 0.02\nb = 0.2\nc = -65.0\nd = 8.0\nv_thresh = 30.0\ni_offset = 0.0\ntau_refrac = 0.0",
        "I = g_exc - g_inh + noise * Normal(0.0, 1.0) + i_offset\n"
        "dv/dt = 0.04 * v^2 + 5.0 * v + 140.0 - u + I : init = -65.0\n"
        "du/dt = a * (b*v - u) : init = -13.0",
        "v > v_thresh", "v = c\nu += d", "tau_refrac",
    ),
    "IF_curr_exp": (
        IF_PARAMS,
        "cm * dv/dt = cm/tau_m*(v_rest - v) + g_exc - g_inh + i_offset : exponential, init=-65.0\n"
        + EXP_SYNAPSES,
        "v > v_thresh", "v = v_reset", "tau_refrac",
    ),
    "IF_cond_exp": (
        COND_PARAMS,
        "cm * dv/dt = cm/tau_m*(v_rest - v) + g_exc * (e_rev_E - v) + g_inh * (e_rev_I - v) + i_offset"
        " : exponential, init=-65.0\n" + EXP_SYNAPSES,
        "v > v_thresh", "v = v_reset", "tau_refrac",
    ),
    "IF_curr_alpha": (
        IF_PARAMS,
        GMAX + "cm * dv/dt = cm/tau_m*(v_rest - v) + alpha_exc - alpha_inh + i_offset : exponential, init=-65.0\n"
        + ALPHA_SYNAPSES,
        "v > v_thresh", "v = v_reset", "tau_refrac",
    ),
    "IF_cond_alpha": (
        COND_PARAMS,
        GMAX + "cm * dv/dt = cm/tau_m*(v_rest - v) + alpha_exc * (e_rev_E - v) + alpha_inh * (e_rev_I - v)"
        " + i_offset : exponential, init=-65.0\n" + ALPHA_SYNAPSES,
        "v > v_thresh", "v = v_reset", "tau_refrac",
    ),
    "EIF_cond_exp_isfa_ista": (
        EIF_PARAMS,
        "I = g_exc * (e_rev_E - v) + g_inh * (e_rev_I - v) + i_offset\n" + EIF_MEMBRANE + EXP_SYNAPSES,
        "v > v_spike", "v = v_reset\nw += b", "tau_refrac",
    ),
    "EIF_cond_alpha_isfa_ista": (
        EIF_PARAMS,
        GMAX + "I = alpha_exc * (e_rev_E - v) + alpha_inh * (e_rev_I - v) + i_offset\n" + EIF_MEMBRANE
        + ALPHA_SYNAPSES,
        "v > v_spike", "v = v_reset\nw += b", "tau_refrac",
    ),
    "HH_cond_exp": (
        "gbar_Na = 20.0\ngbar_K = 6.0\ngleak = 0.01\ncm = 0.2\nv_offset = -63.0\ne_rev_Na = 50.0\n"
        "e_rev_K = -90.0\ne_rev_leak = -65.0\ne_rev_E = 0.0\ne_rev_I = -80.0\ntau_syn_E = 0.2\n"
        "tau_syn_I = 2.0\ni_offset = 0.0\nv_thresh = 0.0",
        """
        prev_v = v
        an = 0.032 * (15.0 - v + v_offset) / (exp((15.0 - v + v_offset)/5.0) - 1.0)
        am = 0.32  * (13.0 - v + v_offset) / (exp((13.0 - v + v_offset)/4.0) - 1.0)
        ah = 0.128 * exp((17.0 - v + v_offset)/18.0)
        bn = 0.5   * exp((10.0 - v + v_offset)/40.0)
        bm = 0.28  * (v - v_offset - 40.0) / (exp((v - v_offset - 40.0)/5.0) - 1.0)
        bh = 4.0/(1.0 + exp((10.0 - v + v_offset)))
        dn/dt = an * (1.0 - n) - bn * n : init = 0.0, exponential
        dm/dt = am * (1.0 - m) - bm * m : init = 0.0, exponential
        dh/dt = ah * (1.0 - h) - bh * h : init = 1.0, exponential
        cm * dv/dt = gleak*(e_rev_leak - v) + gbar_K * n**4 * (e_rev_K - v) + gbar_Na * m**3 * h * (e_rev_Na - v)
                     + g_exc * (e_rev_E - v) + g_inh * (e_rev_I - v) + i_offset : exponential, init=-65.0
        """ + EXP_SYNAPSES,
        "(v > v_thresh) and (prev_v <= v_thresh)", None, None,
    ),
    "GIF_curr": ({**GIF_PARAMS, "I_ext": 375.0}, GIF_EQUATIONS, "p < Lambda", GIF_RESET, 0.0),
    "GIF_curr_exp": (
        {**GIF_PARAMS, "tau_g_exc": 5.0, "tau_g_inh": 5.0, "I_ext": 375.0},
        GIF_EQUATIONS.replace("init=-65.0", "init=u_r")
        + "tau_g_exc * dg_exc/dt = -g_exc\ntau_g_inh * dg_inh/dt = -g_inh",
        "p < Lambda", GIF_RESET, 0.0,
    ),
}  # fmt: skip

#: name -> (parameters, equations, pre_spike, post_spike)
SYNAPSES: dict[str, tuple[str, str, str | None, str | None]] = {
    "Hebb": ("eta = 0.01 : projection", "dw/dt = eta * pre.r * post.r : min=0.0, explicit", None, None),
    "Oja": (
        "eta = 0.01 : projection\nalpha = 1.0 : projection",
        "dw/dt = eta * ( pre.r * post.r - alpha * post.r^2 * w ) : min=0.0, explicit",
        None, None,
    ),
    "IBCM": (
        "eta = 0.01 : projection\ntau = 2000.0 : projection",
        "tau * dtheta/dt + theta = post.r^2 : postsynaptic, exponential\n"
        "dw/dt = eta * post.r * (post.r - theta) * pre.r : min=0.0, explicit",
        None, None,
    ),
    "STP": (
        "tau_rec = 100.0 : projection\ntau_facil = 0.01 : projection\nU = 0.5",
        "dx/dt = (1 - x)/tau_rec : init = 1.0, event-driven\ndu/dt = (U - u)/tau_facil : init = 0.5, event-driven",
        "g_target += w * u * x\nx *= (1 - u)\nu += U * (1 - u)", None,
    ),
    "STDP": (
        "tau_plus = 20.0 : projection\ntau_minus = 20.0 : projection\nA_plus = 0.01 : projection\n"
        "A_minus = 0.01 : projection\nw_min = 0.0 : projection\nw_max = 1.0 : projection",
        "tau_plus * dx/dt = -x : event-driven\ntau_minus * dy/dt = -y : event-driven",
        "g_target += w\nx += A_plus * w_max\nw = clip(w + y, w_min, w_max)",
        "y -= A_minus * w_max\nw = clip(w + x, w_min, w_max)",
    ),
}  # fmt: skip


def _same(got: object, want: object) -> None:
    if isinstance(want, dict):
        assert got == want
    else:
        assert lines(got) == lines(want)


@pytest.mark.parametrize("name", sorted(NEURONS))
def test_neuron_dsl_is_the_specified_text(name: str) -> None:
    parameters, equations, spike, reset, refractory = NEURONS[name]
    model = getattr(ann, name)()
    _same(model.parameters, parameters)
    _same(model.equations, equations)
    _same(model.spike, spike)
    _same(model.reset, reset)
    assert model.refractory == refractory


@pytest.mark.parametrize("name", sorted(SYNAPSES))
def test_synapse_dsl_is_the_specified_text(name: str) -> None:
    parameters, equations, pre_spike, post_spike = SYNAPSES[name]
    model = getattr(ann, name)()
    _same(model.parameters, parameters)
    _same(model.equations, equations)
    _same(model.pre_spike, pre_spike)
    _same(model.post_spike, post_spike)


def test_constructor_values_are_substituted() -> None:
    izh = ann.Izhikevich(a=0.1, b=0.25, c=-55.0, noise=0.5, tau_refrac=2.0, conductance="g_ampa")
    assert "a=0.1" in lines(izh.parameters)
    assert "noise=0.5" in lines(izh.parameters)
    assert lines(izh.equations)[0] == "I=g_ampa+noise*Normal(0.0,1.0)+i_offset"
    assert lines(izh.equations)[1].endswith(":init=-55.0")
    assert lines(izh.equations)[2].endswith(":init=-13.75")  # b*c
    lif = ann.IF_cond_exp(v_reset=-70.0, e_rev_I=-75.0)
    assert lines(lif.equations)[0].endswith(":exponential,init=-70.0")
    assert "e_rev_I=-75.0" in lines(lif.parameters)
    li = ann.LeakyIntegrator(sum="sum(ff)", noise="Normal(0.0, 1.0)")
    assert lines(li.equations)[0] == "tau*dv/dt+v=sum(ff)+B+Normal(0.0,1.0):exponential"
    gif = ann.GIF_curr(C_m=100.0, current="", refractory_period=3.0)
    assert lines(gif.equations)[0] == "tau_m*du/dt=-u+u_r+R*I_ext:init=-65.0"
    assert gif.parameters["R"] == 10.0 / 100.0
    assert gif.refractory == 3.0
    stdp = ann.STDP(tau_plus=10.0, w_max=2.0)
    assert lines(stdp.parameters)[0] == "tau_plus=10.0:projection"
    assert lines(ann.STP(U=0.2).equations)[1].endswith(":init=0.2,event-driven")


def test_gif_curr_exp_arguments_are_in_the_reference_order() -> None:
    """Positional arguments as in ANNarchy 5.0.4.1: ..., delta_u, tau_g_exc, tau_g_inh, I_ext, ..."""
    gif = ann.GIF_curr_exp(250.0, 10.0, 1000.0, 1000, -65.0, -50.0, 10.0, 5.0, 3.0, 4.0, 300.0)
    assert (gif.parameters["tau_g_exc"], gif.parameters["tau_g_inh"], gif.parameters["I_ext"]) == (
        3.0,
        4.0,
        300.0,
    )


# --------------------------------------------------------------------------------------------------
# lists and exports


def test_list_standard_neurons_returns_the_classes_in_the_reference_order() -> None:
    assert ann.models.list_standard_neurons() == [
        ann.LeakyIntegrator,
        ann.Izhikevich,
        ann.IF_curr_exp,
        ann.IF_cond_exp,
        ann.IF_curr_alpha,
        ann.IF_cond_alpha,
        ann.GIF_curr,
        ann.GIF_curr_exp,
        ann.HH_cond_exp,
        ann.EIF_cond_alpha_isfa_ista,
        ann.EIF_cond_exp_isfa_ista,
    ]
    assert all(issubclass(cls, Neuron) for cls in M.list_standard_neurons())


def test_list_standard_synapses_returns_the_classes_in_the_reference_order() -> None:
    assert ann.models.list_standard_synapses() == [ann.STP, ann.STDP, ann.Hebb, ann.Oja, ann.IBCM]
    assert all(issubclass(cls, Synapse) for cls in M.list_standard_synapses())


def test_default_synapses_of_the_reference_catalogue() -> None:
    assert M.DefaultSpikingSynapse().pre_spike == "g_target += w"
    assert M.DefaultRateCodedSynapse().psp == "w * pre.r"


API_NEURONS = [
    "LeakyIntegrator",
    "Izhikevich",
    "IF_curr_exp",
    "IF_cond_exp",
    "IF_curr_alpha",
    "IF_cond_alpha",
    "HH_cond_exp",
    "EIF_cond_exp_isfa_ista",
    "EIF_cond_alpha_isfa_ista",
    "GIF_curr",
    "GIF_curr_exp",
]
API_SYNAPSES = ["Hebb", "Oja", "IBCM", "STP", "STDP"]


@pytest.mark.parametrize("name", API_NEURONS + API_SYNAPSES)
def test_api_model_names_are_exported(name: str) -> None:
    """API.md §1, groups "neurons" and "synapses"."""
    assert name in ann.__all__
    assert getattr(ann, name) is getattr(M, name)


def test_the_lists_cover_the_api_names() -> None:
    assert sorted(c.__name__ for c in M.list_standard_neurons()) == sorted(API_NEURONS)
    assert sorted(c.__name__ for c in M.list_standard_synapses()) == sorted(API_SYNAPSES)
