"""The host schedule of scheduled inputs (nnc.runtime.switches) counts steps as the native scheduler does."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from nnc.runtime.switches import HostSchedule

schedules = st.builds(
    lambda steps, period: HostSchedule(tuple(sorted(set(steps))), period),
    st.lists(st.integers(0, 12), min_size=1, max_size=4),
    st.integers(-1, 15),
)


def _state(s: HostSchedule) -> tuple[int, int]:
    return s.tau, s.block


@given(schedules, st.lists(st.integers(0, 20), max_size=6))
def test_advance_in_jumps_equals_step_by_step(schedule: HostSchedule, runs: list[int]) -> None:
    slow = HostSchedule(schedule.steps, schedule.period)
    for n in runs:
        schedule.advance(n)
        for _ in range(n):
            slow._one_step()
        assert _state(schedule) == _state(slow)


@given(schedules, st.integers(0, 30))
def test_run_length_stops_before_the_next_entry(schedule: HostSchedule, start: int) -> None:
    schedule.advance(start)
    length = schedule.run_length()
    probe = HostSchedule(schedule.steps, schedule.period, schedule.tau, schedule.block)
    probe._one_step()  # the next step: its entry is written before the run
    shown = []
    for _ in range(80):
        shown.append(probe.pending() is not None)
        probe._one_step()
        if shown[-1]:
            break
    if length is None:
        assert not any(shown)
    else:
        assert shown.index(True) + 1 == length
