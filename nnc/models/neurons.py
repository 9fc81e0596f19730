"""Built-in neuron models (MODELS.md §1, §2.1-2.5): each produces exactly the DSL text of the specification.

Values are substituted with Python's ``str()`` at construction. The string parameter form makes
parameters without a flag *local* (MODELS.md, introduction); GIF models use the dict form (global).
"""

# ruff: noqa: N801, N803 - class and argument names are those of the reference API

from __future__ import annotations

from nnc.descriptions.models import Neuron

# ------------------------------------------------------------------------------------------------ helpers


def _params(**values: object) -> str:
    """Legacy parameter text, one ``name = value`` per line, all local."""
    return "\n".join(f"    {name} = {value}" for name, value in values.items()) + "\n"


def _conductances_exp() -> str:
    return (
        "    tau_syn_E * dg_exc/dt = - g_exc : exponential\n"
        "    tau_syn_I * dg_inh/dt = - g_inh : exponential\n"
    )


def _alpha_functions() -> str:
    return (
        "    tau_syn_E * dalpha_exc/dt = gmax_exc * g_exc - alpha_exc : exponential\n"
        "    tau_syn_I * dalpha_inh/dt = gmax_inh * g_inh - alpha_inh : exponential\n"
    )


_GMAX = (
    "    gmax_exc = exp((tau_syn_E - dt/2.0)/tau_syn_E)\n    gmax_inh = exp((tau_syn_I - dt/2.0)/tau_syn_I)\n"
)


class _PyNNNeuron(Neuron):
    """Integrate-and-fire family: spike at ``v > threshold``, reset ``v = v_reset``, refractory tau_refrac."""

    def __init__(
        self,
        parameters: str,
        equations: str,
        name: str,
        description: str,
        spike: str = "v > v_thresh",
        reset: str = "v = v_reset",
    ):
        super().__init__(
            parameters=parameters,
            equations=equations,
            spike=spike,
            reset=reset,
            refractory="tau_refrac",
            name=name,
            description=description,
        )


# ------------------------------------------------------------------------------------------------ §1


class LeakyIntegrator(Neuron):
    """Rate-coded leaky integrator with a rectified output (MODELS.md §1)."""

    def __init__(
        self,
        tau: float = 10.0,
        B: float = 0.0,
        T: float = 0.0,
        sum: str = "sum(exc) - sum(inh)",
        noise: str | None = None,
    ):
        noise_term = f" + {noise}" if noise else ""
        super().__init__(
            parameters=f"\n    tau = {tau} : population\n    B = {B}\n    T = {T} : population\n",
            equations=f"\n    tau * dv/dt + v = {sum} + B{noise_term} : exponential\n    r = pos(v - T)\n",
            name="Leaky-Integrator",
            description="Leaky-Integrator with positive transfer function and additive noise.",
        )


# ------------------------------------------------------------------------------------------------ §2.1


class Izhikevich(Neuron):
    """Izhikevich (2003) quadratic integrate-and-fire neuron with recovery variable (MODELS.md §2.1)."""

    def __init__(
        self,
        a: float = 0.02,
        b: float = 0.2,
        c: float = -65.0,
        d: float = 8.0,
        v_thresh: float = 30.0,
        i_offset: float = 0.0,
        noise: float = 0.0,
        tau_refrac: float = 0.0,
        conductance: str = "g_exc - g_inh",
    ):
        parameters = "\n" + _params(
            noise=noise, a=a, b=b, c=c, d=d, v_thresh=v_thresh, i_offset=i_offset, tau_refrac=tau_refrac
        )
        equations = (
            f"\n    I = {conductance} + noise * Normal(0.0, 1.0) + i_offset\n"
            f"    dv/dt = 0.04 * v^2 + 5.0 * v + 140.0 - u + I : init = {c}\n"
            f"    du/dt = a * (b*v - u) : init = {b * c}\n"
        )
        super().__init__(
            parameters=parameters,
            equations=equations,
            spike="v > v_thresh",
            reset="\n    v = c\n    u += d\n",
            refractory="tau_refrac",
            name="Izhikevich",
            description="Quadratic integrate-and-fire spiking neuron with adaptation.",
        )


# ------------------------------------------------------------------------------------------------ §2.2-2.5


def _if_params(
    v_rest, cm, tau_m, tau_refrac, tau_syn_E, tau_syn_I, v_thresh, v_reset, i_offset, **reversal: float
) -> str:
    return "\n" + _params(
        v_rest=v_rest,
        cm=cm,
        tau_m=tau_m,
        tau_refrac=tau_refrac,
        tau_syn_E=tau_syn_E,
        tau_syn_I=tau_syn_I,
        v_thresh=v_thresh,
        v_reset=v_reset,
        i_offset=i_offset,
        **reversal,
    )


class IF_curr_exp(_PyNNNeuron):
    """Leaky integrate-and-fire, exponentially decaying current inputs (MODELS.md §2.2)."""

    def __init__(
        self,
        v_rest: float = -65.0,
        cm: float = 1.0,
        tau_m: float = 20.0,
        tau_refrac: float = 0.0,
        tau_syn_E: float = 5.0,
        tau_syn_I: float = 5.0,
        v_thresh: float = -50.0,
        v_reset: float = -65.0,
        i_offset: float = 0.0,
    ):
        parameters = _if_params(
            v_rest, cm, tau_m, tau_refrac, tau_syn_E, tau_syn_I, v_thresh, v_reset, i_offset
        )
        equations = (
            "\n    cm * dv/dt = cm/tau_m*(v_rest - v) + g_exc - g_inh + i_offset : "
            f"exponential, init={v_reset}\n" + _conductances_exp()
        )
        super().__init__(
            parameters, equations, "IF_curr_exp", "Leaky integrate-and-fire, exponential currents."
        )


class IF_cond_exp(_PyNNNeuron):
    """Leaky integrate-and-fire, exponentially decaying conductances (MODELS.md §2.3)."""

    def __init__(
        self,
        v_rest: float = -65.0,
        cm: float = 1.0,
        tau_m: float = 20.0,
        tau_refrac: float = 0.0,
        tau_syn_E: float = 5.0,
        tau_syn_I: float = 5.0,
        v_thresh: float = -50.0,
        v_reset: float = -65.0,
        i_offset: float = 0.0,
        e_rev_E: float = 0.0,
        e_rev_I: float = -70.0,
    ):
        parameters = _if_params(
            v_rest,
            cm,
            tau_m,
            tau_refrac,
            tau_syn_E,
            tau_syn_I,
            v_thresh,
            v_reset,
            i_offset,
            e_rev_E=e_rev_E,
            e_rev_I=e_rev_I,
        )
        equations = (
            "\n    cm * dv/dt = cm/tau_m*(v_rest - v) + g_exc * (e_rev_E - v) + g_inh * (e_rev_I - v)"
            f" + i_offset : exponential, init={v_reset}\n" + _conductances_exp()
        )
        super().__init__(
            parameters, equations, "IF_cond_exp", "Leaky integrate-and-fire, exponential conductances."
        )


class IF_curr_alpha(_PyNNNeuron):
    """Leaky integrate-and-fire, alpha-shaped current inputs (MODELS.md §2.4)."""

    def __init__(
        self,
        v_rest: float = -65.0,
        cm: float = 1.0,
        tau_m: float = 20.0,
        tau_refrac: float = 0.0,
        tau_syn_E: float = 5.0,
        tau_syn_I: float = 5.0,
        v_thresh: float = -50.0,
        v_reset: float = -65.0,
        i_offset: float = 0.0,
    ):
        parameters = _if_params(
            v_rest, cm, tau_m, tau_refrac, tau_syn_E, tau_syn_I, v_thresh, v_reset, i_offset
        )
        equations = (
            "\n" + _GMAX + "    cm * dv/dt = cm/tau_m*(v_rest - v) + alpha_exc - alpha_inh + i_offset : "
            f"exponential, init={v_reset}\n" + _conductances_exp() + _alpha_functions()
        )
        super().__init__(parameters, equations, "IF_curr_alpha", "Leaky integrate-and-fire, alpha currents.")


class IF_cond_alpha(_PyNNNeuron):
    """Leaky integrate-and-fire, alpha-shaped conductances (MODELS.md §2.5)."""

    def __init__(
        self,
        v_rest: float = -65.0,
        cm: float = 1.0,
        tau_m: float = 20.0,
        tau_refrac: float = 0.0,
        tau_syn_E: float = 5.0,
        tau_syn_I: float = 5.0,
        v_thresh: float = -50.0,
        v_reset: float = -65.0,
        i_offset: float = 0.0,
        e_rev_E: float = 0.0,
        e_rev_I: float = -70.0,
    ):
        parameters = _if_params(
            v_rest,
            cm,
            tau_m,
            tau_refrac,
            tau_syn_E,
            tau_syn_I,
            v_thresh,
            v_reset,
            i_offset,
            e_rev_E=e_rev_E,
            e_rev_I=e_rev_I,
        )
        equations = (
            "\n" + _GMAX + "    cm * dv/dt = cm/tau_m*(v_rest - v) + alpha_exc * (e_rev_E - v) + "
            f"alpha_inh * (e_rev_I - v) + i_offset : exponential, init={v_reset}\n"
            + _conductances_exp()
            + _alpha_functions()
        )
        super().__init__(
            parameters, equations, "IF_cond_alpha", "Leaky integrate-and-fire, alpha conductances."
        )
