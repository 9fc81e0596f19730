"""Built-in synapse models (MODELS.md §3): each produces exactly the DSL text of the specification."""

# ruff: noqa: N803 - argument names are those of the reference API

from __future__ import annotations

from nnc.descriptions.models import Synapse
from nnc.diagnostics import ModelError


class DefaultRateCodedSynapse(Synapse):
    """The synapse of a rate-coded projection created without one: ``psp = w * pre.r`` (MODELS.md §3.1)."""

    def __init__(self) -> None:
        super().__init__(psp="w * pre.r", name="-", description="Weighted sum of firing rates.")


class DefaultSpikingSynapse(Synapse):
    """The synapse of a spiking projection created without one: ``g_target += w`` (MODELS.md §3.1)."""

    def __init__(self) -> None:
        super().__init__(
            pre_spike="g_target += w",
            name="Event-driven synapse",
            description="Increases the post-synaptic conductance by w after each pre-synaptic spike.",
        )


class Hebb(Synapse):
    """Rate-coded Hebbian learning ``dw/dt = eta * pre.r * post.r`` (MODELS.md §3.2)."""

    def __init__(self, eta: float = 0.01):
        super().__init__(
            parameters=f"\n    eta = {eta} : projection\n",
            equations="\n    dw/dt = eta * pre.r * post.r : min=0.0, explicit\n",
            name="Hebbian Plasticity",
            description="Simple Hebbian learning rule.",
        )


class Oja(Synapse):
    """Rate-coded Oja rule: Hebbian learning with weight normalisation (MODELS.md §3.3)."""

    def __init__(self, eta: float = 0.01, alpha: float = 1.0):
        super().__init__(
            parameters=f"\n    eta = {eta} : projection\n    alpha = {alpha} : projection\n",
            equations="\n    dw/dt = eta * ( pre.r * post.r - alpha * post.r^2 * w ) : min=0.0, explicit\n",
            name="Oja learning rule",
            description="Hebbian learning rule with a normalising term (Oja 1982).",
        )


class IBCM(Synapse):
    """Rate-coded BCM rule with a sliding threshold (Intrator & Cooper 1992, MODELS.md §3.4)."""

    def __init__(self, eta: float = 0.01, tau: float = 2000.0):
        super().__init__(
            parameters=f"\n    eta = {eta} : projection\n    tau = {tau} : projection\n",
            equations=(
                "\n    tau * dtheta/dt + theta = post.r^2 : postsynaptic, exponential\n"
                "    dw/dt = eta * post.r * (post.r - theta) * pre.r : min=0.0, explicit\n"
            ),
            name="IBCM",
            description="Intrator & Cooper (1992) BCM learning rule.",
        )


class STP(Synapse):
    """Tsodyks-Markram short-term plasticity (MODELS.md §3.5); ``tau_facil`` must be positive."""

    def __init__(self, tau_rec: float = 100.0, tau_facil: float = 0.01, U: float = 0.5):
        if tau_facil <= 0:
            raise ModelError(f"STP: tau_facil must be positive, not {tau_facil}")
        super().__init__(
            parameters=(
                f"\n    tau_rec = {tau_rec} : projection\n    tau_facil = {tau_facil} : projection\n"
                f"    U = {U}\n"
            ),
            equations=(
                "\n    dx/dt = (1 - x)/tau_rec : init = 1.0, event-driven\n"
                f"    du/dt = (U - u)/tau_facil : init = {U}, event-driven\n"
            ),
            pre_spike="\n    g_target += w * u * x\n    x *= (1 - u)\n    u += U * (1 - u)\n",
            name="Short-term plasticity",
            description="Short-term facilitation and depression (Tsodyks and Markram 1997).",
        )


class STDP(Synapse):
    """Online nearest-trace spike-timing-dependent plasticity (Song & Abbott 2001, MODELS.md §3.6)."""

    def __init__(
        self,
        tau_plus: float = 20.0,
        tau_minus: float = 20.0,
        A_plus: float = 0.01,
        A_minus: float = 0.01,
        w_min: float = 0.0,
        w_max: float = 1.0,
    ):
        values = {
            "tau_plus": tau_plus,
            "tau_minus": tau_minus,
            "A_plus": A_plus,
            "A_minus": A_minus,
            "w_min": w_min,
            "w_max": w_max,
        }
        super().__init__(
            parameters="\n" + "".join(f"    {k} = {v} : projection\n" for k, v in values.items()),
            equations=(
                "\n    tau_plus  * dx/dt = -x : event-driven\n    tau_minus * dy/dt = -y : event-driven\n"
            ),
            pre_spike=("\n    g_target += w\n    x += A_plus * w_max\n    w = clip(w + y, w_min, w_max)\n"),
            post_spike="\n    y -= A_minus * w_max\n    w = clip(w + x, w_min, w_max)\n",
            name="Spike-timing dependent plasticity",
            description="Synapse exhibiting spike-timing dependent plasticity.",
        )
