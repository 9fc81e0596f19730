"""Spiking inputs and specific projections (API.md §10-§11): Poisson, spike arrays, timed and correlated
trains, current injection and decoding, on every engine; statistics where the draws are random."""

from __future__ import annotations

import numpy as np
import pytest

import nnc as ann
from nnc.diagnostics import ModelError


def _counts(spikes: dict[int, list[int]]) -> np.ndarray:
    return np.array([len(spikes[r]) for r in sorted(spikes)])


# --------------------------------------------------------------------------------------------------
# Poisson


@pytest.mark.parametrize("rates", [40.0, "rate_array"])
def test_poisson_rate_and_irregularity(rates) -> None:
    net = ann.Network(dt=1.0, seed=3)
    n = 400
    given = np.linspace(10.0, 70.0, n) if rates == "rate_array" else rates
    pop = net.create(ann.PoissonPopulation(n, rates=given))
    m = net.monitor(pop, "spike")
    net.compile()
    net.simulate(2000.0)
    spikes = m.get("spike")
    counts = _counts(spikes)
    expected = np.broadcast_to(np.asarray(given, dtype=float), (n,)) * 2.0  # Hz x 2 s
    # a Bernoulli count per step: mean rate*T, variance ~ mean; the sum over 400 neurons is tight
    assert abs(counts.sum() - expected.sum()) < 4 * np.sqrt(expected.sum())
    cv = np.mean(m.coefficient_of_variation(spikes))
    assert 0.9 < cv < 1.05  # a Poisson process: CV 1 (slightly below at dt = 1 ms)


def test_poisson_rates_from_an_equation_and_from_a_target() -> None:
    net = ann.Network(dt=0.5, seed=4)
    eq = net.create(
        ann.PoissonPopulation(200, rates="base * (1.0 + sin(t / 100.0))", parameters={"base": 30.0})
    )
    drive = net.create(200, ann.Neuron(equations="r = 25.0"))
    target = net.create(ann.PoissonPopulation(200, target="exc"))
    net.connect(drive, target, "exc").one_to_one(weights=2.0)
    ms = net.monitor(eq, "spike"), net.monitor(target, "spike")
    net.compile()
    net.simulate(4000.0)
    first, second = (_counts(m.get("spike")).sum() / 200 / 4.0 for m in ms)
    mean_eq = 30.0 * (1.0 + (1.0 - np.cos(40.0)) / 40.0)  # time average of base * (1 + sin(t/100)) over 4 s
    assert first == pytest.approx(mean_eq, rel=0.05)
    assert second == pytest.approx(50.0, rel=0.05)
    np.testing.assert_array_equal(target.rates, 50.0)


def test_poisson_needs_rates_or_target() -> None:
    with pytest.raises(ann.ANNarchyException, match="rates or target"):
        ann.PoissonPopulation(10)


# --------------------------------------------------------------------------------------------------
# spike source arrays


def test_spike_source_array_times_rounding_and_resets(make_net) -> None:
    net = make_net(dt=0.5)
    source = net.create(ann.SpikeSourceArray([[1.0, 2.0, 2.1, 10.0], [], [0.0, 5.25, 0.75]]))
    m = net.monitor(source, "spike")
    net.compile()
    net.simulate(20.0)
    # round(t/dt), half to even: 2.1/0.5 = 4.2 -> 4 (a duplicate), 5.25/0.5 = 10.5 -> 10, 0.75/0.5 -> 2
    assert m.get("spike") == {0: [2, 4, 20], 1: [], 2: [0, 2, 10]}
    assert source.spike_times == [[1.0, 2.0, 10.0], [], [0.0, 1.0, 5.0]]
    source.spike_times = [[25.0], [1.0, 30.0], []]  # times already passed are not emitted
    net.simulate(20.0)
    assert m.get("spike") == {0: [50], 1: [60], 2: []}
    net.reset()  # the counter restarts: the times count again from now
    net.simulate(2.0)
    assert m.get("spike") == {0: [], 1: [2], 2: []}


def test_spike_source_array_rejects_a_new_neuron_count(make_net) -> None:
    net = make_net()
    source = net.create(ann.SpikeSourceArray([[1.0], [2.0]]))
    net.compile()
    with pytest.raises(ann.ANNarchyException, match="number of neurons cannot change"):
        source.spike_times = [[1.0]]
    with pytest.raises(ann.ANNarchyException, match="list"):
        ann.SpikeSourceArray(3.0)


# --------------------------------------------------------------------------------------------------
# timed Poisson, correlated trains


def test_timed_poisson_switches_rates_on_schedule() -> None:
    net = ann.Network(dt=1.0, seed=5)
    pop = net.create(ann.TimedPoissonPopulation(500, rates=[10.0, 100.0, np.linspace(0, 200, 500)],
                                                schedule=[0.0, 200.0, 400.0]))  # fmt: skip
    m = net.monitor(pop, "spike")
    net.compile()
    net.simulate(600.0)
    steps = np.concatenate([np.asarray(v, dtype=int) for v in m.get("spike").values()])
    per_block = np.histogram(steps, bins=[0, 200, 400, 600])[0] / 500 / 0.2
    np.testing.assert_allclose(per_block, [10.0, 100.0, 100.0], rtol=0.08)
    np.testing.assert_allclose(pop.proba[:2], [0.0, 200.0 / 499.0])


def _pair_correlation(corr: float) -> tuple[float, float, float]:
    """Rate, mean pairwise correlation of 20 ms spike counts, and mu of 100 correlated trains (20 s)."""
    net = ann.Network(dt=0.1, seed=6)
    pop = net.create(ann.HomogeneousCorrelatedSpikeTrains(100, rates=20.0, corr=corr, tau=10.0))
    m = net.monitor(pop, "spike")
    net.compile()
    net.simulate(20000.0)
    spikes = m.get("spike")
    bins = np.arange(0, 200001, 200)
    counts = np.array([np.histogram(spikes[i], bins=bins)[0] for i in range(100)])
    cc = np.corrcoef(counts)[np.triu_indices(100, 1)].mean()
    return counts.sum() / 100 / 20.0, float(cc), pop.mu


def test_correlated_trains_rate_and_correlation() -> None:
    rate, cc, mu = _pair_correlation(0.3)
    independent = _pair_correlation(0.0)
    assert rate == pytest.approx(20.0, rel=0.1)
    assert independent[0] == pytest.approx(20.0, rel=0.05)
    assert abs(independent[1]) < 0.01  # independent Poisson trains
    assert cc > 0.05  # a shared rate process: positive correlation
    assert mu == pytest.approx(17.751760373614275)  # the reference's rectification of (20, 0.3, 10)


def test_correlated_trains_without_correlation_are_poisson() -> None:
    net = ann.Network(dt=1.0, seed=7)
    pop = net.create(ann.HomogeneousCorrelatedSpikeTrains(50, rates=30.0, corr=0.0, tau=10.0))
    net.compile()
    assert (pop.mu, pop.sigma) == (30.0, 0.0)


#: ``x`` of HomogeneousCorrelatedSpikeTrains(4, rates=[10, 50, 20], corr=0, tau=5, schedule=[0, 3, 6.5],
#: period=9) at dt=0.5, steps 0-23, measured on ANNarchy 5.0.4.1 (monitor of 'x', reshape=False).
REFERENCE_X = [10.0, 10.0, 10.0, 10.0, 10.0, 10.0, 14.0, 17.6, 20.84, 23.756, 26.3804, 28.74236, 30.868124,
               29.7813116, 28.80318044, 27.922862396, 27.1305761564, 26.4175185408, 24.7757666867,
               23.298190018, 21.9683710162, 20.7715339146, 19.6943805231, 18.7249424708]  # fmt: skip


def _scheduled_x(
    mus: list[float], steps: list[int], period: int, tau: float, dt: float, n: int, x0: float | None = None
) -> list[float]:
    """NumPy model of a schedule without noise: the timed-array counters of SEMANTICS.md §10 on mu, then
    ``x += dt·(mu - x)/tau``, one step at a time, from ``x0`` (default: the first entry)."""
    x, mu, t, b, out = mus[0] if x0 is None else x0, mus[0], 0, 0, []
    for _ in range(n):
        if b < len(steps) and t == steps[b]:
            mu, b = mus[b], (b + 1) % len(steps)
        if period >= 0 and t == period - 1:
            b, t = 0, -1
        t += 1
        x = x + (dt * (mu - x) / tau + np.sqrt(dt / tau) * 0.0)
        out.append(x)
    return out


@pytest.mark.parametrize("split", [False, True])
def test_correlated_trains_follow_their_schedule(make_net, split: bool) -> None:
    net = make_net(dt=0.5)
    pop = net.create(
        ann.HomogeneousCorrelatedSpikeTrains(
            4, rates=[10.0, 50.0, 20.0], corr=0.0, tau=5.0, schedule=[0.0, 3.0, 6.5], period=9.0
        )
    )
    m = net.monitor(pop, "x")
    net.compile()
    if split:  # runs cut anywhere give the same values
        net.simulate(3.5)
        net.step()
        net.simulate(6.5)
        net.simulate(14.5)
    else:
        net.simulate(25.0)
    x = np.asarray(m.get("x")).reshape(-1)
    np.testing.assert_allclose(x, _scheduled_x([10.0, 50.0, 20.0], [0, 6, 13], 18, 5.0, 0.5, 50), rtol=1e-13)
    np.testing.assert_allclose(x[:24], REFERENCE_X, rtol=1e-9)
    assert pop.rates == [10.0, 50.0, 20.0]
    assert pop.schedule == [0.0, 3.0, 6.5]
    pop.reset()  # the schedule restarts with its first entry
    net.simulate(4.0)
    np.testing.assert_allclose(np.asarray(m.get("x")).reshape(-1), REFERENCE_X[:8], rtol=1e-9)


def test_correlated_trains_update_and_setters(make_net) -> None:
    net = make_net(dt=1.0)
    pop = net.create(
        ann.HomogeneousCorrelatedSpikeTrains(2, rates=[10.0, 30.0], corr=0.0, tau=4.0, schedule=[0, 5])
    )
    m = net.monitor(pop, "x")
    net.compile()
    net.simulate(8.0)
    assert pop.mu == 30.0
    pop.rates = [12.0, 40.0]  # recomputes the entries; the one shown now takes effect at once
    assert pop.mu == 40.0
    net.simulate(2.0)
    # update() warns and resets the population, as the reference: x back to its initial value (the first
    # mu given to the constructor), the new schedule from its first entry
    pop.update([5.0, 15.0, 25.0], 0.0, schedule=[0.0, 2.0, 4.0])
    assert pop.mu == 5.0
    net.simulate(6.0)
    x = np.asarray(m.get("x")).reshape(-1)
    expected = _scheduled_x([10.0, 30.0], [0, 5], -1, 4.0, 1.0, 8)
    expected += [expected[-1] + (40.0 - expected[-1]) / 4.0]
    expected += [expected[-1] + (40.0 - expected[-1]) / 4.0]
    expected += _scheduled_x([5.0, 15.0, 25.0], [0, 2, 4], -1, 4.0, 1.0, 6, x0=10.0)
    np.testing.assert_allclose(x, expected, rtol=1e-13)
    with pytest.raises(ModelError, match="one value per schedule entry"):
        pop.rates = [1.0, 2.0]
    with pytest.raises(ModelError, match="one value per schedule entry"):
        ann.HomogeneousCorrelatedSpikeTrains(3, rates=[1.0, 2.0], corr=0.1, tau=5.0, schedule=[0.0, 1.0, 2.0])


def test_correlated_trains_get_a_schedule_after_compile(make_net) -> None:
    net = make_net(dt=1.0)
    pop = net.create(ann.HomogeneousCorrelatedSpikeTrains(2, rates=10.0, corr=0.0, tau=4.0))
    m = net.monitor(pop, "x")
    net.compile()
    net.simulate(3.0)
    pop.update([20.0, 40.0], 0.0, schedule=[0.0, 2.0], reset=False)  # timers kept: counting from 3
    net.simulate(6.0)
    pop.update([30.0], 0.0, reset=False)  # fewer entries than the one shown: the last one stays valid
    net.simulate(2.0)
    x = np.asarray(m.get("x")).reshape(-1)
    np.testing.assert_allclose(x[:3], [10.0, 10.0, 10.0])
    # the timers count from compile: at 3, the new entry 0 (at 0) is past and no period brings it back,
    # so mu stays at entry 0 (20, set by update) and x relaxes to it
    expected = [10.0, 10.0, 10.0]
    for _ in range(6):
        expected.append(expected[-1] + (20.0 - expected[-1]) / 4.0)
    for _ in range(2):
        expected.append(expected[-1] + (30.0 - expected[-1]) / 4.0)
    np.testing.assert_allclose(x, expected, rtol=1e-13)


@pytest.mark.parametrize("threads", [1, 2])
def test_correlated_schedule_same_bits_on_every_engine(threads: int) -> None:
    runs = {}
    for engine in ("interp", "llvm"):
        net = ann.Network(dt=0.25, seed=11)
        net.config(engine=engine, num_threads=threads if engine == "llvm" else 1)
        pop = net.create(
            ann.HomogeneousCorrelatedSpikeTrains(
                30, rates=[20.0, 80.0], corr=[0.3, 0.1], tau=5.0, schedule=[0.0, 10.0], period=25.0
            )
        )
        mx, ms = net.monitor(pop, "x"), net.monitor(pop, "spike")
        net.compile()
        net.simulate(60.0)
        runs[engine] = (np.asarray(mx.get("x")), ms.get("spike"))
    np.testing.assert_array_equal(runs["interp"][0], runs["llvm"][0])
    assert runs["interp"][1] == runs["llvm"][1]


# --------------------------------------------------------------------------------------------------
# specific projections


def test_current_injection_drives_the_conductance(make_net) -> None:
    net = make_net()
    drive = net.create(ann.InputArray(3))
    cells = net.create(3, ann.Neuron(equations="v = g_exc", spike="v > 100"))
    net.connect(ann.CurrentInjection(drive, cells, "exc")).connect_current()
    m = net.monitor(cells, "v")
    net.compile()
    drive.r = [1.0, 2.0, 3.0]
    net.simulate(2)
    np.testing.assert_array_equal(m.get("v"), [[1.0, 2.0, 3.0]] * 2)


def test_current_injection_checks_its_populations() -> None:
    net = ann.Network()
    rate, other = net.create(ann.InputArray(2)), net.create(ann.InputArray(3))
    cells = net.create(3, ann.Neuron(equations="v = g_exc", spike="v > 100"))
    with pytest.raises(ann.ANNarchyException, match="same size"):
        ann.CurrentInjection(rate, cells, "exc")
    with pytest.raises(ann.ANNarchyException, match="must be spiking"):
        ann.CurrentInjection(rate, other, "exc")


def test_decoding_projection_window(make_net) -> None:
    """Senders fire every 4 steps: a 10-step window holds 2 or 3 of their spikes."""
    net = make_net(dt=1.0)
    senders = net.create(4, ann.Neuron(equations="v = 0", spike="modulo(t, 4) == 0"))
    out = net.create(1, ann.Neuron(equations="r = sum(exc)"))
    net.connect(ann.DecodingProjection(senders, out, "exc", window=10.0)).all_to_all(weights=0.5)
    m = net.monitor(out, "r")
    net.compile()
    net.simulate(30)
    r = m.get("r")[:, 0]
    spikes_in_window = [sum(1 for s in range(0, k, 4) if s >= k - 10) for k in range(30)]  # steps k-10..k-1
    expected = [4 * 0.5 * n / 10 * 1000.0 / 1.0 / 4 for n in spikes_in_window]
    np.testing.assert_allclose(r, expected, rtol=1e-12)
