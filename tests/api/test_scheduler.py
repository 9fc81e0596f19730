"""Recording-capacity and callback arithmetic of the runtime driver, against brute-force enumeration."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from nnc.runtime.scheduler import CallbackTiming, callback_firings, run_with_callbacks, samples_in, steps_for


@given(
    k=st.integers(0, 300),
    n=st.integers(0, 120),
    origin=st.integers(0, 300),
    period=st.integers(1, 40),
    offset=st.integers(0, 39),
)
def test_samples_in_counts_every_recording_step(
    k: int, n: int, origin: int, period: int, offset: int
) -> None:
    offset %= period
    expected = sum(1 for j in range(k, k + n) if (j - origin) % period == offset)
    assert samples_in(k, n, origin, period, offset) == expected


def test_samples_in_semantics_examples() -> None:
    # SEMANTICS §19 ex. 2: period 10 from step 0, 100 steps -> samples at 0, 10, ..., 90
    assert samples_in(0, 100, 0, 10, 0) == 10
    # ex. 3: recording started at step 10, 10 steps -> 10 samples
    assert samples_in(10, 10, 10, 1, 0) == 10
    # split runs add up: [0, 37) + [37, 100)
    assert samples_in(0, 37, 0, 10, 0) + samples_in(37, 63, 0, 10, 0) == 10


def test_steps_for_uses_ceil_without_callbacks_and_int_with() -> None:
    # SEMANTICS §1: simulate(0.3) with dt = 0.1 runs 3 steps (0.3/0.1 = 2.9999999999999996), 2 with callbacks
    assert 0.3 / 0.1 < 3
    assert steps_for(0.3, 0.1, with_callbacks=False) == 3
    assert steps_for(0.3, 0.1, with_callbacks=True) == 2
    assert steps_for(100.0, 0.1, with_callbacks=False) == math.ceil(100.0 / 0.1)


def test_callback_firings_follow_the_formula() -> None:
    # period 2 ms, offset 1 ms, wait 3 ms, dt 1: fires at k0 + 3 + 1 + 2m < k0 + 10
    timings = [CallbackTiming(2.0, 1.0, 3.0), CallbackTiming(5.0, 0.0, 0.0)]
    events = callback_firings(timings, 100, 10, 1.0)
    assert events == [(100, 1, 0), (104, 0, 0), (105, 1, 1), (106, 0, 1), (108, 0, 2)]


def test_callback_negative_offset_counts_from_the_end_of_the_period() -> None:
    # O = int(-1/1) mod 4 = 3 (Python modulo)
    assert callback_firings([CallbackTiming(4.0, -1.0, 0.0)], 0, 12, 1.0) == [
        (3, 0, 0),
        (7, 0, 1),
        (11, 0, 2),
    ]


def test_callback_period_is_at_least_dt() -> None:
    assert [e[0] for e in callback_firings([CallbackTiming(0.01, 0.0, 0.0)], 0, 3, 0.5)] == [0, 1, 2]


def test_run_with_callbacks_splits_the_run_before_each_firing() -> None:
    log: list[object] = []

    def run(n: int) -> int:
        log.append(("run", n))
        return n

    done = run_with_callbacks(
        run, 10, 7, [(10, 0, 0), (13, 1, 0), (13, 0, 1)], lambda i, n: log.append((i, n))
    )
    assert done == 7
    assert log == [(0, 0), ("run", 3), (1, 0), (0, 1), ("run", 4)]
