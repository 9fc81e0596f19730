"""BOLD models (API.md §12, MODELS.md §4): ``BoldModel`` and the predefined balloon models.

A BOLD model is a rate-coded neuron of one neuron that declares its input targets (``inputs``, filled
by the accumulating projections of a :class:`~nnc.extensions.bold.BoldMonitor`) and its outputs.
Time in the predefined models is in seconds through the parameter ``second = 1000`` (ms per s); every
ODE is integrated with the explicit Euler method.
"""

from __future__ import annotations

from nnc.descriptions.models import Neuron


class BoldModel(Neuron):
    """A BOLD model: a rate-coded ``Neuron`` with input targets and output variables.

    ``inputs``: the target(s) its equations read with ``sum(...)`` (a name or a list); ``output``: the
    variable(s) a BOLD monitor records by default. A model that does not declare ``r`` gets it as a
    variable no equation updates.
    """

    implicit_rate = True

    def __init__(
        self,
        parameters: str | dict,
        equations: str | list,
        inputs: str | list[str],
        output: str | list[str] = "BOLD",
        name: str = "Custom BOLD model",
        description: str = "",
    ):
        self._inputs = [inputs] if isinstance(inputs, str) else list(inputs)
        self._output = [output] if isinstance(output, str) else list(output)
        super().__init__(parameters=parameters, equations=equations, name=name, description=description)


#: Equations shared by the balloon models (Stephan et al. 2007): flow, oxygen extraction, volume and
#: deoxyhemoglobin content, then the coefficients and the BOLD signal.
_BALLOON = """
    I_CBF          = sum(I_CBF)                                                : init=0
    ds/dt          = (phi * I_CBF - kappa * s - gamma * (f_in - 1))/second     : init=0
    df_in/dt       = s / second                                                : init=1, min=0.01
    E              = 1 - (1 - E_0)**(1 / f_in)                                 : init=0.3424
    dq/dt          = (f_in * E / E_0 - (q / v) * f_out)/(tau*second)           : init=1, min=0.01
    dv/dt          = (f_in - f_out)/(tau*second)                               : init=1, min=0.01
    f_out          = v**(1 / alpha)                                            : init=1, min=0.01
"""
#: The revised-linear model writes its volume equations without ``/second`` (the reference's model,
#: kept as it is: MODELS.md §4.1).
_BALLOON_RL = """
    I_CBF          = sum(I_CBF)                                                : init=0
    ds/dt          = (phi * I_CBF - kappa * s - gamma * (f_in - 1))/second     : init=0
    df_in/dt       = s  / second                                               : init=1, min=0.01
    E              = 1 - (1 - E_0)**(1 / f_in)                                 : init=0.3424
    tau*dq/dt      = f_in * E / E_0 - (q / v) * f_out                          : init=1, min=0.01
    tau*dv/dt      = f_in - f_out                                              : init=1, min=0.01
    f_out          = v**(1 / alpha)                                            : init=1, min=0.01
"""
_CLASSIC = """
    k_1            = (1 - V_0) * 4.3 * v_0 * E_0 * TE
    k_2            = 2 * E_0
    k_3            = 1 - epsilon
"""
_REVISED = """
    k_1            = 4.3 * v_0 * E_0 * TE
    k_2            = epsilon * r_0 * E_0 * TE
    k_3            = 1.0 - epsilon
"""
_NONLINEAR = """
    BOLD           = V_0 * (k_1 * (1 - q) + k_2 * (1 - (q / v)) + k_3 * (1 - v))  : init=0
"""
_LINEAR = """
    BOLD           = V_0 * ((k_1 + k_2) * (1 - q) + (k_3 - k_2) * (1 - v))        : init=0
"""


def _balloon_parameters(values: dict[str, float]) -> str:
    """Global parameters (``: population``), ``second`` first."""
    lines = ["second = 1000.0 : population"]
    lines += [f"{name} = {value!r} : population" for name, value in values.items()]
    return "\n".join(lines)


class _Balloon(BoldModel):
    """A balloon model of Stephan et al. (2007): ``equations`` after the shared parameters."""

    def __init__(self, values: dict[str, float], equations: str, name: str, description: str):
        super().__init__(
            parameters=_balloon_parameters({k: float(v) for k, v in values.items()}),
            equations=equations,
            inputs="I_CBF",
            output="BOLD",
            name=name,
            description=description,
        )


class balloon_CN(_Balloon):  # noqa: N801 - the reference's name
    """Balloon model with classic coefficients and the non-linear BOLD equation (Stephan et al. 2007)."""

    def __init__(
        self,
        phi: float = 1.0,
        kappa: float = 1 / 1.54,
        gamma: float = 1 / 2.46,
        E_0: float = 0.34,  # noqa: N803
        tau: float = 0.98,
        alpha: float = 0.33,
        V_0: float = 0.02,  # noqa: N803
        v_0: float = 40.3,
        TE: float = 40 / 1000.0,  # noqa: N803
        epsilon: float = 1.43,
    ):
        values = dict(phi=phi, kappa=kappa, gamma=gamma, E_0=E_0, tau=tau, alpha=alpha, V_0=V_0, v_0=v_0)
        values |= dict(TE=TE, epsilon=epsilon)
        super().__init__(
            values,
            _BALLOON + _CLASSIC + _NONLINEAR,
            "BoldNeuron CN",
            "BOLD computation with classic coefficients and non-linear BOLD equation (Stephan et al., 2007).",
        )


class balloon_CL(_Balloon):  # noqa: N801 - the reference's name
    """Balloon model with classic coefficients and the linear BOLD equation (Stephan et al. 2007)."""

    def __init__(
        self,
        phi: float = 1.0,
        kappa: float = 1 / 1.54,
        gamma: float = 1 / 2.46,
        E_0: float = 0.34,  # noqa: N803
        tau: float = 0.98,
        alpha: float = 0.33,
        V_0: float = 0.02,  # noqa: N803
        v_0: float = 40.3,
        TE: float = 40 / 1000.0,  # noqa: N803
        epsilon: float = 1.43,
    ):
        values = dict(phi=phi, kappa=kappa, gamma=gamma, E_0=E_0, tau=tau, alpha=alpha, V_0=V_0, v_0=v_0)
        values |= dict(TE=TE, epsilon=epsilon)
        super().__init__(
            values,
            _BALLOON + _CLASSIC + _LINEAR,
            "BoldNeuron CL",
            "BOLD computation with classic coefficients and linear BOLD equation (Stephan et al., 2007).",
        )


class balloon_RN(_Balloon):  # noqa: N801 - the reference's name
    """Balloon model with revised coefficients and the non-linear BOLD equation (Stephan et al. 2007);
    the default model of a BOLD monitor."""

    def __init__(
        self,
        phi: float = 1.0,
        kappa: float = 1 / 1.54,
        gamma: float = 1 / 2.46,
        E_0: float = 0.34,  # noqa: N803
        tau: float = 0.98,
        alpha: float = 0.33,
        V_0: float = 0.02,  # noqa: N803
        v_0: float = 40.3,
        TE: float = 40 / 1000.0,  # noqa: N803
        epsilon: float = 1.43,
        r_0: float = 25,
    ):
        values = dict(phi=phi, kappa=kappa, gamma=gamma, E_0=E_0, tau=tau, alpha=alpha, V_0=V_0, v_0=v_0)
        values |= dict(TE=TE, epsilon=epsilon, r_0=r_0)
        super().__init__(
            values,
            _BALLOON + _REVISED + _NONLINEAR,
            "BOLD model RN",
            "BOLD computation with revised coefficients and non-linear BOLD equation (Stephan et al., 2007).",
        )


class balloon_RL(_Balloon):  # noqa: N801 - the reference's name
    """Balloon model with revised coefficients and the linear BOLD equation (Stephan et al. 2007).

    As in the reference, its ``q`` and ``v`` equations have no ``/second`` (MODELS.md §4.1).
    """

    def __init__(
        self,
        phi: float = 1.0,
        kappa: float = 1 / 1.54,
        gamma: float = 1 / 2.46,
        E_0: float = 0.34,  # noqa: N803
        tau: float = 0.98,
        alpha: float = 0.33,
        V_0: float = 0.02,  # noqa: N803
        v_0: float = 40.3,
        TE: float = 40 / 1000.0,  # noqa: N803
        epsilon: float = 1.43,
        r_0: float = 25,
    ):
        values = dict(phi=phi, kappa=kappa, gamma=gamma, E_0=E_0, tau=tau, alpha=alpha, V_0=V_0, v_0=v_0)
        values |= dict(TE=TE, epsilon=epsilon, r_0=r_0)
        super().__init__(
            values,
            _BALLOON_RL + _REVISED.replace("1.0 - epsilon", "1 - epsilon") + _LINEAR,
            "BOLD model RL",
            "BOLD computation with revised coefficients and linear BOLD equation (Stephan et al., 2007).",
        )


class balloon_maith2021(BoldModel):  # noqa: N801 - the reference's name
    """The balloon model of Maith et al. (2021) (no arguments; local parameters)."""

    def __init__(self) -> None:
        parameters = """
            second    = 1000.0
            phi       = 1.0
            kappa     = 0.665
            gamma     = 0.412
            E_0       = 0.3424
            tau       = 1.0368
            alpha     = 0.3215
            V_0       = 0.02
        """
        equations = (
            _BALLOON
            + """
            k_1            = 7 * E_0
            k_2            = 2
            k_3            = 2 * E_0 - 0.2
            """
            + _NONLINEAR
        )
        super().__init__(
            parameters=parameters,
            equations=equations,
            inputs="I_CBF",
            output="BOLD",
            name="Maith2021 BOLD model",
            description="BOLD computation from Maith et al. (2021).",
        )


class balloon_two_inputs(BoldModel):  # noqa: N801 - the reference's name
    """Balloon model with two inputs, ``I_CBF`` (flow) and ``I_CMRO2`` (oxygen metabolism), and the
    non-linear BOLD equation with revised coefficients (Buxton et al. 2004, Friston et al. 2000, Stephan
    et al. 2007). ``dv`` is a variable of its own here, next to the ODE ``dv/dt`` of ``v``."""

    def __init__(self) -> None:
        parameters = """
            kappa_CBF   = 0.7650920556760059
            gamma_CBF   = 1/2.46
            kappa_CMRO2 = 4.032389192727559
            gamma_CMRO2 = 10/2.46
            phi_CBF     = 1.0
            phi_CMRO2   = 1.0
            E_0         = 0.34
            tau         = 0.98
            alpha       = 0.33
            V_0         = 0.02
            v_0         = 40.3
            TE          = 40/1000.
            epsilon     = 1
            r_0         = 25
            tau_out1    = 0
            tau_out2    = 20
            second      = 1000
        """
        equations = """
            I_CBF               = sum(I_CBF)                                                   : init=0
            second*ds_CBF/dt    = phi_CBF * I_CBF - kappa_CBF * s_CBF - gamma_CBF * (f_in - 1) : init=0
            second*df_in/dt     = s_CBF                                                        : init=1, min=0.01
            I_CMRO2             = sum(I_CMRO2)                                                 : init=0
            second*ds_CMRO2/dt  = phi_CMRO2 * I_CMRO2 * (gamma_CMRO2 / gamma_CBF) - kappa_CMRO2 * s_CMRO2 - gamma_CMRO2 * (r - 1) : init=0
            second*dr/dt        = s_CMRO2                                                      : init=1, min=0.01
            dv                  = f_in - v**(1 / alpha)
            tau_out             = if dv>0: tau_out1 else: tau_out2
            f_out               = v**(1/alpha) + tau_out * dv / (tau + tau_out)              : init=1, min=0.01
            dq/dt               = (r - (q / v) * f_out)  / (second*tau)                        : init=1, min=0.01
            dv/dt               = dv / (tau + tau_out)  / second                             : init=1, min=0.01
            k_1                 = 4.3 * v_0 * E_0 * TE
            k_2                 = epsilon * r_0 * E_0 * TE
            k_3                 = 1 - epsilon
            BOLD                = V_0 * (k_1 * (1 - q) + k_2 * (1 - (q / v)) + k_3 * (1 - v))  : init=0
        """  # noqa: E501 - the reference's equations, line for line
        super().__init__(
            parameters=parameters,
            equations=equations,
            inputs=["I_CBF", "I_CMRO2"],
            output="BOLD",
            name="BOLD model with two inputs",
            description=(
                "BOLD model with two inputs (CBF-driving and CMRO2-driving). Combination of neurovascular "
                "coupling of Friston et al. (2000) and non-linear Balloon model with revised coefficients "
                "(Buxton et al, 1998, Stephan et al, 2007)"
            ),
        )
