"""BOLD monitoring (API.md §12, MODELS.md §4): the balloon models against SciPy, the accumulating
projections against NumPy, the monitor's options, and every engine and thread count alike."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import solve_ivp

import nnc as ann
from nnc.diagnostics import ModelError, SimulationError
from nnc.extensions import bold

Input = ann.Neuron(parameters="r = 1.0")


def _balloon_rhs(i_cbf: float, p: dict[str, float], revised: bool = True):
    """The balloon model of MODELS.md §4.1 as a continuous ODE in ms (states s, f_in, q, v)."""
    second = 1000.0

    def rhs(t: float, y: np.ndarray) -> list[float]:
        s, f, q, v = y
        e = 1 - (1 - p["E_0"]) ** (1 / f)
        f_out = v ** (1 / p["alpha"])
        return [
            (p["phi"] * i_cbf - p["kappa"] * s - p["gamma"] * (f - 1)) / second,
            s / second,
            (f * e / p["E_0"] - (q / v) * f_out) / (p["tau"] * second),
            (f - f_out) / (p["tau"] * second),
        ]

    return rhs


def _bold_of(q: np.ndarray, v: np.ndarray, p: dict[str, float]) -> np.ndarray:
    k1 = 4.3 * p["v_0"] * p["E_0"] * p["TE"]
    k2 = p["epsilon"] * p["r_0"] * p["E_0"] * p["TE"]
    k3 = 1.0 - p["epsilon"]
    return p["V_0"] * (k1 * (1 - q) + k2 * (1 - q / v) + k3 * (1 - v))


RN = dict(
    phi=1.0, kappa=1 / 1.54, gamma=1 / 2.46, E_0=0.34, tau=0.98, alpha=0.33, V_0=0.02, v_0=40.3,
    TE=0.04, epsilon=1.43, r_0=25.0,
)  # fmt: skip


def _run_balloon(dt: float, duration: float, level: float) -> np.ndarray:
    net = ann.Network(dt=dt, seed=1)
    pop = net.create(4, Input)
    pop.r = level
    m = net.boldmonitor(populations=pop, recorded_variables=["q", "v"], start=True)
    net.compile()
    net.simulate(duration)
    return np.column_stack([m.get("q")[:, 0], m.get("v")[:, 0], m.get("BOLD")[:, 0]])


def test_balloon_rn_converges_to_the_scipy_solution():
    """balloon_RN (the default) driven by a constant input of 2: q, v and BOLD converge to the solution
    of the continuous ODE (solve_ivp, DOP853) with first order in dt (explicit Euler)."""
    duration, level = 8000.0, 2.0
    rhs = _balloon_rhs(level, RN)
    errors = []
    for dt in (1.0, 0.5):
        got = _run_balloon(dt, duration, level)
        t = dt * np.arange(1, len(got) + 1)  # the monitor records the state after each step
        sol = solve_ivp(rhs, (0.0, duration), [0.0, 1.0, 1.0, 1.0], method="DOP853", t_eval=t, rtol=1e-11,
                        atol=1e-13)  # fmt: skip
        q, v = sol.y[2], sol.y[3]
        want = np.column_stack([q, v, _bold_of(q, v, RN)])
        assert np.max(np.abs(want[:, 2])) > 0.01  # the signal is well away from 0
        errors.append(np.max(np.abs(got - want), axis=0))
    assert np.all(errors[0] < 2e-3 * np.array([1.0, 1.0, 0.05]))
    ratio = errors[0] / errors[1]
    assert np.all((ratio > 1.8) & (ratio < 2.2)), ratio


def _models() -> list[object]:
    return [bold.balloon_RN, bold.balloon_RL, bold.balloon_CN, bold.balloon_CL, bold.balloon_maith2021]


@pytest.mark.parametrize("model", _models(), ids=lambda m: m.__name__)
def test_predefined_models_have_their_inputs_outputs_and_respond(model):
    net = ann.Network(dt=1.0, seed=1)
    pop = net.create(3, Input)
    m = net.boldmonitor(populations=[pop], bold_model=model, start=True)
    net.compile()
    net.simulate(2000.0)
    signal = m.get("BOLD")[:, 0]
    assert signal.shape == (2000,)
    assert np.all(np.isfinite(signal))
    assert abs(signal[-1]) > 1e-5
    assert m.population.attributes[0] in ("second", "phi", "kappa")
    assert "r" in m.population.attributes  # implicit, as in the reference


def test_balloon_rl_keeps_the_reference_equations():
    """balloon_RL integrates q and v without /second (MODELS.md §4.1): they move 1000 times faster."""
    model = bold.balloon_RL()
    assert "tau*dq/dt" in model.equations.replace(" ", "")
    assert "(f_in-f_out)/(tau*second)" not in model.equations.replace(" ", "")


def test_balloon_parameters_follow_the_constructor():
    m = bold.balloon_CN(kappa=0.5, TE=0.03)
    assert "kappa = 0.5 : population" in m.parameters
    assert "TE = 0.03 : population" in m.parameters
    assert m._inputs == ["I_CBF"]
    assert m._output == ["BOLD"]
    two = bold.balloon_two_inputs()
    assert two._inputs == ["I_CBF", "I_CMRO2"]


def test_two_inputs_model_reads_both_inputs():
    net = ann.Network(dt=1.0, seed=1)
    cbf = net.create(2, Input)
    cmro2 = net.create(2, Input)
    m = net.boldmonitor(
        populations=[cbf, cmro2],
        bold_model=bold.balloon_two_inputs,
        mapping={"I_CBF": "r", "I_CMRO2": "r"},
        scale_factor=[1.0, 0.5],
        recorded_variables=["I_CBF", "I_CMRO2", "dv", "tau_out"],
        start=True,
    )
    net.compile()
    net.simulate(500.0)
    # each input receives both populations: 1.0 * 1 + 0.5 * 1
    assert np.allclose(m.get("I_CBF"), 1.5)
    assert np.allclose(m.get("I_CMRO2"), 1.5)
    assert set(m._recorded_variables) == {"BOLD", "I_CBF", "I_CMRO2", "dv", "tau_out"}
    assert np.all(np.isfinite(m.get("BOLD")))


def _inputs_net(engine: str, threads: int, normalize: object, start_late: bool):
    """Two populations with time-varying rates recorded by one monitor; returns what the test needs."""
    net = ann.Network(dt=1.0, seed=1)
    net.config(engine=engine, num_threads=threads)
    a = net.create(5, ann.Neuron(parameters="f = 1.0", equations="r = 1 + sin(f * t / 37.0)"))
    a.f = np.linspace(0.5, 2.0, 5)
    b = net.create(3, ann.Neuron(equations="r = 0.5 + 0.001 * t"))
    m = net.boldmonitor(
        populations=[a, b], normalize_input=normalize, recorded_variables="I_CBF", start=not start_late
    )
    ra, rb = net.monitor(a, "r"), net.monitor(b, "r")
    net.compile()
    if start_late:
        net.simulate(20.0)
        m.start()
    net.simulate(120.0)
    return m, ra.get("r"), rb.get("r")


def test_scale_factors_default_to_population_shares(engine):
    m, ra, rb = _inputs_net(engine, 1, None, start_late=False)
    got = m.get("I_CBF")[:, 0]
    # step k reads the rates left by step k - 1 (the initial values, 0, at k = 0)
    mean_a = np.concatenate([[0.0], ra[:-1].mean(axis=1)])
    mean_b = np.concatenate([[0.0], rb[:-1].mean(axis=1)])
    want = 5 / 8 * mean_a + 3 / 8 * mean_b
    np.testing.assert_allclose(got, want, rtol=1e-14, atol=1e-15)


def test_normalized_inputs_follow_their_baseline(engine):
    """``normalize_input``: 0 during the baseline, then the relative deviation from its mean (NumPy)."""
    base = [10.0, 30.0]
    m, ra, rb = _inputs_net(engine, 1, base, start_late=True)
    got = m.get("I_CBF")[:, 0]
    assert got.shape == (120,)  # recorded from the start at step 20
    want = np.zeros(120)
    for rates, scale, steps in ((ra, 5 / 8, 10), (rb, 3 / 8, 30)):
        means = rates.mean(axis=1)[19:-1]  # what steps 20 .. 139 read
        baseline = np.sum(means[:steps]) / steps
        rel = scale * (means - baseline) / (abs(baseline) + 1e-7)
        want += np.where(np.arange(120) < steps, 0.0, rel)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)


def test_engines_and_threads_agree_bit_for_bit():
    runs = [_inputs_net(e, n, 25.0, start_late=True)[0].get("I_CBF") for e, n in RUNS]
    for other in runs[1:]:
        np.testing.assert_array_equal(runs[0], other)
    full = []
    for e, n in RUNS:
        net = ann.Network(dt=1.0, seed=1)
        net.config(engine=e, num_threads=n)
        pop = net.create(20, ann.Neuron(equations="r = 1 + sin(t / 50.0)"))
        m = net.boldmonitor(populations=pop, recorded_variables=["s", "f_in", "q", "v"], start=True)
        net.compile()
        net.simulate(300.0)
        full.append([m.get(v) for v in ("BOLD", "s", "f_in", "q", "v")])
    for other in full[1:]:
        for x, y in zip(full[0], other, strict=True):
            np.testing.assert_array_equal(x, y)


RUNS = [("interp", 1), ("llvm", 1), ("llvm", 2)]


def test_start_stop_freeze_the_model_and_the_recording():
    net = ann.Network(dt=1.0, seed=1)
    pop = net.create(2, Input)
    m = net.boldmonitor(populations=pop, recorded_variables=["s"])
    net.compile()
    net.simulate(10.0)  # not started: nothing recorded, the model does not move
    assert m.s == 0.0 or np.all(np.asarray(m.s) == 0.0)
    m.start()
    net.simulate(50.0)
    m.stop()
    frozen = np.asarray(m.s).copy()
    net.simulate(30.0)
    np.testing.assert_array_equal(np.asarray(m.s), frozen)
    m.start()
    net.simulate(20.0)
    assert m.get("BOLD").shape == (70, 1)
    assert m.get("s").shape == (70, 1)


def test_attributes_are_forwarded_after_compile():
    net = ann.Network(dt=1.0, seed=1)
    pop = net.create(2, Input)
    m = net.boldmonitor(populations=pop, bold_model=bold.balloon_RN(kappa=0.7))
    with pytest.raises(SimulationError, match="before compile"):
        _ = m.kappa
    net.compile()
    assert m.kappa == pytest.approx(0.7)
    m.kappa = 0.5
    assert m.population.kappa == pytest.approx(0.5)
    with pytest.raises(AttributeError, match="not an attribute of the bold model"):
        m.unknown = 1.0


def test_errors():
    net = ann.Network(dt=1.0, seed=1)
    pop = net.create(4, Input)
    with pytest.raises(ModelError, match="must be provided"):
        net.boldmonitor()
    with pytest.raises(ModelError, match="key I_X of mapping"):
        net.boldmonitor(populations=pop, mapping={"I_X": "r"})
    with pytest.raises(ModelError, match="scale_factor"):
        net.boldmonitor(populations=[pop, pop], scale_factor=[1.0])
    with pytest.raises(ModelError, match="normalize_input"):
        net.boldmonitor(populations=[pop], normalize_input=[1.0, 2.0])
    with pytest.raises(ModelError, match="no attribute 'zz'"):
        net.boldmonitor(populations=pop, mapping={"I_CBF": "zz"})
    with pytest.raises(ModelError, match="PopulationView"):
        net.boldmonitor(populations=[pop[:2]])


def test_custom_model_and_spiking_population():
    """A user BoldModel fed by a spiking population's variable (an accumulating projection reads it
    every step, whatever the pre population's kind)."""
    model = bold.BoldModel(
        parameters="tau = 100.0",
        equations=["I_CBF = sum(I_CBF)", "tau * dB/dt = I_CBF - B"],
        inputs="I_CBF",
        output="B",
    )
    net = ann.Network(dt=1.0, seed=1)
    lif = net.create(10, ann.Neuron(equations="dv/dt = 0.1 : init=0.0", spike="v > 1", reset="v = 0"))
    m = net.boldmonitor(populations=lif, bold_model=model, mapping={"I_CBF": "v"}, start=True)
    vm = net.monitor(lif, "v")
    net.compile()
    net.simulate(100.0)
    v = np.concatenate([[0.0], vm.get("v")[:-1].mean(axis=1)])
    b, want = 0.0, []
    for x in v:
        b += (x - b) / 100.0
        want.append(b)
    np.testing.assert_allclose(m.get("B")[:, 0], want, rtol=1e-12)


SLICES = [[0, 1, 2], [3, 4], [4, 1]]


def _slices_net(engine: str, threads: int, normalize: float = 0):
    net = ann.Network(dt=1.0, seed=1)
    net.config(engine=engine, num_threads=threads)
    a = net.create(5, ann.Neuron(parameters="f = 1.0", equations="r = 1 + sin(f * t / 37.0)"))
    a.f = np.linspace(0.5, 2.0, 5)
    m = net.boldmonitor_from_slices(
        a, slices=SLICES, normalize_input=normalize, recorded_variables=["I_CBF", "s"], start=True
    )
    ra = net.monitor(a, "r")
    net.compile()
    net.simulate(100.0)
    return m, ra.get("r")


def test_slices_feed_one_bold_neuron_each(engine):
    """``boldmonitor_from_slices``: BOLD neuron k gets the mean rate of slice k (NumPy), and runs the
    same balloon model as a ``BoldMonitor`` fed by that slice alone."""
    m, ra = _slices_net(engine, 1)
    got, signal = m.get("I_CBF"), m.get("BOLD")
    assert got.shape == (100, 3)
    assert signal.shape == (100, 3)
    read = np.vstack([np.zeros((1, 5)), ra[:-1]])  # step k reads the rates left by step k - 1
    want = np.column_stack([read[:, s].mean(axis=1) for s in SLICES])
    np.testing.assert_allclose(got, want, rtol=1e-14, atol=1e-15)
    net = ann.Network(dt=1.0, seed=1)
    net.config(engine=engine)
    a = net.create(2, ann.Neuron(parameters="f = 1.0", equations="r = 1 + sin(f * t / 37.0)"))
    alone = net.boldmonitor(populations=a, recorded_variables="s", start=True)
    net.compile()
    a.f = np.linspace(0.5, 2.0, 5)[[3, 4]]
    net.simulate(100.0)
    np.testing.assert_allclose(signal[:, 1], alone.get("BOLD")[:, 0], rtol=1e-13, atol=1e-20)
    assert m.s.shape == (3,)


def test_slices_engines_and_threads_agree_bit_for_bit():
    monitors = [_slices_net(e, n, normalize=20.0)[0] for e, n in RUNS]
    runs = [{name: m.get(name) for name in ("BOLD", "I_CBF", "s")} for m in monitors]
    for other in runs[1:]:
        for name in ("BOLD", "I_CBF", "s"):
            np.testing.assert_array_equal(runs[0][name], other[name])
    assert np.all(runs[0]["I_CBF"][:20] == 0.0)
    assert np.any(runs[0]["I_CBF"][20:] != 0.0)


def test_slices_errors():
    net = ann.Network(dt=1.0, seed=1)
    pop = net.create(4, Input)
    with pytest.raises(ModelError, match="needs to be provided"):
        net.boldmonitor_from_slices(pop)
    with pytest.raises(ModelError, match="one whole population"):
        net.boldmonitor_from_slices([pop, pop], slices=[[0]])
    with pytest.raises(ModelError, match="one whole population"):
        net.boldmonitor_from_slices(pop[:2], slices=[[0]])
    with pytest.raises(ModelError, match="slice 1 must be a non-empty"):
        net.boldmonitor_from_slices(pop, slices=[[0], []])
    with pytest.raises(ModelError, match="not a rank of the population"):
        net.boldmonitor_from_slices(pop, slices=[[0, 4]])
    with pytest.raises(ModelError, match="twice"):
        net.boldmonitor_from_slices(pop, slices=[[1, 1]])
    with pytest.raises(ModelError, match="one value"):
        net.boldmonitor_from_slices(pop, slices=[[1]], normalize_input=[10.0])
    with pytest.raises(ModelError, match="key I_X of mapping"):
        net.boldmonitor_from_slices(pop, slices=[[1]], mapping={"I_X": "r"})
