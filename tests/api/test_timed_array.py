"""TimedArray's Python side (API.md §10, SEMANTICS.md §10, §12): construction rules, read-only ``r``,
``rates``/``schedule``/``period`` before and after compile (``rint(ms/dt)``), ``update()`` and ``reset()``.

Rows are one-hot with value ``i + 1`` at position ``i``, so a shown row is identified by its argmax.
"""

from __future__ import annotations

import numpy as np
import pytest

import nnc as ann
from nnc.api.timed_array import expand_schedule
from nnc.backend.abi import TimedField, TimedKey
from nnc.diagnostics import ModelError, SimulationError

ROWS = np.eye(4) * np.arange(1, 5)[:, None]


def _shown(r: np.ndarray) -> int:
    """Row shown by ``r`` (-1: zeros)."""
    return int(np.argmax(r)) if np.any(r) else -1


def _slots(ta: ann.TimedArray) -> dict[str, object]:
    b = ta.network._runtime.buffers
    pointers = (TimedField.RATES, TimedField.SCHEDULE)
    values = {f.value: b.value(TimedKey(ta.id, f)) for f in TimedField if f not in pointers}
    values["schedule"] = b.array(TimedKey(ta.id, TimedField.SCHEDULE))[: values["n_schedule"]].tolist()
    return values


# --------------------------------------------------------------------------------------------------
# construction


def test_geometry_is_inferred_from_rates() -> None:
    grid = np.zeros((3, 2, 5))
    ta = ann.TimedArray(rates=grid)
    assert ta.geometry == (2, 5)
    assert ta.size == 10
    assert ann.TimedArray(rates=[[1.0, 2.0]]).geometry == (2,)  # lists are arrays too
    assert ann.TimedArray(geometry=7).geometry == (7,)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "either rates or geometry"),
        ({"rates": np.zeros(4)}, r"\(n_inputs,\) \+ geometry"),
        ({"rates": np.zeros((0, 4))}, "n_inputs > 0"),
        ({"rates": np.zeros((2, 0))}, "no geometry"),
        ({"rates": np.zeros((2, 4)), "geometry": 5}, "do not fit"),
        ({"rates": ROWS, "schedule": [0.0, 1.0, 2.0, 3.0, 4.0]}, "5 times but rates has only 4 rows"),
        ({"rates": ROWS, "schedule": []}, "empty"),
    ],
)
def test_construction_errors(kwargs: dict, message: str) -> None:
    with pytest.raises(ModelError, match=message):
        ann.TimedArray(**kwargs)


def test_schedule_expansion() -> None:
    """A number s gives one time per row, [0, s, 2s, ...]; s <= 0 means dt; a one-element list is a number."""
    assert expand_schedule(2.5, 3, 1.0) == [0.0, 2.5, 5.0]
    assert expand_schedule(0.0, 3, 0.1) == [0.0, 0.1, 0.2]
    assert expand_schedule(-4.0, 2, 0.5) == [0.0, 0.5]
    assert expand_schedule([3.0], 3, 1.0) == [0.0, 3.0, 6.0]
    assert expand_schedule(np.array([1.0, 4.0]), 3, 1.0) == [1.0, 4.0]
    ta = ann.TimedArray(rates=ROWS, schedule=10.0, period=50.0)
    assert ta.schedule == [0.0, 10.0, 20.0, 30.0]
    assert ta.period == 50.0
    np.testing.assert_array_equal(ta.rates, ROWS)


def test_a_short_schedule_warns(capsys: pytest.CaptureFixture[str]) -> None:
    ann.TimedArray(rates=ROWS, schedule=[0.0, 5.0], name="short")
    assert "WARNING: TimedArray short: the schedule has 2 times for 4 rows" in capsys.readouterr().err


# --------------------------------------------------------------------------------------------------
# r is read-only


def test_r_is_read_only_and_readable_only_after_compile(make_net) -> None:
    net = make_net()
    ta = net.create(ann.TimedArray(rates=ROWS))
    for read in (lambda: ta.r, lambda: ta.get("r"), lambda: ta[1:3].r):
        with pytest.raises(SimulationError, match="after compile"):
            read()
    for write in (lambda: setattr(ta, "r", 1.0), lambda: ta.set({"r": 1.0})):
        with pytest.raises(SimulationError, match="read-only"):
            write()
    net.compile()
    np.testing.assert_array_equal(ta.r, np.zeros(4))  # r is 0 at compile
    net.simulate(2)
    np.testing.assert_array_equal(ta.r, ROWS[1])
    np.testing.assert_array_equal(ta[1:3].r, ROWS[1, 1:3])
    with pytest.raises(SimulationError, match="read-only"):
        ta.r = ROWS[0]
    with pytest.raises(SimulationError, match="read-only"):
        ta[0].r = 3.0


# --------------------------------------------------------------------------------------------------
# attributes after compile


def test_attributes_are_converted_with_rint(make_net) -> None:
    """schedule/period in ms -> rint(ms/dt) steps; read back as steps * dt."""
    net = make_net(dt=0.1)
    ta = net.create(ann.TimedArray(rates=ROWS, schedule=[0.0, 0.25, 0.35, 1.04], period=2.96, network=net))
    net.compile()
    # 0.25/0.1 = 2.4999999999999996 -> 2, 0.35/0.1 = 3.4999999999999996 -> 3, 10.4 -> 10, 29.6 -> 30
    assert _slots(ta)["schedule"] == [0, 2, 3, 10]
    assert _slots(ta)["period"] == 30
    assert ta.schedule == pytest.approx([0.0, 0.2, 0.3, 1.0], rel=1e-15)
    assert ta.period == pytest.approx(3.0, rel=1e-15)
    ta.period = 0.44
    ta.schedule = 0.55  # a number set as an attribute is one time, not a series
    assert (_slots(ta)["period"], _slots(ta)["schedule"]) == (4, [6])
    ta.period = -1.0
    assert _slots(ta)["period"] == -10  # negative: no period
    assert ta.period == -1.0


def test_rates_set_after_compile_show_the_row_in_effect(make_net) -> None:
    """As in the reference: rows b - 1 while block b is not due yet, else row b."""
    net = make_net()
    ta = net.create(ann.TimedArray(rates=ROWS, schedule=2.0))  # blocks at steps 0, 2, 4, 6
    net.compile()
    net.simulate(3)  # block 0 at step 0, block 1 at step 2: tau = 3, b = 2, next due at 4
    ta.rates = 2.0 * ROWS
    np.testing.assert_array_equal(ta.r, 2.0 * ROWS[1])
    net.simulate(2)  # steps 3 and 4: block 2 at step 4
    np.testing.assert_array_equal(ta.r, 2.0 * ROWS[2])
    np.testing.assert_array_equal(ta.rates, 2.0 * ROWS)
    ta.rates = np.arange(8.0).reshape(2, 4)  # fewer rows: row 2 is gone (r kept), block 3 will find none
    np.testing.assert_array_equal(ta.r, 2.0 * ROWS[2])
    assert _slots(ta)["n_rows"] == 2
    net.simulate(2)  # step 6: block 3 is due, no row 3: r = 0 and the block waits
    np.testing.assert_array_equal(ta.r, np.zeros(4))
    assert _slots(ta)["block"] == 3
    with pytest.raises(ModelError, match="do not fit"):
        ta.rates = np.zeros((2, 5))


def test_rates_of_a_geometry_only_array(make_net) -> None:
    """Without rates the schedule is [0] and nothing is shown; rows given later show at once."""
    net = make_net()
    ta = net.create(ann.TimedArray(geometry=(2, 2)))
    net.compile()
    net.simulate(2)
    np.testing.assert_array_equal(ta.r, np.zeros((2, 2)))
    assert ta.schedule == [0.0]
    ta.rates = ROWS  # (n_inputs, size) is accepted for a 2-D geometry
    np.testing.assert_array_equal(ta.r, ROWS[0].reshape(2, 2))
    assert ta.rates.shape == (4, 2, 2)


# --------------------------------------------------------------------------------------------------
# update and reset


def test_update_resets_by_default(make_net, capsys: pytest.CaptureFixture[str]) -> None:
    net = make_net()
    ta = net.create(ann.TimedArray(rates=ROWS, name="upd"))
    net.compile()
    net.simulate(3)
    ta.update(3.0 * ROWS)
    assert "WARNING: TimedArray upd: update() resets the internal timers" in capsys.readouterr().err
    np.testing.assert_array_equal(ta.r, 3.0 * ROWS[0])  # block 0 is due now: shown at once
    assert (_slots(ta)["counter"], _slots(ta)["block"]) == (0, 0)
    net.simulate(2)
    np.testing.assert_array_equal(ta.r, 3.0 * ROWS[1])


def test_update_without_reset_continues(make_net) -> None:
    net = make_net()
    ta = net.create(ann.TimedArray(rates=ROWS, schedule=2.0))
    net.compile()
    net.simulate(3)  # tau = 3, b = 2
    ta.update(3.0 * ROWS, reset=False)
    assert (_slots(ta)["counter"], _slots(ta)["block"]) == (3, 2)
    np.testing.assert_array_equal(ta.r, 3.0 * ROWS[1])
    net.simulate(2)  # block 2 at step 4
    np.testing.assert_array_equal(ta.r, 3.0 * ROWS[2])
    assert ta.schedule == [0.0, 2.0, 4.0, 6.0]  # None: the current schedule


def test_update_with_a_new_schedule_and_period(make_net) -> None:
    net = make_net()
    ta = net.create(ann.TimedArray(rates=ROWS))
    net.compile()
    ta.update(ROWS[:2], schedule=3.0, period=5.0)
    assert ta.schedule == [0.0, 3.0]
    assert ta.period == 5.0
    shown = []
    for _ in range(10):
        net.simulate(1)
        shown.append(_shown(ta.r))
    assert shown == [0, 0, 0, 1, 1, 0, 0, 0, 1, 1]  # rows at tau 0 and 3, tau restarts every 5 steps
    with pytest.raises(ModelError, match="2 times but rates has only 1 rows"):
        ta.update(ROWS[:1])  # the current schedule has two times
    with pytest.raises(ModelError, match="do not fit"):
        ta.update(np.zeros((2, 3)))


def test_update_before_compile_sets_the_initial_rows(make_net) -> None:
    net = make_net()
    ta = net.create(ann.TimedArray(geometry=4))
    ta.update(ROWS, schedule=2.0)
    assert ta.schedule == [0.0, 2.0, 4.0, 6.0]
    net.compile()
    net.simulate(3)
    np.testing.assert_array_equal(ta.r, ROWS[1])


def test_reset_restores_the_initial_rows_schedule_and_period(make_net) -> None:
    net = make_net()
    ta = net.create(ann.TimedArray(rates=ROWS, period=3.0))
    net.compile()
    ta.update(2.0 * ROWS, schedule=2.0, period=-1.0)
    net.simulate(5)
    net.reset()
    np.testing.assert_array_equal(ta.r, np.zeros(4))
    assert ta.schedule == [0.0, 1.0, 2.0, 3.0]
    assert ta.period == 3.0
    np.testing.assert_array_equal(ta.rates, ROWS)
    shown = []
    for _ in range(4):
        net.simulate(1)
        shown.append(_shown(ta.r))
    assert shown == [0, 1, 2, 0]


def test_population_reset_restarts_the_timers(make_net) -> None:
    net = make_net()
    ta = net.create(ann.TimedArray(rates=ROWS))
    net.compile()
    net.simulate(3)
    ta.reset()
    assert (_slots(ta)["counter"], _slots(ta)["block"]) == (0, 0)
    np.testing.assert_array_equal(ta.r, np.zeros(4))
    net.simulate(1)
    np.testing.assert_array_equal(ta.r, ROWS[0])


def test_reset_keeps_rows_given_after_compile_to_an_empty_array(make_net) -> None:
    net = make_net()
    ta = net.create(ann.TimedArray(geometry=4))
    net.compile()
    ta.rates = ROWS
    net.reset()
    net.simulate(1)
    np.testing.assert_array_equal(ta.r, ROWS[0])


def test_a_disabled_array_keeps_its_timers(make_net) -> None:
    net = make_net()
    ta = net.create(ann.TimedArray(rates=ROWS))
    net.compile()
    net.simulate(2)
    ta.disable()
    net.simulate(5)
    np.testing.assert_array_equal(ta.r, ROWS[1])
    ta.enable()
    net.simulate(1)
    np.testing.assert_array_equal(ta.r, ROWS[2])


def test_delayed_projections_read_row_0_in_their_first_steps(make_net) -> None:
    """As the reference: compile fills the delay queue with the row in effect before r returns to 0.

    With a 3-step delay the target reads the queue (row 0) at steps 0-2, then r after step k - 3.
    """
    net = make_net()
    ta = net.create(ann.TimedArray(rates=ROWS))
    out = net.create(4, ann.Neuron(equations="r = sum(exc)"))
    net.connect(ta, out, "exc").one_to_one(weights=1.0, delays=3.0)
    m = net.monitor(out, "r")
    net.compile()
    net.simulate(6)
    assert [_shown(x) for x in m.get("r")] == [0, 0, 0, 0, 1, 2]


def test_save_and_load_restore_r(make_net, tmp_path) -> None:
    """``r`` cannot be set, but ``load()`` restores the saved row (the scheduler then goes on)."""
    net = make_net()
    ta = net.create(ann.TimedArray(rates=ROWS, schedule=3.0))
    net.compile()
    net.simulate(4)  # block 1 at step 3
    path = str(tmp_path / "net.npz")
    net.save(path)
    ta.save(str(tmp_path / "ta.npz"))
    net.reset()
    np.testing.assert_array_equal(ta.r, np.zeros(4))
    net.load(path)
    np.testing.assert_array_equal(ta.r, ROWS[1])
    net.reset()
    ta.load(str(tmp_path / "ta.npz"))
    np.testing.assert_array_equal(ta.r, ROWS[1])


@pytest.mark.parametrize(
    ("schedule", "refill"),
    [(None, 2), (2.0, 0)],
    ids=["same-schedule", "new-schedule"],
)
def test_update_refills_delay_queues_like_the_reference(make_net, schedule, refill: int) -> None:
    """update(reset=True) resets once, and again when the schedule changes (as the reference): each reset
    refills the delay queues with the initial row in effect at the counters it finds.

    After 2 steps (tau = 2, block 2, due now) the first reset refills with initial row 2; a second reset
    (tau = 0, block 0) refills with initial row 0. A 3-step delay reads the refill for three steps, then
    the new row 0 that the first step after the update shows.
    """
    net = make_net()
    ta = net.create(ann.TimedArray(rates=ROWS))
    out = net.create(4, ann.Neuron(equations="r = sum(exc)"))
    net.connect(ta, out, "exc").one_to_one(weights=1.0, delays=3.0)
    net.compile()
    net.simulate(2)
    ta.update(10.0 * ROWS, schedule=schedule)
    m = net.monitor(out, "r")
    net.simulate(4)
    queued = ROWS[refill]
    np.testing.assert_array_equal(m.get("r"), [queued, queued, queued, 10.0 * ROWS[0]])
