"""Built-in spiking neurons (MODELS.md §2) against NumPy re-implementations of their formulas.

Each test runs a few neurons of one built-in model on every engine for a few hundred steps, driven by
a constant current and, in a second variant, by deterministic sender neurons (neuron ``j`` spikes at
every step whose time is a multiple of ``period_j``) through two projections (``exc``, ``inh``). It
compares the recorded trajectories with a step-by-step re-implementation written below from MODELS.md
§2 and the step order of SEMANTICS.md §2, §4.3 and §6.2:

* phase 2 adds the weights of the spikes emitted at step ``k - 1`` to ``g_exc`` / ``g_inh`` (sender
  spike-list order), phase 3 samples ``g_*``;
* ``active = refractory_left <= 0``; the local equations run in ODE blocks (DSL.md §4.3: increments
  of one block from the values at block entry), explicit Euler ``x + dt*f`` or exponential Euler
  ``x + (1 - exp(-dt/tau))*(S - x)`` (DSL.md §9.1, §9.5); while not active, every variable except
  ``g_*`` keeps its value, and ``refractory_left`` counts down;
* a ``g_*`` without equation is set to 0 after the equations (DSL.md §10.2);
* an active neuron whose spike condition holds runs its reset and becomes refractory for
  ``int(tau_refrac/dt)`` steps, the attribute read at the spike (SEMANTICS.md §6.2).

The initial values are written from the constructor arguments of MODELS.md, not read from nnc.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pytest

import nnc as ann

State = dict[str, np.ndarray]
Params = dict[str, np.ndarray]

#: Senders: spike when ``modulo(t, period)`` is 0 (DSL.md §6: C ``%`` on truncated values).
SENDER = ann.Neuron(parameters="period = 7", equations="v = t", spike="modulo(t, period) == 0")
PERIODS = np.array([7, 11, 13])


def expo(x: np.ndarray, tau: np.ndarray, s: np.ndarray | float, dt: float) -> np.ndarray:
    """Exponential Euler (DSL.md §9.5)."""
    return x + (1.0 - np.exp(-dt / tau)) * (s - x)


def keep(active: np.ndarray, new: np.ndarray, old: np.ndarray) -> np.ndarray:
    """A frozen variable keeps its value while the neuron is refractory (SEMANTICS.md §6.2)."""
    return np.where(active, new, old)


# --------------------------------------------------------------------------------------------------
# the models, one function per MODELS.md section: (state, parameters, active, dt, drawn values of step k)

Step = Callable[[State, Params, np.ndarray, float, dict[str, np.ndarray]], None]


def izhikevich(s: State, p: Params, active: np.ndarray, dt: float, drawn: dict[str, np.ndarray]) -> None:
    """§2.1: I (noise 0), then the explicit block {v, u}; g_exc/g_inh have no equation."""
    v, u = s["v"], s["u"]
    s["I"] = keep(active, s["g_exc"] - s["g_inh"] + p["i_offset"], s["I"])
    v_new = v + dt * (0.04 * v**2 + 5.0 * v + 140.0 - u + s["I"])
    u_new = u + dt * (p["a"] * (p["b"] * v - u))
    s["v"], s["u"] = keep(active, v_new, v), keep(active, u_new, u)
    s["g_exc"], s["g_inh"] = np.zeros_like(v), np.zeros_like(v)


def _decay_exp(s: State, p: Params, dt: float) -> tuple[np.ndarray, np.ndarray]:
    return expo(s["g_exc"], p["tau_syn_E"], 0.0, dt), expo(s["g_inh"], p["tau_syn_I"], 0.0, dt)


def if_curr_exp(s: State, p: Params, active: np.ndarray, dt: float, drawn: dict[str, np.ndarray]) -> None:
    """§2.2: one exponential block {v, g_exc, g_inh}."""
    gl = p["cm"] / p["tau_m"]
    v_new = expo(s["v"], p["cm"] / gl, (gl * p["v_rest"] + s["g_exc"] - s["g_inh"] + p["i_offset"]) / gl, dt)
    s["g_exc"], s["g_inh"] = _decay_exp(s, p, dt)
    s["v"] = keep(active, v_new, s["v"])


def _cond_membrane(s: State, p: Params, ge: np.ndarray, gi: np.ndarray, dt: float) -> np.ndarray:
    """``cm dv/dt = cm/tau_m (v_rest - v) + ge (E_E - v) + gi (E_I - v) + i_offset``, exponential."""
    gl = p["cm"] / p["tau_m"]
    b = gl + ge + gi
    steady = (gl * p["v_rest"] + ge * p["e_rev_E"] + gi * p["e_rev_I"] + p["i_offset"]) / b
    return expo(s["v"], p["cm"] / b, steady, dt)


def if_cond_exp(s: State, p: Params, active: np.ndarray, dt: float, drawn: dict[str, np.ndarray]) -> None:
    """§2.3: one exponential block {v, g_exc, g_inh}."""
    v_new = _cond_membrane(s, p, s["g_exc"], s["g_inh"], dt)
    s["g_exc"], s["g_inh"] = _decay_exp(s, p, dt)
    s["v"] = keep(active, v_new, s["v"])


def _gmax(s: State, p: Params, active: np.ndarray, dt: float) -> None:
    for g, tau in (("gmax_exc", p["tau_syn_E"]), ("gmax_inh", p["tau_syn_I"])):
        s[g] = keep(active, np.exp((tau - dt / 2.0) / tau), s[g])


def _alpha(s: State, p: Params, active: np.ndarray, dt: float) -> tuple[np.ndarray, np.ndarray]:
    """New alpha_exc/alpha_inh from the old g (same block); alpha_* are frozen (not ``g_`` names)."""
    ae = expo(s["alpha_exc"], p["tau_syn_E"], s["gmax_exc"] * s["g_exc"], dt)
    ai = expo(s["alpha_inh"], p["tau_syn_I"], s["gmax_inh"] * s["g_inh"], dt)
    return keep(active, ae, s["alpha_exc"]), keep(active, ai, s["alpha_inh"])


def if_curr_alpha(s: State, p: Params, active: np.ndarray, dt: float, drawn: dict[str, np.ndarray]) -> None:
    """§2.4: gmax_*, then one exponential block {v, g_exc, g_inh, alpha_exc, alpha_inh}."""
    _gmax(s, p, active, dt)
    gl = p["cm"] / p["tau_m"]
    steady = (gl * p["v_rest"] + s["alpha_exc"] - s["alpha_inh"] + p["i_offset"]) / gl
    v_new = expo(s["v"], p["cm"] / gl, steady, dt)
    alphas = _alpha(s, p, active, dt)
    s["g_exc"], s["g_inh"] = _decay_exp(s, p, dt)
    s["alpha_exc"], s["alpha_inh"] = alphas
    s["v"] = keep(active, v_new, s["v"])


def if_cond_alpha(s: State, p: Params, active: np.ndarray, dt: float, drawn: dict[str, np.ndarray]) -> None:
    """§2.5: as §2.4 with conductances alpha_* in the membrane equation."""
    _gmax(s, p, active, dt)
    v_new = _cond_membrane(s, p, s["alpha_exc"], s["alpha_inh"], dt)
    alphas = _alpha(s, p, active, dt)
    s["g_exc"], s["g_inh"] = _decay_exp(s, p, dt)
    s["alpha_exc"], s["alpha_inh"] = alphas
    s["v"] = keep(active, v_new, s["v"])


def _eif_block(s: State, p: Params, active: np.ndarray, dt: float) -> None:
    """Explicit v and w from the old values (``w`` is the adaptation current)."""
    v, w = s["v"], s["w"]
    dv = ((p["v_rest"] - v + p["delta_T"] * np.exp((v - p["v_thresh"]) / p["delta_T"]))
          + p["tau_m"] / p["cm"] * (s["I"] - w)) / p["tau_m"]  # fmt: skip
    dw = (p["a"] * (v - p["v_rest"]) / 1000.0 - w) / p["tau_w"]
    s["v"], s["w"] = keep(active, v + dt * dv, v), keep(active, w + dt * dw, w)


def eif_cond_exp(s: State, p: Params, active: np.ndarray, dt: float, drawn: dict[str, np.ndarray]) -> None:
    """§2.6: I, then one block {v, w (explicit), g_exc, g_inh (exponential)}."""
    current = s["g_exc"] * (p["e_rev_E"] - s["v"]) + s["g_inh"] * (p["e_rev_I"] - s["v"]) + p["i_offset"]
    s["I"] = keep(active, current, s["I"])
    g = _decay_exp(s, p, dt)
    _eif_block(s, p, active, dt)
    s["g_exc"], s["g_inh"] = g


def eif_cond_alpha(s: State, p: Params, active: np.ndarray, dt: float, drawn: dict[str, np.ndarray]) -> None:
    """§2.7: gmax_*, I from alpha_*, then one block {v, w, g_exc, g_inh, alpha_exc, alpha_inh}."""
    _gmax(s, p, active, dt)
    current = (
        s["alpha_exc"] * (p["e_rev_E"] - s["v"]) + s["alpha_inh"] * (p["e_rev_I"] - s["v"]) + p["i_offset"]
    )
    s["I"] = keep(active, current, s["I"])
    alphas = _alpha(s, p, active, dt)
    g = _decay_exp(s, p, dt)
    _eif_block(s, p, active, dt)
    s["g_exc"], s["g_inh"] = g
    s["alpha_exc"], s["alpha_inh"] = alphas


def _hh_rates(v: np.ndarray, off: np.ndarray) -> dict[str, np.ndarray]:
    return {
        "an": 0.032 * (15.0 - v + off) / (np.exp((15.0 - v + off) / 5.0) - 1.0),
        "am": 0.32 * (13.0 - v + off) / (np.exp((13.0 - v + off) / 4.0) - 1.0),
        "ah": 0.128 * np.exp((17.0 - v + off) / 18.0),
        "bn": 0.5 * np.exp((10.0 - v + off) / 40.0),
        "bm": 0.28 * (v - off - 40.0) / (np.exp((v - off - 40.0) / 5.0) - 1.0),
        "bh": 4.0 / (1.0 + np.exp(10.0 - v + off)),
    }


def hh_cond_exp(s: State, p: Params, active: np.ndarray, dt: float, drawn: dict[str, np.ndarray]) -> None:
    """§2.8: prev_v and the rates, then one exponential block {n, m, h, v, g_exc, g_inh}."""
    s["prev_v"] = s["v"].copy()
    s.update(_hh_rates(s["v"], p["v_offset"]))
    new = {
        x: expo(s[x], 1.0 / (s["a" + x] + s["b" + x]), s["a" + x] / (s["a" + x] + s["b" + x]), dt)
        for x in "nmh"
    }
    g_k, g_na = p["gbar_K"] * s["n"] ** 4, p["gbar_Na"] * s["m"] ** 3 * s["h"]
    b = p["gleak"] + g_k + g_na + s["g_exc"] + s["g_inh"]
    drive = (p["gleak"] * p["e_rev_leak"] + g_k * p["e_rev_K"] + g_na * p["e_rev_Na"]
             + s["g_exc"] * p["e_rev_E"] + s["g_inh"] * p["e_rev_I"] + p["i_offset"])  # fmt: skip
    new["v"] = expo(s["v"], p["cm"] / b, drive / b, dt)
    s["g_exc"], s["g_inh"] = _decay_exp(s, p, dt)
    s.update(new)


def _gif_common(s: State, p: Params, active: np.ndarray, dt: float, drawn: dict[str, np.ndarray]) -> None:
    """§2.9: explicit block {u, v}, then Lambda and the drawn p (taken from nnc's record)."""
    u, v = s["u"], s["v"]
    du = (-u + p["u_r"] + p["R"] * p["I_ext"] + p["R"] * (s["g_exc"] - s["g_inh"])) / p["tau_m"]
    dv = -(v - p["u_th"]) / p["tau_v"]
    s["u"], s["v"] = keep(active, u + dt * du, u), keep(active, v + dt * dv, v)
    s["Lambda"] = keep(active, p["c"] * np.exp((s["u"] - s["v"]) / p["delta_u"]), s["Lambda"])
    s["p"] = keep(active, drawn["p"], s["p"])


def gif_curr(s: State, p: Params, active: np.ndarray, dt: float, drawn: dict[str, np.ndarray]) -> None:
    """§2.9; g_exc/g_inh have no equation."""
    _gif_common(s, p, active, dt, drawn)
    s["g_exc"], s["g_inh"] = np.zeros_like(s["u"]), np.zeros_like(s["u"])


def gif_curr_exp(s: State, p: Params, active: np.ndarray, dt: float, drawn: dict[str, np.ndarray]) -> None:
    """§2.10: a second explicit block {g_exc, g_inh} after Lambda and p."""
    _gif_common(s, p, active, dt, drawn)
    ge, gi = s["g_exc"], s["g_inh"]
    s["g_exc"], s["g_inh"] = ge + dt * (-ge / p["tau_g_exc"]), gi + dt * (-gi / p["tau_g_inh"])


# --------------------------------------------------------------------------------------------------
# spike conditions and resets


def _above(var: str, threshold: str) -> Callable[[State, Params], np.ndarray]:
    return lambda s, p: s[var] > p[threshold]


def _reset(**updates: Callable[[State, Params], np.ndarray]) -> Callable[[State, Params, np.ndarray], None]:
    def reset(s: State, p: Params, fired: np.ndarray) -> None:
        for var, value in updates.items():  # in order, each seeing the previous ones
            s[var] = np.where(fired, value(s, p), s[var])

    return reset


V_RESET = _reset(v=lambda s, p: p["v_reset"])
IZH_RESET = _reset(v=lambda s, p: p["c"], u=lambda s, p: s["u"] + p["d"])
EIF_RESET = _reset(v=lambda s, p: p["v_reset"], w=lambda s, p: s["w"] + p["b"])
GIF_RESET = _reset(u=lambda s, p: p["u_r"], v=lambda s, p: s["v"] + p["J_v"] / p["tau_v"])


def _hh_spike(s: State, p: Params) -> np.ndarray:
    return (s["v"] > p["v_thresh"]) & (s["prev_v"] <= p["v_thresh"])


def _gif_spike(s: State, p: Params) -> np.ndarray:
    return s["p"] < s["Lambda"]


# --------------------------------------------------------------------------------------------------
# the cases


@dataclass(frozen=True)
class Case:
    """One built-in neuron: its nnc model, the reference step and what to set and record.

    ``init`` are the initial values of MODELS.md for the constructor arguments used (variables not
    listed start at 0); ``values`` are assigned to the population before compile (per neuron);
    ``refractory`` is the attribute holding ms, a number of ms, or None; ``weights`` scale the senders'
    weights onto ``exc`` and ``inh``; ``drawn`` are random variables taken from nnc's record.
    """

    neuron: ann.Neuron
    step: Step
    spike: Callable[[State, Params], np.ndarray]
    reset: Callable[[State, Params, np.ndarray], None]
    init: dict[str, float]
    record: tuple[str, ...]
    values: dict[str, list[float]] = field(default_factory=dict)
    refractory: str | float | None = "tau_refrac"
    weights: tuple[float, float] = (1.0, 1.0)
    dt: float = 1.0
    steps: int = 300
    drawn: tuple[str, ...] = ()


#: Every variable of the models above (those a model does not have stay unused).
VARIABLES = (
    "v", "u", "w", "I", "g_exc", "g_inh", "gmax_exc", "gmax_inh", "alpha_exc", "alpha_inh", "prev_v",
    "n", "m", "h", "Lambda", "p",
)  # fmt: skip
IF_RECORD = ("v", "g_exc", "g_inh")
ALPHA_RECORD = ("v", "g_exc", "g_inh", "gmax_exc", "alpha_exc", "alpha_inh")
CASES = {
    "Izhikevich": Case(
        ann.Izhikevich(a=0.02, b=0.2, c=-60.0, d=6.0, tau_refrac=0.0),
        izhikevich, _above("v", "v_thresh"), IZH_RESET, {"v": -60.0, "u": -12.0}, ("v", "u", "I", "g_exc"),
        {"i_offset": [5.0, 10.0, 14.0], "tau_refrac": [0.0, 2.0, 3.6], "d": [6.0, 8.0, 2.0]},
        weights=(6.0, 3.0), dt=0.5,
    ),
    "IF_curr_exp": Case(
        ann.IF_curr_exp(tau_m=15.0, v_reset=-68.0),
        if_curr_exp, _above("v", "v_thresh"), V_RESET, {"v": -68.0}, IF_RECORD,
        {"i_offset": [0.5, 0.8, 1.2], "tau_refrac": [0.0, 2.0, 5.5], "tau_syn_I": [5.0, 3.0, 8.0]},
        weights=(1.5, 0.8),
    ),
    "IF_cond_exp": Case(
        ann.IF_cond_exp(), if_cond_exp, _above("v", "v_thresh"), V_RESET, {"v": -65.0}, IF_RECORD,
        {"i_offset": [0.6, 0.8, 1.1], "tau_refrac": [1.0, 0.0, 3.0], "e_rev_I": [-70.0, -80.0, -75.0]},
        weights=(0.04, 0.03),
    ),
    "IF_curr_alpha": Case(
        ann.IF_curr_alpha(tau_syn_E=2.0), if_curr_alpha, _above("v", "v_thresh"), V_RESET, {"v": -65.0},
        ALPHA_RECORD, {"i_offset": [0.6, 0.8, 1.1], "tau_refrac": [2.0, 0.0, 4.0]}, weights=(1.5, 0.8),
        dt=0.25,
    ),
    "IF_cond_alpha": Case(
        ann.IF_cond_alpha(), if_cond_alpha, _above("v", "v_thresh"), V_RESET, {"v": -65.0}, ALPHA_RECORD,
        {"i_offset": [0.6, 0.8, 1.1], "tau_refrac": [2.0, 0.0, 4.0]}, weights=(0.06, 0.04),
    ),
    "EIF_cond_exp_isfa_ista": Case(
        ann.EIF_cond_exp_isfa_ista(), eif_cond_exp, _above("v", "v_spike"), EIF_RESET, {"v": -70.6},
        ("v", "w", "I", "g_exc", "g_inh"),
        {"i_offset": [0.6, 0.9, 1.3], "tau_refrac": [0.1, 0.3, 1.05]}, weights=(0.02, 0.01), dt=0.1,
    ),
    "EIF_cond_alpha_isfa_ista": Case(
        ann.EIF_cond_alpha_isfa_ista(), eif_cond_alpha, _above("v", "v_spike"), EIF_RESET, {"v": -70.6},
        ("v", "w", "I", "g_exc", "alpha_exc", "alpha_inh"),
        {"i_offset": [0.6, 0.9, 1.3], "tau_refrac": [0.1, 0.3, 1.05]}, weights=(0.02, 0.01), dt=0.1,
    ),
    "HH_cond_exp": Case(
        ann.HH_cond_exp(), hh_cond_exp, _hh_spike, _reset(), {"v": -65.0, "h": 1.0},
        ("v", "n", "m", "h", "prev_v", "g_exc", "g_inh"), {"i_offset": [3.0, 6.0, 10.0]},
        refractory=None, weights=(0.3, 0.05), dt=0.1, steps=400,
    ),
    "GIF_curr": Case(
        ann.GIF_curr(c=30.0, refractory_period=2.0), gif_curr, _gif_spike, GIF_RESET,
        {"u": -65.0, "v": -50.0}, ("u", "v", "Lambda", "p", "g_exc"), refractory=2.0, weights=(40.0, 20.0),
        drawn=("p",),
    ),
    "GIF_curr_exp": Case(
        ann.GIF_curr_exp(c=30.0, I_ext=300.0, tau_g_inh=8.0), gif_curr_exp, _gif_spike, GIF_RESET,
        {"u": -65.0, "v": -50.0}, ("u", "v", "Lambda", "p", "g_exc", "g_inh"), refractory=0.0,
        weights=(15.0, 10.0), drawn=("p",),
    ),
}  # fmt: skip


# --------------------------------------------------------------------------------------------------
# nnc and the reference


def sender_weights(case: Case, n: int) -> tuple[np.ndarray, np.ndarray]:
    """``(post, pre)`` weight matrices of the exc / inh projections (fixed numbers)."""
    rng = np.random.default_rng(0)
    shape = (n, len(PERIODS))
    return case.weights[0] * rng.uniform(0.5, 1.5, shape), case.weights[1] * rng.uniform(0.5, 1.5, shape)


def run_nnc(make_net, case: Case, n: int, driven: bool) -> tuple[dict[str, np.ndarray], Params]:
    """Record every variable of ``case.record`` and the spikes; return them and the parameter values."""
    net = make_net(dt=case.dt)
    post = net.create(n, case.neuron)
    if driven:
        pre = net.create(len(PERIODS), SENDER)
        pre.period = PERIODS.astype(float)
        w_exc, w_inh = sender_weights(case, n)
        net.connect(pre, post, "exc").from_matrix(w_exc)
        net.connect(pre, post, "inh").from_matrix(w_inh)
    for name, value in case.values.items():
        setattr(post, name, value)
    m = net.monitor(post, [*case.record, "spike"])
    net.compile()
    net.simulate(case.steps * case.dt)
    params = {name: np.broadcast_to(np.asarray(post.get(name), float), (n,)) for name in post.parameters}
    return m.get(), params


def sender_spikes(k: int, dt: float) -> np.ndarray:
    """Ranks of the senders that spike at step ``k``: ``trunc(t) % period == 0`` with ``t = k*dt``."""
    return np.flatnonzero(np.trunc(k * dt) % PERIODS == 0)


def run_reference(case: Case, n: int, driven: bool, params: Params, drawn: dict[str, np.ndarray]) -> dict:
    """The reference simulation of SEMANTICS.md §2 for ``case`` (module docstring)."""
    s: State = {v: np.full(n, case.init.get(v, 0.0)) for v in VARIABLES}
    w_exc, w_inh = sender_weights(case, n) if driven else (np.zeros((n, 0)), np.zeros((n, 0)))
    left = np.zeros(n, dtype=int)
    trace = {v: np.empty((case.steps, n)) for v in case.record}
    spikes: dict[int, list[int]] = {i: [] for i in range(n)}
    for k in range(case.steps):
        for j in sender_spikes(k - 1, case.dt) if driven and k > 0 else ():
            s["g_exc"], s["g_inh"] = s["g_exc"] + w_exc[:, j], s["g_inh"] + w_inh[:, j]
        inputs = {v: s[v].copy() for v in case.record if v.startswith("g_")}  # phase 3
        active = left <= 0
        case.step(s, params, active, case.dt, {v: drawn[v][k] for v in case.drawn})
        left[~active] -= 1
        fired = active & case.spike(s, params)
        case.reset(s, params, fired)
        left[fired] = _refractory_steps(case, params, fired)
        for i in np.flatnonzero(fired):
            spikes[int(i)].append(k)
        for v in case.record:
            trace[v][k] = inputs.get(v, s[v])
    return {**trace, "spike": spikes}


def _refractory_steps(case: Case, params: Params, fired: np.ndarray) -> np.ndarray:
    if case.refractory is None:
        return np.zeros(int(fired.sum()), dtype=int)
    ms = params[case.refractory] if isinstance(case.refractory, str) else np.full(len(fired), case.refractory)
    return np.array([int(x / case.dt) for x in ms[fired]], dtype=int)


@pytest.mark.parametrize("driven", [False, True], ids=["current", "spikes"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_builtin_neuron_follows_its_formulas(make_net, name: str, driven: bool) -> None:
    case = CASES[name]
    n = 3 if not case.drawn else 5
    got, params = run_nnc(make_net, case, n, driven)
    want = run_reference(case, n, driven, params, {v: got[v] for v in case.drawn})
    assert got["spike"] == want["spike"]
    assert sum(map(len, want["spike"].values())) > 0, "the case should make the neurons spike"
    for v in case.record:
        np.testing.assert_allclose(got[v], want[v], rtol=1e-12, atol=1e-12, err_msg=f"{name}: {v}")
