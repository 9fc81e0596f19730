"""The neuron models of converted networks: the input encodings (``CPN``, ``IB``, ``PSO``) and the
integrate-and-fire neurons of the hidden and read-out layers (``IaF``, ``IaF_ReadOut``, ``IaF_TTKS``,
``IaF_Acc``), as the reference defines them.

Each spike of an encoding or hidden neuron adds ``1/mask_tau`` to its ``mask``, which decays with the time
constant ``mask_tau``: convolution and pooling layers read ``pre.mask`` every step, dense layers the
spikes.
"""

from __future__ import annotations

from nnc.descriptions.models import Neuron

__all__ = ["CPN", "IB", "PSO", "IaF", "IaF_Acc", "IaF_ReadOut", "IaF_TTKS", "available_read_outs"]

#: Poisson spikes at ``rates`` Hz.
CPN = Neuron(
    parameters="""
        rates = 0.0
        mask_tau = 20.0
    """,
    equations="""
        p = (Uniform(0.0, 1.0) * 1000.0) / dt
        dmask/dt = -mask/mask_tau : init=0.0
    """,
    spike="p < rates",
    reset="mask += 1.0/mask_tau",
    name="custom poisson neuron",
)

#: Intrinsically bursting Izhikevich neurons driven by ``rates``.
IB = Neuron(
    parameters="""
        a = 0.02
        b = 0.2
        c = -55.0
        d = 4.0
        v_thresh = 30.0
        rates=0.0
        mask_tau = 20
    """,
    equations="""
        dv/dt = 0.04 * v^2 + 5.0 * v + 140.0 - u + rates : init = -55.0
        du/dt = a * (b*v - u) : init= -13.0
        dmask/dt = -mask/mask_tau : init=0.0
    """,
    spike="v > v_thresh",
    reset="v = c; u += d; mask += 1.0/mask_tau",
    name="intrinsically bursting",
)

#: Phase shift oscillation: the threshold ``vt`` modulated by ``2^(-1 + mod(t - 1, k))``.
PSO = Neuron(
    parameters="""
        k= 8
        vt = 1
        rates=0
        mask_tau=20.0
    """,
    equations="""
        p= pow(2,(-1+(modulo(t-1,k))))
        vt_new=p*vt
        v = rates : init = 0
        dmask/dt = -mask/mask_tau : init=0.0
    """,
    spike="v > vt_new",
    reset="mask += 1.0/mask_tau",
    name="phase shift oscillation",
)

available_read_outs = ["spike_count", "time_to_first_spike", "time_to_k_spikes", "membrane_potential"]

#: Integrate-and-fire neurons of the hidden layers.
IaF = Neuron(
    parameters="""
        vt = 1          : population
        vr = 0          : population
        mask_tau = 20.0 : population
    """,
    equations="""
        dv/dt    = g_exc          : init = 0.0 , min=-2.0
        dmask/dt = -mask/mask_tau : init = 0.0
    """,
    spike="v > vt",
    reset="""
        v = vr
        mask += 1.0/mask_tau
    """,
    name="IaF neuron",
)

#: Integrate-and-fire read-out neurons (no mask).
IaF_ReadOut = Neuron(
    parameters="""
        vt = 1          : population
        vr = 0          : population
    """,
    equations="dv/dt = g_exc   : init = 0.0 , min=-2.0",
    spike="v > vt",
    reset="v = vr",
    name="IaF neuron",
)

#: Integrate-and-fire read-out neurons counting their spikes in ``sc`` (read-out ``time_to_k_spikes``;
#: the reference declares ``sc`` as a parameter, which nnc's reset may not assign: here it is a variable).
IaF_TTKS = Neuron(
    parameters="""
        k = 0           : population
        vt = 1          : population
        vr = 0          : population
    """,
    equations="""
        dv/dt = g_exc   : init = 0.0 , min=-2.0
        sc = sc : init = 0
    """,
    spike="v > vt",
    reset="""
        v = vr
        sc += 1
    """,
)

#: Accumulating read-out neurons that never spike (read-out ``membrane_potential``).
IaF_Acc = Neuron(
    equations="dv/dt = g_exc   : init = 0.0 , min=-2.0",
    spike="v < -10000 # will never happen",
    reset="",
)
