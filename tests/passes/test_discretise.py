"""Discretise pass: printed IR of each method, block ordering (DSL.md §4.3, §9) and its errors."""

from __future__ import annotations

import numpy as np
import pytest
from ir.irkit import Kit, attrs, module, neuron, synapse

from nnc.diagnostics import DslError
from nnc.ir.nodes import Const
from nnc.ir.printer import print_stmts
from nnc.ir.types import ObjKind
from nnc.ir.verify import verify
from nnc.passes.discretise import Discretise

NEURON_ATTRS = "p tau g, p I l, p a l, p b l, v v l, v u l, v k l, v r l, v g l, v gt g"


def lowered(equations: list[str], spec: str = NEURON_ATTRS, kernel: int = 0) -> str:
    m = Discretise()(module([(neuron("n", attrs(spec), equations), 3)]))
    verify(m, "discretise")
    return print_stmts(m.kernels[kernel].body)


def test_explicit_solves_for_the_derivative_keeping_the_arrangement():
    assert lowered(["tau*dv/dt + v = I : explicit"]) == (
        "for neuron:\n  let %0 = (I - v) / tau\n  v = v + dt * %0"
    )


@pytest.mark.parametrize(
    ("equation", "f"),
    [
        ("dv/dt = (I - v)/tau", "(I - v) / tau"),
        ("tau*dv/dt = I - v", "(I - v) / tau"),
        ("dv/dt*tau = I - v", "(I - v) / tau"),
        ("-tau*dv/dt = v - I", "(v - I) / -tau"),
        ("0.0 = I - v - tau*dv/dt", "(0.0 - (I - v)) / -tau"),
        ("dv/dt/tau + v = I", "(I - v) * tau"),
        ("I = tau*dv/dt + v", "(I - v) / tau"),
        ("tau*(dv/dt + v) = I", "(I - tau * v) / tau"),
        ("tau*dv/dt - I + v = 0.0", "(0.0 - (-I + v)) / tau"),
    ],
)
def test_affine_arrangements(equation: str, f: str):
    assert lowered([equation]).splitlines()[1] == f"  let %0 = {f}"


def test_derivative_on_both_sides_goes_through_sympy():
    text = lowered(["dv/dt*(tau + dv/dt) - dv/dt*dv/dt = I - v"])
    assert text.splitlines()[1] in ("  let %0 = (I - v) / tau", "  let %0 = (-v + I) / tau")


@pytest.mark.parametrize("equation", ["dv/dt * dv/dt = I", "exp(dv/dt) = I", "tau/dv/dt = I"])
def test_non_linear_derivative_is_an_error(equation: str):
    with pytest.raises(DslError, match="not linear"):
        lowered([equation])


def test_conductance_standardisation_of_dsl_9_5():
    """IF_cond_exp: cm·dv/dt = cm/tau_m·(v_rest - v) + g_exc·(E_e - v) + g_inh·(E_i - v) + i."""
    spec = "p cm l, p tau_m l, p v_rest l, p E_e l, p E_i l, p i l, v g_exc l, v g_inh l, v v l"
    eq = "cm*dv/dt = cm/tau_m*(v_rest - v) + g_exc*(E_e - v) + g_inh*(E_i - v) + i : exponential"
    b = "(cm / tau_m + g_exc + g_inh)"
    assert lowered([eq], spec).splitlines()[1:3] == [
        f"  let %0 = (cm * v_rest / tau_m + g_exc * E_e + g_inh * E_i + i) / {b}",
        f"  let %1 = 1.0 - exp(-dt / (cm / {b}))",
    ]


def test_non_polynomial_terms_stay_in_the_steady_state():
    """DSL.md §9.5: terms that are not x¹ (such as exp(x)) stay in the remainder."""
    text = lowered(["tau*dv/dt + v = exp(v) + I : exponential"])
    assert "let %1 = exp(v) + I" in text


@pytest.mark.parametrize("method", ["exponential", "semiimplicit"])
def test_standardisation_errors(method: str):
    with pytest.raises(DslError, match="reserved for linear first-order ODEs"):
        lowered([f"tau*dv/dt = v*v + I : {method}"])
    with pytest.raises(DslError, match="reserved for linear first-order ODEs"):
        lowered([f"tau*dv/dt = I : {method}"])


def test_implicit_rejects_non_linear_equations():
    with pytest.raises(DslError, match="the ODE is not linear, can not use the implicit method"):
        lowered(["tau*dv/dt = exp(v) : implicit"])


def test_block_rules_of_dsl_4_3():
    """Block {u}, statement I, block {k, v}: k sees old v, v sees new I, new u and old k."""
    assert lowered(["tau*du/dt = v - u", "g = I - a", "tau*dk/dt = v - k", "tau*dv/dt = g - v - u + k"]) == (
        "for neuron:\n"
        "  let %0 = (v - u) / tau\n"
        "  u = u + dt * %0\n"
        "  g = I - a\n"
        "  let %1 = (v - k) / tau\n"
        "  let %2 = (g - v - u + k) / tau\n"
        "  k = k + dt * %1\n"
        "  v = v + dt * %2"
    )


def test_coupled_implicit_system_is_solved_jointly():
    assert lowered(["tau*dv/dt = -v - u + I : implicit", "tau*du/dt = -u + I : implicit"]) == (
        "for neuron:\n"
        "  let %0 = (tau * u + dt * I) / (tau + dt)\n"
        "  let %1 = (tau * v + dt * I - dt * %0) / (tau + dt)\n"
        "  v = %1\n"
        "  u = %0"
    )


def test_fully_coupled_implicit_system_eliminates():
    text = lowered(["tau*dv/dt = u - v : implicit", "tau*du/dt = v - u : implicit"])
    assert text == (
        "for neuron:\n"
        "  let %0 = -dt / (tau + dt)\n"
        "  let %1 = tau + dt - %0 * -dt\n"
        "  let %2 = tau * u - %0 * (tau * v)\n"
        "  let %3 = %2 / %1\n"
        "  let %4 = (tau * v - -dt * %3) / (tau + dt)\n"
        "  v = %4\n"
        "  u = %3"
    )


def test_coupled_system_sits_at_its_first_member():
    """DSL.md §9.6: all rk4 ODEs of a neuron form one system, integrated where the first one is."""
    text = lowered(["tau*dv/dt = u - v : rk4", "r = v", "tau*du/dt = -u : rk4"])
    lines = text.splitlines()
    assert lines[1:3] == ["  let %0 = (u - v) / tau", "  let %1 = -u / tau"]
    assert lines[-3:] == [
        "  v = v + dt / 6.0 * (%0 + 2.0 * %4 + 2.0 * %8 + %12)",
        "  u = u + dt / 6.0 * (%1 + 2.0 * %5 + 2.0 * %9 + %13)",
        "  r = v",
    ]


def test_mixing_coupled_methods_is_an_error():
    with pytest.raises(DslError, match="Cannot mix different numerical methods"):
        lowered(["tau*dv/dt = u - v : rk4", "tau*du/dt = -u : midpoint"])


def test_explicit_and_exponential_are_never_coupled():
    text = lowered(["tau*dv/dt = u - v : rk4", "tau*du/dt = -u : explicit"])
    assert text.count("let") == 8


def test_event_driven_outside_events_is_an_error():
    with pytest.raises(DslError, match="only updated at spikes"):
        lowered(["tau*dv/dt = -v : event-driven"])


def test_synapse_rk4_odes_are_not_coupled_but_midpoint_ones_are():
    pre = neuron("pre", attrs("v r l"), ["r = r"])
    post = neuron("post", attrs("v r l"), ["r = r"])
    spec = attrs("p tau g, v w l, v x l")

    def lowered_syn(eqs: list[str]) -> str:
        syn = synapse("s", spec, eqs, pre, post)
        m = Discretise()(module([(pre, 2), (post, 2)], [(0, 1, "exc", syn)]))
        k = next(k for k in m.kernels if k.owner is ObjKind.PROJECTION and k.name.endswith("update"))
        return print_stmts(k.body)

    rk4 = lowered_syn(["tau*dw/dt = x - w : rk4", "tau*dx/dt = pre.r*post.r - x : rk4"])
    assert "let %4 = (x - %3) / tau" in rk4  # w's stages see x's current value
    mid = lowered_syn(["tau*dw/dt = x - w : midpoint", "tau*dx/dt = pre.r*post.r - x : midpoint"])
    assert "let %4 = (%3 - %2) / tau" in mid  # coupled: w's second stage sees x's midpoint


def test_discretise_is_identity_without_odes():
    m = module([(neuron("n", attrs(NEURON_ATTRS), ["r = v + 1.0"]), 3)])
    assert Discretise()(m) == m


def test_event_driven_update_decays_exactly():
    from nnc.ir.evaluate import evaluate
    from nnc.ir.nodes import Const, Let, Ode
    from nnc.passes.discretise_linear import event_driven_update

    kit = Kit(attrs("p tau g, p S0 g, v x l"))
    ode = kit.stmt("tau*dx/dt + x = S0")
    assert isinstance(ode, Ode)
    stmts = event_driven_update(ode, Const(4.0), lambda v: v.name == "x", lambda base: base)
    assert print_stmts(tuple(stmts)) == "x = S0 + (x - S0) * exp(-(4.0 * dt) / tau)"
    env = {"x": np.array([1.0, -2.0]), "S0": np.array(0.5), "tau": np.array(20.0)}
    got = evaluate(stmts[-1].value, env, dt=0.25)
    np.testing.assert_allclose(got, 0.5 + (env["x"] - 0.5) * np.exp(-1.0 / 20.0), rtol=1e-15)
    decay = event_driven_update(kit.stmt("tau*dx/dt = -x"), Const(2.0), lambda v: False, lambda b: b)
    assert print_stmts(tuple(decay)) == "x = x * exp(-(2.0 * dt) / tau)"
    assert not any(isinstance(s, Let) for s in decay)


def test_event_driven_steady_state_may_not_read_variables():
    from nnc.passes.discretise_linear import event_driven_update

    kit = Kit(attrs("p tau g, v y l, v x l"))
    with pytest.raises(DslError, match=r"can not depend on other variables \(y\)"):
        event_driven_update(kit.stmt("tau*dx/dt + x = y"), Const(1.0), lambda v: v.name in "xy", str)
