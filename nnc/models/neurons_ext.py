"""Built-in spiking neurons of MODELS.md §2.6-2.10: adaptive exponential IF, Hodgkin-Huxley, GIF.

Each produces exactly the DSL text of the specification (see :mod:`nnc.models.neurons`).
"""

# ruff: noqa: N801, N803 - class and argument names are those of the reference API

from __future__ import annotations

from nnc.descriptions.models import Neuron
from nnc.models.neurons import _GMAX, _alpha_functions, _conductances_exp, _params, _PyNNNeuron

# ------------------------------------------------------------------------------------------------ §2.6-2.7

_EIF_MEMBRANE = (
    "    tau_m * dv/dt = (v_rest - v + delta_T * exp((v-v_thresh)/delta_T)) + tau_m/cm*(I - w)"
    " : init={v_reset}\n"
    "    tau_w * dw/dt = a * (v - v_rest) / 1000.0 - w\n"
)


def _eif_params(**values: float) -> str:
    return "\n" + _params(**values)


class EIF_cond_exp_isfa_ista(_PyNNNeuron):
    """Adaptive exponential integrate-and-fire (Brette & Gerstner 2005), exponential conductances (§2.6)."""

    def __init__(
        self,
        v_rest: float = -70.6,
        cm: float = 0.281,
        tau_m: float = 9.3667,
        tau_refrac: float = 0.1,
        tau_syn_E: float = 5.0,
        tau_syn_I: float = 5.0,
        e_rev_E: float = 0.0,
        e_rev_I: float = -80.0,
        tau_w: float = 144.0,
        a: float = 4.0,
        b: float = 0.0805,
        i_offset: float = 0.0,
        delta_T: float = 2.0,
        v_thresh: float = -50.4,
        v_reset: float = -70.6,
        v_spike: float = -40.0,
    ):
        values = dict(locals())
        values.pop("self")
        values.pop("__class__", None)
        equations = (
            "\n    I = g_exc * (e_rev_E - v) + g_inh * (e_rev_I - v) + i_offset\n"
            + _EIF_MEMBRANE.format(v_reset=v_reset)
            + _conductances_exp()
        )
        super().__init__(
            _eif_params(**values),
            equations,
            "EIF_cond_exp_isfa_ista",
            "Adaptive exponential integrate-and-fire, exponential conductances.",
            spike="v > v_spike",
            reset="\n    v = v_reset\n    w += b\n",
        )


class EIF_cond_alpha_isfa_ista(_PyNNNeuron):
    """Adaptive exponential integrate-and-fire, alpha-shaped conductances (MODELS.md §2.7)."""

    def __init__(
        self,
        v_rest: float = -70.6,
        cm: float = 0.281,
        tau_m: float = 9.3667,
        tau_refrac: float = 0.1,
        tau_syn_E: float = 5.0,
        tau_syn_I: float = 5.0,
        e_rev_E: float = 0.0,
        e_rev_I: float = -80.0,
        tau_w: float = 144.0,
        a: float = 4.0,
        b: float = 0.0805,
        i_offset: float = 0.0,
        delta_T: float = 2.0,
        v_thresh: float = -50.4,
        v_reset: float = -70.6,
        v_spike: float = -40.0,
    ):
        values = dict(locals())
        values.pop("self")
        values.pop("__class__", None)
        equations = (
            "\n"
            + _GMAX
            + "    I = alpha_exc * (e_rev_E - v) + alpha_inh * (e_rev_I - v) + i_offset\n"
            + _EIF_MEMBRANE.format(v_reset=v_reset)
            + _conductances_exp()
            + _alpha_functions()
        )
        super().__init__(
            _eif_params(**values),
            equations,
            "EIF_cond_alpha_isfa_ista",
            "Adaptive exponential integrate-and-fire, alpha conductances.",
            spike="v > v_spike",
            reset="\n    v = v_reset\n    w += b\n",
        )


# ------------------------------------------------------------------------------------------------ §2.8

_HH_EQUATIONS = """
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
                 + g_exc * (e_rev_E - v) + g_inh * (e_rev_I - v) + i_offset : exponential, init={e_rev_leak}
"""


class HH_cond_exp(Neuron):
    """Hodgkin-Huxley neuron with Traub kinetics and exponential conductances (MODELS.md §2.8).

    All six ODEs are ``exponential``, as in the reference code (its docstring says midpoint) (?).
    """

    def __init__(
        self,
        gbar_Na: float = 20.0,
        gbar_K: float = 6.0,
        gleak: float = 0.01,
        cm: float = 0.2,
        v_offset: float = -63.0,
        e_rev_Na: float = 50.0,
        e_rev_K: float = -90.0,
        e_rev_leak: float = -65.0,
        e_rev_E: float = 0.0,
        e_rev_I: float = -80.0,
        tau_syn_E: float = 0.2,
        tau_syn_I: float = 2.0,
        i_offset: float = 0.0,
        v_thresh: float = 0.0,
    ):
        values = dict(locals())
        values.pop("self")
        values.pop("__class__", None)
        super().__init__(
            parameters="\n" + _params(**values),
            equations=_HH_EQUATIONS.format(e_rev_leak=e_rev_leak) + _conductances_exp(),
            spike="(v > v_thresh) and (prev_v <= v_thresh)",
            name="HH_cond_exp",
            description="Hodgkin-Huxley neuron with Traub channel kinetics, exponential conductances.",
        )


# ------------------------------------------------------------------------------------------------ §2.9-2.10


def _gif_equations(current: str, u_init: object) -> str:
    input_term = f" + {current}" if current != "" else ""
    return (
        f"\n    tau_m * du/dt = -u + u_r + R*I_ext{input_term} : init={u_init}\n"
        "    tau_v * dv/dt = -(v - u_th) : init=u_th\n"
        "    Lambda = c * exp((u - v)/delta_u)\n"
        "    p = Uniform(0.0, 1.0) * 1000.0 / dt\n"
    )


_GIF_RESET = "\n    u = u_r\n    v += J_v/tau_v\n"


class GIF_curr(Neuron):
    """Stochastic escape-rate neuron with a dynamic threshold (Schwalger et al. 2017, MODELS.md §2.9)."""

    def __init__(
        self,
        C_m: float = 250.0,
        tau_m: float = 10.0,
        tau_v: float = 1000.0,
        J_v: float = 1000,
        u_r: float = -65.0,
        u_th: float = -50.0,
        c: float = 10.0,
        delta_u: float = 5.0,
        I_ext: float = 375.0,
        current: str = "R*(g_exc - g_inh)",
        refractory_period: float = 0.0,
    ):
        super().__init__(
            parameters=dict(
                tau_m=tau_m,
                R=tau_m / C_m,
                tau_v=tau_v,
                J_v=J_v,
                u_r=u_r,
                u_th=u_th,
                c=c,
                delta_u=delta_u,
                I_ext=I_ext,
            ),
            equations=_gif_equations(current, u_r),
            spike="p < Lambda",
            reset=_GIF_RESET,
            refractory=refractory_period,
            name="GIF_curr",
            description="Generalised integrate-and-fire neuron with escape noise and adaptive threshold.",
        )


class GIF_curr_exp(Neuron):
    """:class:`GIF_curr` with exponentially decaying synaptic currents (MODELS.md §2.10).

    Arguments and parameters are in the reference's order: ``tau_g_exc``, ``tau_g_inh`` before ``I_ext``.
    """

    def __init__(
        self,
        C_m: float = 250.0,
        tau_m: float = 10.0,
        tau_v: float = 1000.0,
        J_v: float = 1000,
        u_r: float = -65.0,
        u_th: float = -50.0,
        c: float = 10.0,
        delta_u: float = 5.0,
        tau_g_exc: float = 5.0,
        tau_g_inh: float = 5.0,
        I_ext: float = 375.0,
        current: str = "R*(g_exc - g_inh)",
        refractory_period: float = 0.0,
    ):
        equations = _gif_equations(current, "u_r") + (
            "    tau_g_exc * dg_exc/dt = -g_exc\n    tau_g_inh * dg_inh/dt = -g_inh\n"
        )
        super().__init__(
            parameters=dict(
                tau_m=tau_m,
                R=tau_m / C_m,
                tau_v=tau_v,
                J_v=J_v,
                u_r=u_r,
                u_th=u_th,
                c=c,
                delta_u=delta_u,
                tau_g_exc=tau_g_exc,
                tau_g_inh=tau_g_inh,
                I_ext=I_ext,
            ),
            equations=equations,
            spike="p < Lambda",
            reset=_GIF_RESET,
            refractory=refractory_period,
            name="GIF_curr_exp",
            description="Generalised integrate-and-fire neuron with escape noise and exponential currents.",
        )
