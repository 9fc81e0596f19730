"""End-to-end acceptance tests: SEMANTICS.md §19 rate-coded examples and analytic solutions.

Every expected value is either the table of SEMANTICS.md §19 or derived in the test (closed forms).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import nnc as ann


def _run(
    make_net, neuron: ann.Neuron, steps: int, variables: list[str], size: int = 1, **setup: object
) -> dict:
    net = make_net()
    pop = net.create(size, neuron)
    for name, value in setup.items():
        setattr(pop, name, value)
    m = net.monitor(pop, variables)
    net.compile()
    net.simulate(steps)
    return m.get(variables, reshape=False)  # type: ignore[return-value]


def test_issue_leaky_integrator_field(make_net) -> None:
    """The example of the issue: explicit Euler of tau*dv/dt + v = I from v = 0, dt = 0.1."""
    net = make_net(dt=0.1, seed=42)
    li = ann.Neuron(
        parameters=dict(tau=10.0, I=1.0), equations=["tau * dv/dt + v = I : init=0.0", "r = pos(v)"]
    )
    pop = net.create((10, 10), li, name="field")
    m = net.monitor(pop, ["v", "r"])
    net.compile()
    net.simulate(100.0)
    v = m.get("v")
    assert v.shape == (1000, 10, 10)
    n = np.arange(1, 1001)  # sample s holds v after s + 1 Euler steps
    euler = 1.0 - (1.0 - 0.1 / 10.0) ** n
    np.testing.assert_allclose(v[:, 3, 7], euler, rtol=0, atol=1e-12)
    analytic = 1.0 - np.exp(-n * 0.1 / 10.0)
    # with h = dt/tau: e^(-nh) - (1-h)^n = e^(-nh)(1 - e^(-n(-log(1-h) - h))) <= n e^(-nh) (-log(1-h) - h)
    # and n e^(-nh) <= 1/(e h): Euler's global error is at most (-log(1-h) - h)/(e h) (about h/(2e))
    h = 0.1 / 10.0
    assert np.max(np.abs(v[:, 0, 0] - analytic)) <= (-math.log1p(-h) - h) / (math.e * h)
    np.testing.assert_array_equal(pop.r, pop.v)


def test_exponential_method_is_exact_for_constant_input(make_net) -> None:
    li = ann.Neuron(
        parameters=dict(tau=10.0, I=1.0), equations=["tau * dv/dt + v = I : exponential", "r = v"]
    )
    data = _run(make_net, li, 50, ["v"])
    t = np.arange(1, 51) * 1.0
    np.testing.assert_allclose(data["v"][:, 0], 1.0 - np.exp(-t / 10.0), rtol=1e-12, atol=1e-14)


def test_example15_global_operations(make_net) -> None:
    neuron = ann.Neuron(
        parameters="r = 0.0",
        equations=[
            "mean_r = mean(r) : population",
            "max_r = max(r) : population",
            "min_r = min(r) : population",
            "l1 = norm1(r) : population",
            "l2 = norm2(r) : population",
        ],
    )
    net = make_net()
    pop = net.create(6, neuron)
    pop.r = [2.0, 1.0, 0.0, -5.0, -3.0, -1.0]
    net.compile()
    net.simulate(2)
    assert pop.mean_r == -1.0
    assert (pop.max_r, pop.min_r, pop.l1) == (2.0, -5.0, 12.0)
    assert pop.l2 == pytest.approx(math.sqrt(40.0), rel=1e-15)


def test_example16_modulo(make_net) -> None:
    data = _run(make_net, ann.Neuron(equations="r = modulo(t, 3)"), 7, ["r"])
    np.testing.assert_array_equal(data["r"][:, 0], [0, 1, 2, 0, 1, 2, 0])


def test_example17_power_and_clip(make_net) -> None:
    neuron = ann.Neuron(
        equations=[
            "r = power(2.0, 3)",
            "a = clip(-2.0, -1.0, 1.0)",
            "b = clip(0.0, -1.0, 1.0)",
            "c = clip(2, -1, 1)",
        ]
    )
    data = _run(make_net, neuron, 1, ["r", "a", "b", "c"])
    assert [float(data[k][0, 0]) for k in ("r", "a", "b", "c")] == [8.0, -1.0, 0.0, 1.0]


@pytest.mark.parametrize("equation", ["dr/dt = if t > 5: 1 else: 0", "dr/dt = ite(t > 5, 1, 0)"])
def test_example18_conditional_ode(make_net, equation: str) -> None:
    net = make_net()
    pop = net.create(1, ann.Neuron(equations=equation))
    net.compile()
    net.simulate(10)
    assert pop.r[0] == 4.0


def test_example19_nested_conditional(make_net) -> None:
    neuron = ann.Neuron(equations="r = if (t <= 5): 0 else: if (t >= 7): 2 else: 1")
    data = _run(make_net, neuron, 10, ["r"])
    np.testing.assert_array_equal(data["r"][:, 0], [0, 0, 0, 0, 0, 0, 1, 2, 2, 2])


def test_example20_bounds_from_global_parameters(make_net) -> None:
    neuron = ann.Neuron(parameters=dict(min_r=1.0, max_r=3.0), equations="r = t : min=min_r, max=max_r")
    data = _run(make_net, neuron, 5, ["r"])
    np.testing.assert_array_equal(data["r"][:, 0], [1, 1, 2, 3, 3])


def test_example21_global_parameter(make_net) -> None:
    net = make_net()
    pop = net.create(3, ann.Neuron(parameters=dict(glob_par=1.0), equations="r = t + glob_par"))
    net.compile()
    net.simulate(5)
    np.testing.assert_array_equal(pop.r, [5.0, 5.0, 5.0])


def test_constants_in_equations_and_set_after_compile(make_net) -> None:
    net = make_net()
    c = net.constant("gain", 2.0)
    pop = net.create(2, ann.Neuron(equations="r = gain * t"))
    net.compile()
    net.simulate(3)
    np.testing.assert_array_equal(pop.r, [4.0, 4.0])
    c.set(10.0)
    net.step()
    np.testing.assert_array_equal(pop.r, [30.0, 30.0])


def test_global_constant_reaches_networks_created_afterwards(make_net) -> None:
    c = ann.Constant("scale_c", 3.0)
    net = make_net()
    pop = net.create(1, ann.Neuron(equations="r = scale_c"))
    net.compile()
    net.step()
    assert pop.r[0] == 3.0
    c.set(5.0)
    net.step()
    assert pop.r[0] == 5.0
    net.get_constant("scale_c").set(7.0)
    net.step()
    assert pop.r[0] == 7.0
    assert c.value == 5.0


def test_global_function(make_net) -> None:
    ann.add_function("double_it(x) = 2 * x")
    net = make_net()
    pop = net.create(1, ann.Neuron(equations="r = double_it(t)"))
    net.compile()
    net.simulate(4)
    assert pop.r[0] == 6.0
    assert ann.functions("double_it", net)([1.0, 2.5]) == [2.0, 5.0]


def test_random_numbers_follow_the_seed_and_reset(make_net) -> None:
    neuron = ann.Neuron(equations="r = Uniform(0.0, 1.0)")

    def run(seed: int) -> tuple[np.ndarray, np.ndarray]:
        net = make_net(seed=seed)
        m = net.monitor(net.create(20, neuron), "r")
        net.compile()
        net.simulate(5)
        first = m.get("r")
        net.reset()
        net.simulate(5)
        return first, m.get("r")

    a1, a2 = run(7)
    b1, _ = run(7)
    c1, _ = run(8)
    np.testing.assert_array_equal(a1, b1)
    np.testing.assert_array_equal(a1, a2)
    assert not np.array_equal(a1, c1)
    assert np.all((a1 >= 0.0) & (a1 < 1.0))
    assert len(np.unique(a1)) == a1.size


def test_float32_precision(make_net) -> None:
    net = make_net(dt=0.1)
    net.config(dtype=ann.float32)
    pop = net.create(1, ann.Neuron(parameters=dict(tau=10.0), equations="tau * dr/dt + r = 1.0"))
    net.compile()
    net.simulate(10.0)
    expected = np.float32(0.0)
    for _ in range(100):
        expected = np.float32(expected + np.float32(0.1) * (np.float32(1.0) - expected) / np.float32(10.0))
    assert pop.r[0] == pytest.approx(float(expected), rel=1e-5)
