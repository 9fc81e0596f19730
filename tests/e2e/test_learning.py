"""Rate-coded learning rules against an independent NumPy simulation of the same network.

The expectation is a plain NumPy loop written from the documents, not from nnc code:

* MODELS.md §3.2-3.4 give the Hebb, Oja and IBCM equations; a custom rule adds a global variable using
  ``mean(post.r)``/``max(pre.r)`` and a semiglobal one reading ``post.r`` and ``mean(post.r)``;
* SEMANTICS.md §2: in step k, transmission (phase 2) reads ``pre.r`` after step k-1, the neurons update
  (phase 5), global operations are computed from the new values (phase 7), then synaptic equations run
  (phase 8) with the new ``pre.r``/``post.r``; the weight change of step k is used in step k+1;
* SEMANTICS.md §8: learning runs in step k iff ``(k - offset) % period == 0``; ``dt`` in the synaptic
  equations is ``period*dt``; global equations first, then per dendrite semiglobal then local ones;
  ``disable_learning()`` on a rate-coded projection stops phase 8;
* API.md §7.4: ``enable_learning(period, offset)`` sets the phase ``int(((time % period) + offset) %
  period / dt)`` from the network time of the call;
* DSL.md §9.1/§9.5: explicit Euler ``x += dt*f``, exponential ``x += (1 - exp(-dt/tau))*(S - x)``; bounds
  clamp right after the update.

Every test runs on both engines (the ``engine`` fixture).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nnc as ann

DT, TAU_POST = 1.0, 4.0
N_PRE, N_POST = 7, 5

INPUT = ann.Neuron(
    parameters=dict(omega=ann.Parameter(0.1, locality="local"), phase=ann.Parameter(0.0, locality="local")),
    equations=["r = 0.5 + 0.5 * sin(omega * t + phase)"],
)
OUTPUT = ann.Neuron(
    parameters=dict(tau=TAU_POST), equations=["tau * dv/dt + v = sum(exc)", "r = pos(tanh(v)) + 0.1"]
)
CUSTOM = ann.Synapse(
    parameters=dict(eta=0.4),
    equations=[
        ann.Variable("g = 1.0 + mean(post.r) + max(pre.r)", locality="global"),
        ann.Variable("s = post.r - mean(post.r)", locality="semiglobal"),
        ann.Variable("dw/dt = eta * s * (pre.r - min(pre.r)) / g", min=-0.3, max=0.6),
    ],
)


# --------------------------------------------------------------------------------------------------
# the NumPy model


@dataclass
class Model:
    """State of the NumPy simulation: weights (post x pre, NaN where no synapse) and neuron values."""

    w: np.ndarray
    omega: np.ndarray
    phase: np.ndarray
    extra: dict[str, np.ndarray | float] = field(default_factory=dict)


Rule = Callable[[Model, np.ndarray, np.ndarray, float], None]


def hebb(eta: float) -> Rule:
    """MODELS.md §3.2: dw/dt = eta * pre.r * post.r, min=0 (explicit)."""

    def update(m: Model, pre: np.ndarray, post: np.ndarray, dt: float) -> None:
        m.w = np.maximum(m.w + dt * eta * np.outer(post, pre), 0.0)

    return update


def oja(eta: float, alpha: float) -> Rule:
    """MODELS.md §3.3: dw/dt = eta * (pre.r * post.r - alpha * post.r^2 * w), min=0 (explicit)."""

    def update(m: Model, pre: np.ndarray, post: np.ndarray, dt: float) -> None:
        m.w = np.maximum(m.w + dt * eta * (np.outer(post, pre) - alpha * (post**2)[:, None] * m.w), 0.0)

    return update


def ibcm(eta: float, tau: float) -> Rule:
    """MODELS.md §3.4: theta (semiglobal, exponential) first, then w with the new theta, min=0."""

    def update(m: Model, pre: np.ndarray, post: np.ndarray, dt: float) -> None:
        theta = m.extra["theta"]
        theta = theta + (1.0 - np.exp(-dt / tau)) * (post**2 - theta)
        m.extra["theta"] = theta
        m.w = np.maximum(m.w + dt * eta * (post * (post - theta))[:, None] * pre[None, :], 0.0)

    return update


def custom(eta: float) -> Rule:
    """The CUSTOM synapse: global g, semiglobal s, bounded w; global operations over whole populations."""

    def update(m: Model, pre: np.ndarray, post: np.ndarray, dt: float) -> None:
        g = 1.0 + post.mean() + pre.max()
        s = post - post.mean()
        m.extra["g"], m.extra["s"] = g, s
        m.w = np.clip(m.w + dt * eta * s[:, None] * (pre - pre.min())[None, :] / g, -0.3, 0.6)

    return update


def simulate_numpy(m: Model, rule: Rule, steps: int, learns: Callable[[int], int]) -> np.ndarray:
    """Run ``steps`` steps; ``learns(k)`` is the period (>= 1) if the rule runs in step k, else 0.

    Returns the post rates after every step (shape (steps, N_POST)).
    """
    pre_prev = np.zeros(N_PRE)  # r of the input population before step 0 (its initial value)
    v = np.zeros(N_POST)
    rates = []
    for k in range(steps):
        t = k * DT
        summed = np.nansum(m.w * pre_prev[None, :], axis=1)  # phase 2, NaN = no synapse
        pre = 0.5 + 0.5 * np.sin(m.omega * t + m.phase)  # phase 5
        v = v + DT * (summed - v) / TAU_POST
        post = np.maximum(np.tanh(v), 0.0) + 0.1
        period = learns(k)
        if period:  # phase 8, dt replaced by period * dt
            rule(m, pre, post, period * DT)
        rates.append(post)
        pre_prev = pre
    return np.array(rates)


# --------------------------------------------------------------------------------------------------
# the nnc network


def _pattern(seed: int, low: float = 0.05) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Initial weights (NaN where there is no synapse; post 2 has none) and the input parameters."""
    rng = np.random.default_rng(seed)
    w = rng.uniform(low, 0.5, (N_POST, N_PRE))
    w[rng.random((N_POST, N_PRE)) < 0.3] = np.nan
    w[2, :] = np.nan
    return w, rng.uniform(0.05, 0.5, N_PRE), rng.uniform(0.0, 6.0, N_PRE)


def _network(make_net, synapse: ann.Synapse, seed: int, low: float = 0.05):
    w, omega, phase = _pattern(seed, low)
    net = make_net(dt=DT)
    inp = net.create(N_PRE, INPUT)
    out = net.create(N_POST, OUTPUT)
    inp.omega, inp.phase = omega, phase
    proj = net.connect(inp, out, "exc", synapse)
    proj.from_matrix([[None if np.isnan(x) else float(x) for x in row] for row in w])
    mon = net.monitor(out, "r")
    net.compile()
    return net, proj, mon, Model(w.copy(), omega, phase)


def _dense(proj) -> np.ndarray:
    """The projection's weights as a post x pre matrix, NaN where there is no synapse."""
    dense = np.full((N_POST, N_PRE), np.nan)
    for post, pres, ws in zip(proj.post_ranks, proj.pre_ranks, proj.w, strict=True):
        dense[post, pres] = ws
    return dense


def _check(proj, mon, model: Model, rates: np.ndarray) -> None:
    np.testing.assert_allclose(_dense(proj), model.w, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(mon.get("r"), rates, rtol=1e-12, atol=1e-14)


def every_step(k: int) -> int:
    return 1


RULES = {
    "hebb": (ann.Hebb(eta=0.05), hebb(0.05)),
    "oja": (ann.Oja(eta=0.1, alpha=2.0), oja(0.1, 2.0)),
    "ibcm": (ann.IBCM(eta=0.2, tau=8.0), ibcm(0.2, 8.0)),
    "custom": (CUSTOM, custom(0.4)),
}


def _initial_extra(name: str) -> dict[str, np.ndarray | float]:
    return {"theta": np.zeros(N_POST)} if name == "ibcm" else {}


# --------------------------------------------------------------------------------------------------
# tests


@pytest.mark.parametrize("name", list(RULES))
def test_rule_every_step(make_net, name: str) -> None:
    synapse, rule = RULES[name]
    net, proj, mon, model = _network(make_net, synapse, seed=1)
    model.extra = _initial_extra(name)
    net.simulate(40.0)
    _check(proj, mon, model, simulate_numpy(model, rule, 40, every_step))


@pytest.mark.parametrize("name", ["hebb", "ibcm", "custom"])
def test_rule_with_period_and_offset(make_net, name: str) -> None:
    """enable_learning(period=3, offset=1) at t = 0: updates at k = 1, 4, 7, ... with dt = 3."""
    synapse, rule = RULES[name]
    net, proj, mon, model = _network(make_net, synapse, seed=2)
    model.extra = _initial_extra(name)
    proj.enable_learning(period=3.0, offset=1.0)
    net.simulate(30.0)
    _check(proj, mon, model, simulate_numpy(model, rule, 30, lambda k: 3 if (k - 1) % 3 == 0 else 0))


def test_disable_then_enable_learning(make_net) -> None:
    """disable_learning() for steps 10-19 (no update at all), then enable_learning() every step again."""
    synapse, rule = RULES["oja"]
    net, proj, mon, model = _network(make_net, synapse, seed=3)
    net.simulate(10.0)
    proj.disable_learning()
    net.simulate(10.0)
    net.enable_learning()
    net.simulate(10.0)
    _check(proj, mon, model, simulate_numpy(model, rule, 30, lambda k: 0 if 10 <= k < 20 else 1))


def test_enable_learning_mid_run_takes_the_phase_from_the_network_time(make_net) -> None:
    """At t = 20 with period 3 and offset 1: phase ((20 % 3) + 1) % 3 = 0, so k = 21, 24, 27 (API §7.4)."""
    synapse, rule = RULES["hebb"]
    net, proj, mon, model = _network(make_net, synapse, seed=4)
    proj.disable_learning()
    net.simulate(20.0)
    proj.enable_learning(period=3.0, offset=1.0)
    net.simulate(10.0)
    _check(proj, mon, model, simulate_numpy(model, rule, 30, lambda k: 3 if k >= 20 and k % 3 == 0 else 0))


@pytest.mark.parametrize("name", ["hebb", "oja"])
def test_lower_bound_clamps_negative_initial_weights(make_net, name: str) -> None:
    """min=0.0: weights that start negative are clamped at the first update (DSL §4.2)."""
    synapse, rule = RULES[name]
    net, proj, mon, model = _network(make_net, synapse, seed=7, low=-0.5)
    negative = model.w < 0.0
    assert negative.any()
    net.step()
    _check(proj, mon, model, simulate_numpy(model, rule, 1, every_step))
    np.testing.assert_array_equal(_dense(proj)[negative], 0.0)


def test_global_and_semiglobal_values_of_the_custom_rule(make_net) -> None:
    synapse, rule = RULES["custom"]
    net, proj, mon, model = _network(make_net, synapse, seed=1)
    net.simulate(40.0)
    _check(proj, mon, model, simulate_numpy(model, rule, 40, every_step))
    assert np.nanmin(model.w) == -0.3  # both bounds were reached
    assert np.nanmax(model.w) == 0.6
    assert proj.g == pytest.approx(model.extra["g"], rel=1e-12)
    has_synapses = ~np.all(np.isnan(model.w), axis=1)
    assert list(proj.post_ranks) == list(np.flatnonzero(has_synapses))
    np.testing.assert_allclose(proj.s, model.extra["s"][has_synapses], rtol=1e-12, atol=1e-14)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    period=st.integers(1, 4),
    offset=st.integers(0, 3),
    eta=st.floats(0.01, 0.3),
    alpha=st.floats(0.5, 3.0),
)
def test_oja_for_drawn_periods_offsets_and_parameters(
    make_net, period: int, offset: int, eta: float, alpha: float
) -> None:
    offset %= period
    net, proj, mon, model = _network(make_net, ann.Oja(eta=eta, alpha=alpha), seed=6)
    proj.enable_learning(period=float(period), offset=float(offset))
    net.simulate(20.0)
    learns = lambda k: period if (k - offset) % period == 0 else 0  # noqa: E731
    _check(proj, mon, model, simulate_numpy(model, oja(eta, alpha), 20, learns))


def test_t_in_synaptic_equations_with_a_period_is_the_step_time(make_net) -> None:
    """SEMANTICS §1: every equation sees t = k*dt; only dt becomes period*dt (§8). With period 3, offset 0
    and dt = 0.5, ``w = t`` is assigned at k = 0, 3, 6, ... and holds 1.5*m after the m-th update."""
    net = make_net(dt=0.5)
    a = net.create(2, INPUT)
    b = net.create(2, OUTPUT)
    proj = net.connect(a, b, "exc", ann.Synapse(equations=["w = t", "x = dt"]))
    proj.all_to_all(weights=0.0)
    net.compile()
    proj.enable_learning(period=1.5)
    seen = []
    for _ in range(8):
        net.step()
        seen.append((proj.w[0][0], proj.x[0][0]))
    steps_done = np.arange(1, 9)
    last_update = 3 * ((steps_done - 1) // 3)  # the last k = 0, 3, 6 ... before the end of the step
    np.testing.assert_array_equal([w for w, _ in seen], last_update * 0.5)
    np.testing.assert_array_equal([x for _, x in seen], 1.5)
