"""STDP and STP (MODELS.md §3.5-3.6) against a NumPy re-implementation of the event-driven updates.

Pre and post neurons are deterministic senders: neuron ``i`` spikes at step ``k`` iff
``(k + offset_i) mod period_i == 0``. Every pre neuron is connected to every post neuron (each synapse
with its own initial weight). The reference below follows SEMANTICS.md §2, §4.1 and §9 and DSL.md §9.7:

* phase 2 of step ``k``: for each pre neuron that spiked at ``k - d`` (rank order), for each of its
  synapses: the event-driven variables decay over ``(k - 1) - last_event`` steps (the reference's
  ``k - 1`` quirk), ``last_event = k``, then ``g_target`` with the values of that moment, then the
  other ``pre_spike`` statements in order (``w`` only while ``plasticity`` is on; ``: unless_post``
  statements skipped when the post neuron's last spike is the pre neuron's last spike);
* phase 3 samples the post neuron's ``g_exc``;
* phase 9: for each post neuron that spiked at ``k``, for each of its synapses: decay over
  ``k - last_event`` steps, ``last_event = k``, then ``post_spike`` (``w`` only with plasticity);
* phase 11 samples ``w`` and the traces (their stored values: they only change at events).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

import nnc as ann

SENDER = ann.Neuron(
    parameters="period = 1\noffset = 0",
    equations="v = t",
    spike="modulo(round(t/dt) + offset, period) == 0",
)
NEVER = -10000  # initial last_spike / last_event (SEMANTICS.md §4.4, §11)


@dataclass(frozen=True)
class Train:
    """Deterministic spike trains of a population of :data:`SENDER` neurons."""

    period: tuple[int, ...]
    offset: tuple[int, ...]

    def fired(self, k: int) -> np.ndarray:
        """Ranks that spike at step ``k`` (none before step 0)."""
        if k < 0:
            return np.zeros(0, dtype=int)
        return np.flatnonzero((k + np.array(self.offset)) % np.array(self.period) == 0)


PRE = Train((5, 7, 11), (0, 3, 4))
POST = Train((6, 9), (1, 5))
W0 = np.array([[0.5, 0.3, 0.8], [0.2, 0.6, 0.45]])  # (post, pre)


# --------------------------------------------------------------------------------------------------
# nnc


@dataclass(frozen=True)
class Run:
    """A simulation: dt, delays, connectivity, and the plasticity flag for each segment of steps.

    ``delay`` is a uniform delay in steps, or per synapse ``(post, pre)``; ``mask`` marks the synapses
    that exist (all by default).
    """

    dt: float = 1.0
    delay: int | tuple[tuple[int, ...], ...] = 1
    segments: tuple[tuple[int, bool], ...] = ((300, True),)
    mask: tuple[tuple[bool, ...], ...] | None = None

    def plastic(self, k: int) -> bool:
        """Whether ``plasticity`` is on during step ``k``."""
        start = 0
        for steps, on in self.segments:
            if k < start + steps:
                return on
            start += steps
        raise IndexError(k)

    @property
    def steps(self) -> int:
        return sum(s for s, _ in self.segments)

    def connected(self) -> np.ndarray:
        return np.ones(W0.shape, bool) if self.mask is None else np.array(self.mask)

    def delays(self) -> np.ndarray:
        """Delay of every synapse in steps."""
        return np.broadcast_to(np.array(self.delay), W0.shape)

    def connector_args(self) -> tuple[list[list[float | None]], object]:
        """``from_matrix`` weights (None where no synapse) and delays in ms."""
        weights = [
            [w if c else None for w, c in zip(row, mask, strict=True)]
            for row, mask in zip(W0, self.connected(), strict=True)
        ]
        delays = self.delay * self.dt if isinstance(self.delay, int) else self.delays() * self.dt
        return weights, delays


def flat(values: object, mask: np.ndarray) -> np.ndarray:
    """``(T, n_synapses)`` of a projection record (dendrites in post order) or a ``(T, post, pre)`` array."""
    if isinstance(values, np.ndarray) and values.dtype != object and values.ndim == 3:
        return values[:, mask]
    return np.array([np.concatenate([np.asarray(d, float).ravel() for d in step]) for step in values])


def run_nnc(
    make_net,
    synapse: ann.Synapse,
    run: Run,
    variables: tuple[str, ...],
    values: dict[str, object] | None = None,
) -> dict[str, object]:
    """Record ``variables`` of the projection, the post ``g_exc`` and the spikes of both populations.

    ``values`` are assigned to the projection's attributes after compile. Synaptic records are
    returned flat, ``(T, n_synapses)``.
    """
    net = make_net(dt=run.dt)
    pre, post = net.create(3, SENDER), net.create(2, SENDER)
    for pop, train in ((pre, PRE), (post, POST)):
        pop.period, pop.offset = list(train.period), list(train.offset)
    weights, delays = run.connector_args()
    proj = net.connect(pre, post, "exc", synapse).from_matrix(weights, delays=delays)
    m_syn = net.monitor(proj, list(variables))
    m_post, m_pre = net.monitor(post, ["g_exc", "spike"]), net.monitor(pre, "spike")
    net.compile()
    for name, value in (values or {}).items():
        setattr(proj, name, value)
    for steps, on in run.segments:
        proj.plasticity = on
        net.simulate(steps * run.dt)
    data = {v: flat(m_syn.get(v), run.connected()) for v in variables}
    return {**data, **m_post.get(), "pre_spike": m_pre.get("spike")}


def check_trains(got: dict[str, object], run: Run) -> None:
    """The senders spike where :class:`Train` says (the rest of the test relies on it)."""
    for train, key in ((PRE, "pre_spike"), (POST, "spike")):
        want = {i: [k for k in range(run.steps) if i in train.fired(k)] for i in range(len(train.period))}
        assert got[key] == want


# --------------------------------------------------------------------------------------------------
# the reference


@dataclass
class Synapses:
    """Per-synapse state ``(post, pre)`` and the neurons' last spikes."""

    w: np.ndarray
    traces: dict[str, np.ndarray]
    last_event: np.ndarray
    last_pre: np.ndarray
    last_post: np.ndarray

    @classmethod
    def start(cls, traces: dict[str, float | np.ndarray]) -> Synapses:
        shape = W0.shape
        return cls(
            W0.copy(),
            {name: np.broadcast_to(value, shape).astype(float) for name, value in traces.items()},
            np.full(shape, NEVER),
            np.full(shape[1], NEVER),
            np.full(shape[0], NEVER),
        )


@dataclass(frozen=True)
class Rule:
    """An event-driven synapse: traces (steady state, tau) and its pre / post event statements."""

    traces: dict[str, tuple[float, float]]  # name -> (steady state, tau ms)
    init: dict[str, float | np.ndarray]
    pre_spike: object  # (syn, i, j, plastic) -> g increment
    post_spike: object | None = None  # (syn, i, j, plastic) -> None

    def catch_up(self, syn: Synapses, i: int, j: int, elapsed: int, dt: float, k: int) -> None:
        """DSL.md §9.7: ``x <- S + (x - S) exp(-elapsed dt / tau)``, then ``last_event = k``."""
        for name, (steady, tau) in self.traces.items():
            x = syn.traces[name]
            x[i, j] = steady + (x[i, j] - steady) * np.exp(-elapsed * dt / tau)
        syn.last_event[i, j] = k


def run_reference(rule: Rule, run: Run) -> dict[str, np.ndarray]:
    """Traces ``(T, post, pre)`` of ``w`` and the rule's variables, and ``g_exc`` ``(T, post)``."""
    syn = Synapses.start(rule.init)
    connected, delays = run.connected(), run.delays()
    out: dict[str, list[np.ndarray]] = {name: [] for name in ("w", "g_exc", *rule.traces)}
    for k in range(run.steps):
        g = np.zeros(len(POST.period))
        for i, j in zip(*np.nonzero(connected), strict=True):
            if j in PRE.fired(k - delays[i, j]):
                rule.catch_up(syn, i, j, (k - 1) - syn.last_event[i, j], run.dt, k)
                g[i] += rule.pre_spike(syn, i, j, run.plastic(k))
        out["g_exc"].append(g)
        syn.last_pre[PRE.fired(k)] = k
        syn.last_post[POST.fired(k)] = k
        for i in POST.fired(k) if rule.post_spike is not None else ():
            for j in np.flatnonzero(connected[i]):
                rule.catch_up(syn, i, j, k - syn.last_event[i, j], run.dt, k)
                rule.post_spike(syn, i, j, run.plastic(k))
        out["w"].append(syn.w.copy())
        for name in rule.traces:
            out[name].append(syn.traces[name].copy())
    synaptic = {name: flat(np.array(out[name]), connected) for name in ("w", *rule.traces)}
    return {**synaptic, "g_exc": np.array(out["g_exc"])}


# --------------------------------------------------------------------------------------------------
# STDP


@dataclass(frozen=True)
class StdpParams:
    tau_plus: float = 15.0
    tau_minus: float = 25.0
    A_plus: float = 0.15
    A_minus: float = 0.1
    w_min: float = 0.1
    w_max: float = 0.9


def stdp_rule(p: StdpParams, unless_post: bool = False) -> Rule:
    """MODELS.md §3.6 (with ``: unless_post`` on the two non-g statements of pre_spike if asked)."""

    def pre_spike(syn: Synapses, i: int, j: int, plastic: bool) -> float:
        g = syn.w[i, j]
        if unless_post and syn.last_post[i] == syn.last_pre[j]:
            return g
        syn.traces["x"][i, j] += p.A_plus * p.w_max
        if plastic:
            syn.w[i, j] = np.clip(syn.w[i, j] + syn.traces["y"][i, j], p.w_min, p.w_max)
        return g

    def post_spike(syn: Synapses, i: int, j: int, plastic: bool) -> None:
        syn.traces["y"][i, j] -= p.A_minus * p.w_max
        if plastic:
            syn.w[i, j] = np.clip(syn.w[i, j] + syn.traces["x"][i, j], p.w_min, p.w_max)

    return Rule(
        {"x": (0.0, p.tau_plus), "y": (0.0, p.tau_minus)}, {"x": 0.0, "y": 0.0}, pre_spike, post_spike
    )


def stdp_with_unless_post(p: StdpParams) -> ann.Synapse:
    """MODELS.md §3.6 written out, with ``: unless_post`` on the trace and weight updates of pre_spike."""
    params = "\n".join(f"{k} = {v} : projection" for k, v in p.__dict__.items())
    return ann.Synapse(
        parameters=params,
        equations="tau_plus * dx/dt = -x : event-driven\ntau_minus * dy/dt = -y : event-driven",
        pre_spike="g_target += w\nx += A_plus * w_max : unless_post\n"
        "w = clip(w + y, w_min, w_max) : unless_post",
        post_spike="y -= A_minus * w_max\nw = clip(w + x, w_min, w_max)",
    )


def compare(got: dict[str, object], want: dict[str, np.ndarray]) -> None:
    """Every recorded trace (``w`` is not recordable where it is a parameter, e.g. in STP)."""
    for name, values in want.items():
        if name in got:
            np.testing.assert_allclose(got[name], values, rtol=1e-12, atol=1e-14, err_msg=name)


STDP_RUNS = {
    "dt1": Run(),
    "dt0.5-delay3": Run(dt=0.5, delay=3),
    "sparse-delays": Run(
        dt=0.1, delay=((1, 4, 2), (3, 1, 5)), mask=((True, False, True), (True, True, True))
    ),
    "plasticity-off-on": Run(segments=((90, True), (100, False), (110, True))),
}


@pytest.mark.parametrize("run", list(STDP_RUNS.values()), ids=list(STDP_RUNS))
def test_stdp_follows_the_event_driven_formulas(make_net, run: Run) -> None:
    p = StdpParams()
    got = run_nnc(make_net, ann.STDP(**p.__dict__), run, ("w", "x", "y"))
    check_trains(got, run)
    want = run_reference(stdp_rule(p), run)
    compare(got, want)
    w = want["w"]
    assert (w == p.w_max).any(), "the weights should reach both bounds"
    assert (w == p.w_min).any(), "the weights should reach both bounds"


def test_stdp_frozen_weights_keep_their_traces(make_net) -> None:
    """``plasticity = False`` freezes w only (SEMANTICS.md §8): x and y move as with plasticity."""
    run = Run(segments=((300, False),))
    p = StdpParams()
    got = run_nnc(make_net, ann.STDP(**p.__dict__), run, ("w", "x", "y"))
    np.testing.assert_array_equal(got["w"], np.broadcast_to(W0.ravel(), got["w"].shape))
    compare(got, run_reference(stdp_rule(p), run))
    assert np.abs(got["x"]).max() > 0
    assert np.abs(got["y"]).max() > 0


@pytest.mark.parametrize("run", [STDP_RUNS["dt1"], STDP_RUNS["sparse-delays"]], ids=["dt1", "sparse-delays"])
def test_stdp_unless_post(make_net, run: Run) -> None:
    """The senders spike together at some steps: the unless_post statements skip those events.

    The test compares the neurons' last spikes at delivery, so with delays > 1 the pre neuron's last
    spike may be a later one than the delivered spike's.
    """
    p = StdpParams()
    got = run_nnc(make_net, stdp_with_unless_post(p), run, ("w", "x", "y"))
    want = run_reference(stdp_rule(p, unless_post=True), run)
    compare(got, want)
    plain = run_reference(stdp_rule(p), run)
    assert not np.array_equal(plain["x"], want["x"]), "the trains should have coincident spikes"


# --------------------------------------------------------------------------------------------------
# STP


def stp_rule(tau_rec: float, tau_facil: float, big_u: np.ndarray) -> Rule:
    """MODELS.md §3.5: ``U`` is local (one value per synapse)."""

    def pre_spike(syn: Synapses, i: int, j: int, plastic: bool) -> float:
        x, u = syn.traces["x"], syn.traces["u"]
        g = syn.w[i, j] * u[i, j] * x[i, j]
        x[i, j] *= 1 - u[i, j]
        u[i, j] += big_u[i, j] * (1 - u[i, j])
        return g

    class PerSynapseU(Rule):
        def catch_up(self, syn: Synapses, i: int, j: int, elapsed: int, dt: float, k: int) -> None:
            x, u = syn.traces["x"], syn.traces["u"]
            x[i, j] = 1.0 + (x[i, j] - 1.0) * np.exp(-elapsed * dt / tau_rec)
            u[i, j] = big_u[i, j] + (u[i, j] - big_u[i, j]) * np.exp(-elapsed * dt / tau_facil)
            syn.last_event[i, j] = k

    return PerSynapseU({"x": (1.0, tau_rec), "u": (0.0, tau_facil)}, {"x": 1.0, "u": big_u}, pre_spike)


@pytest.mark.parametrize("run", [Run(), Run(dt=0.25, delay=2)], ids=["dt1", "dt0.25-delay2"])
def test_stp_follows_the_event_driven_formulas(make_net, run: Run) -> None:
    """U set per synapse after compile (the model's U is local), u started at it."""
    big_u = np.array([[0.5, 0.2, 0.35], [0.1, 0.6, 0.3]])
    synapse = ann.STP(tau_rec=80.0, tau_facil=40.0, U=0.5)
    got = run_nnc(make_net, synapse, run, ("x", "u"), {"U": big_u.tolist(), "u": big_u.tolist()})
    check_trains(got, run)
    want = run_reference(stp_rule(80.0, 40.0, big_u), run)
    compare(got, want)
    assert want["x"].min() < 0.5, "the case should show depression"
    assert (want["u"] > big_u.ravel() + 0.1).any(), "the case should show facilitation"


# --------------------------------------------------------------------------------------------------
# order of the events of one step


def test_pre_spike_runs_before_post_spike_in_the_same_step(make_net) -> None:
    """SEMANTICS.md §9: phase 2 (delivery) precedes phase 9 (post events) within a step.

    Pre neuron 0 fires at step 3 (delivered at step 4), pre neuron 1 at step 4 (delivered at 5), the
    post neuron at step 4. Each event appends a digit to ``order``: 1 for pre_spike, 2 for post_spike.
    """
    net = make_net()
    pre = net.create(2, ann.Neuron(parameters="when = 0", equations="v = t", spike="t == when"))
    post = net.create(1, ann.Neuron(equations="v = t", spike="t == 4"))
    pre.when = [3.0, 4.0]
    synapse = ann.Synapse(
        pre_spike="g_target += w\norder = order * 10 + 1", post_spike="order = order * 10 + 2"
    )
    proj = net.connect(pre, post, "exc", synapse).all_to_all(weights=1.0)
    net.compile()
    m = net.monitor(proj.dendrite(0), "order")
    net.simulate(7)
    np.testing.assert_array_equal(
        m.get("order"), [[0, 0], [0, 0], [0, 0], [0, 0], [12, 2], [12, 21], [12, 21]]
    )
