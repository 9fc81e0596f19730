"""Numerics of the discretised updates, run by the interpreter: analytic solutions, orders, DSL.md §4.3."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from ir.irkit import attrs, buffers, module, neuron, state

from nnc.backend.interp.engine import InterpEngine
from nnc.ir.types import Method
from nnc.passes.bounds import Bounds
from nnc.passes.discretise import Discretise
from nnc.passes.pipeline import run_pipeline
from nnc.passes.simplify import Simplify

PASSES = (Discretise(), Simplify(), Bounds())


def simulate(
    equations: list[str],
    spec: str,
    values: dict[str, object],
    steps: int,
    dt: float = 1.0,
    record: tuple[str, ...] = ("v",),
    size: int = 1,
) -> dict[str, np.ndarray]:
    """Run a one-population module; return each recorded variable after every step (rows = steps)."""
    m = run_pipeline(module([(neuron("n", attrs(spec), equations), size)], dt=dt), PASSES)
    b = buffers(m)
    for name, v in values.items():
        state(b, name)[:] = v
    engine = InterpEngine(m)
    out: dict[str, list[np.ndarray]] = {r: [] for r in record}
    for _ in range(steps):
        engine.run(b, 1)
        for r in record:
            out[r].append(state(b, r).copy())
    return {r: np.array(v) for r, v in out.items()}


RELAX = "p tau g, p I g, v v l"
#: amplification factor of one step of each method on tau·dv/dt + v = I, with h = dt/tau (hand-derived:
#: Euler 1 - h; midpoint/RK4 the Taylor polynomials of exp(-h) of degree 2/4; backward Euler and the
#: semi-implicit update x + h/(h+1)·(S - x) both 1/(1+h); exponential Euler exactly exp(-h)).
FACTOR = {
    "explicit": lambda h: 1 - h,
    "midpoint": lambda h: 1 - h + h**2 / 2,
    "rk4": lambda h: 1 - h + h**2 / 2 - h**3 / 6 + h**4 / 24,
    "implicit": lambda h: 1 / (1 + h),
    "semiimplicit": lambda h: 1 / (1 + h),
    "exponential": lambda h: np.exp(-h),
}
#: bound of |v_n - v(t_n)| for v0 - I = -1, tau = 10, dt = 0.5, 40 steps (global error of each order)
BOUND = {
    "explicit": 2e-2,
    "midpoint": 1e-3,
    "rk4": 1e-6,
    "implicit": 2e-2,
    "semiimplicit": 2e-2,
    "exponential": 1e-13,
}


@pytest.mark.parametrize("method", list(FACTOR))
def test_exponential_relaxation(method: str):
    tau, inp, dt, n = 10.0, 1.0, 0.5, 40
    v = simulate([f"tau*dv/dt + v = I : {method}"], RELAX, {"tau": tau, "I": inp}, n, dt)["v"][:, 0]
    k = np.arange(1, n + 1)
    own = inp - inp * FACTOR[method](dt / tau) ** k
    np.testing.assert_allclose(v, own, rtol=1e-12, atol=1e-14)
    exact = inp - inp * np.exp(-k * dt / tau)
    assert np.max(np.abs(v - exact)) < BOUND[method]


@pytest.mark.parametrize(("method", "order"), [("explicit", 1), ("midpoint", 2), ("rk4", 4)])
def test_convergence_order(method: str, order: int):
    """Error at t = 20 shrinks by 2^order when dt halves (a non-linear ODE: dv/dt = -v²/tau + I)."""
    spec = "p tau g, p I g, v v l"

    def error(dt: float) -> float:
        n = round(20.0 / dt)
        v = simulate([f"tau*dv/dt = -v*v + I : {method}"], spec, {"tau": 10.0, "I": 1.0}, n, dt)["v"]
        exact = np.tanh(20.0 / 10.0)  # v' = (1 - v²)/10, v(0) = 0
        return abs(v[-1, 0] - exact)

    ratio = error(0.5) / error(0.25)
    assert 2**order * 0.85 < ratio < 2**order * 1.15


def test_ode_blocks_use_old_values_and_assignments_run_in_sequence():
    """DSL.md §4.3 example: block {u}, statement I, block {k, v}."""
    spec = "p tau g, p ge l, p gi l, v u l, v I l, v k l, v v l"
    eqs = ["tau*du/dt = v - u", "I = ge - gi", "tau*dk/dt = v - k", "tau*dv/dt = I - v - u + k"]
    rng = np.random.default_rng(1)
    start = {n: rng.normal(size=4) for n in ("ge", "gi", "u", "I", "k", "v")}
    got = simulate(eqs, spec, {"tau": 3.0, **start}, 1, record=("u", "I", "k", "v"), size=4)
    tau, dt = 3.0, 1.0
    u = start["u"] + dt * (start["v"] - start["u"]) / tau
    inp = start["ge"] - start["gi"]
    k = start["k"] + dt * (start["v"] - start["k"]) / tau
    v = start["v"] + dt * (inp - start["v"] - u + start["k"]) / tau
    for name, want in (("u", u), ("I", inp), ("k", k), ("v", v)):
        np.testing.assert_allclose(got[name][0], want, rtol=1e-14)


def test_global_equations_run_before_local_ones():
    spec = "p tau g, v gt g, v v l"
    got = simulate(["v = v + gt", "gt = gt + 1.0"], spec, {"tau": 1.0, "gt": 0.0}, 3, size=2)
    np.testing.assert_array_equal(got["v"][:, 0], [1.0, 3.0, 6.0])


def test_semantics_example_23_coupled_methods_agree():
    """SEMANTICS.md §19 #23: four methods on a coupled system stay within 0.05 of their mean."""
    spec = "p tau g, p I g, v v l, v u l"
    eqs = ["tau*dv/dt = -v - u + I : {m}", "tau*du/dt = -u + I : {m}"]
    runs = []
    for method in ("explicit", "implicit", "midpoint", "exponential"):
        m = run_pipeline(module([(neuron("n", attrs(spec), [e.format(m=method) for e in eqs]), 1)]), PASSES)
        b = buffers(m)
        state(b, "tau")[:] = 10.0
        engine = InterpEngine(m)
        engine.run(b, 20)
        state(b, "I")[:] = 1.0
        trace = []
        for _ in range(80):
            engine.run(b, 1)
            trace.append(state(b, "v")[0])
        runs.append(trace)
    runs = np.array(runs)
    assert np.abs(runs).max() > 0.1  # the input did move the system
    assert np.abs(runs - runs.mean(axis=0)).max() < 0.05


def test_random_draw_is_the_same_in_every_stage():
    """An rk4 ODE with a noise term: every stage sees one draw ξ, so dv/dt = ξ integrates to v + dt·ξ."""
    pytest.importorskip("nnc.ir.rng")
    got = simulate(
        ["dv/dt = Normal(0.0, 1.0) : rk4", "r = Normal(0.0, 1.0)"],
        "v v l, v r l",
        {},
        1,
        dt=0.5,
        record=("v", "r"),
        size=64,
    )
    # the same population drawing only stream 0 gives ξ
    xi = simulate(["r = Normal(0.0, 1.0)"], "v v l, v r l", {}, 1, record=("r",), size=64)["r"][0]
    assert np.std(xi) > 0.5
    np.testing.assert_allclose(got["v"][0], 0.5 * xi, rtol=1e-12)
    assert not np.allclose(got["r"][0], xi)  # the second occurrence is an independent stream


AFFINE_FORMS = [
    "tau*dv/dt + a*v = b",
    "dv/dt = (b - a*v)/tau",
    "tau*dv/dt = b - a*v",
    "-tau*dv/dt = a*v - b",
    "dv/dt*tau + a*v - b = 0.0",
    "(tau*dv/dt + a*v)/c = b/c",
    "b = a*v + dv/dt*tau",
    "c*(dv/dt*tau - b) = -a*v*c",
]


@given(
    form=st.sampled_from(AFFINE_FORMS),
    coef=st.tuples(*(st.floats(0.5, 4.0) for _ in range(4))),
    v0=st.floats(-10.0, 10.0),
    method=st.sampled_from([Method.EXPLICIT, Method.EXPONENTIAL]),
)
def test_random_affine_odes_match_the_closed_form(form: str, coef: tuple, v0: float, method: Method):
    tau, a, b, c = coef
    spec = "p tau l, p a l, p b l, p c l, v v l"
    eq = f"{form} : {method.value}"
    v = simulate([eq], spec, {"tau": tau, "a": a, "b": b, "c": c, "v": v0}, 1, dt=0.1)["v"][0, 0]
    if method is Method.EXPLICIT:
        want = v0 + 0.1 * (b - a * v0) / tau
    else:
        want = v0 + (1 - np.exp(-0.1 * a / tau)) * (b / a - v0)
    assert v == pytest.approx(want, rel=1e-12, abs=1e-12)
