"""TimedArray end to end on both engines: SEMANTICS.md §19 example 13 (all four variants), the whole
recorded sequences behind it, several threads, and float32.

Example 13: a TimedArray of 10 one-hot rows feeds ``r = sum(exc)`` one-to-one with weight 1, so the output
at step k is the TimedArray's ``r`` after step k - 1 (SEMANTICS §2: one step of lag per projection).
"""

from __future__ import annotations

import numpy as np
import pytest

import nnc as ann

ROWS = np.eye(10)


def _chain(make_net, rows: np.ndarray = ROWS, **kwargs: object):
    net = make_net()
    inp = net.create(ann.TimedArray(rates=rows, **kwargs))
    out = net.create(rows.shape[1], ann.Neuron(equations="r = sum(exc)"))
    net.connect(inp, out, "exc").one_to_one(weights=1.0)
    return net, inp, out


@pytest.mark.parametrize(
    ("kwargs", "steps", "row"),
    [
        ({}, 11, 9),
        ({"schedule": 10.0}, 21, 1),
        ({"period": 10.0}, 12, 0),
        ({"schedule": 2.0, "period": 20.0}, 25, 1),
    ],
    ids=["default", "schedule", "period", "schedule+period"],
)
def test_semantics_example_13(make_net, kwargs: dict, steps: int, row: int) -> None:
    net, _, out = _chain(make_net, **kwargs)
    net.compile()
    net.simulate(steps)
    np.testing.assert_array_equal(out.r, ROWS[row])


def _shown(record: np.ndarray) -> list[int]:
    """Row index shown at each recorded step (-1: all zeros)."""
    return [int(np.argmax(x)) if x.any() else -1 for x in record]


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        # one row per step, then the last row stays
        ({}, [*range(10), *[9] * 5]),
        # rows at steps 0, 10, 20
        ({"schedule": 10.0}, [*[0] * 10, *[1] * 5]),
        # ten rows, period 10: row k mod 10
        ({"period": 10.0}, [k % 10 for k in range(15)]),
        # rows at steps 0, 2, ..., 18, period 20: row (k mod 20) // 2
        ({"schedule": 2.0, "period": 20.0}, [(k % 20) // 2 for k in range(15)]),
    ],
    ids=["default", "schedule", "period", "schedule+period"],
)
def test_recorded_sequences(make_net, kwargs: dict, expected: list[int]) -> None:
    """The timed array shows the listed row after step k; its target shows it one step later."""
    net, inp, out = _chain(make_net, **kwargs)
    m_in, m_out = net.monitor(inp, "r"), net.monitor(out, "r")
    net.compile()
    net.simulate(15)
    assert _shown(m_in.get("r")) == expected
    assert _shown(m_out.get("r")) == [-1, *expected[:-1]]


@pytest.mark.parametrize("threads", [2, 3])
def test_threads_give_the_same_rows(make_net, threads: int) -> None:
    """A 70-neuron array split between threads (every row different), against one thread."""
    rows = np.arange(6 * 70, dtype=np.float64).reshape(6, 70) / 7.0
    records = []
    for n in (1, threads):
        net, inp, _ = _chain(make_net, rows, schedule=[0.0, 1.0, 3.0, 4.0, 6.0], period=8.0)
        net.config(num_threads=n)
        m = net.monitor(inp, "r")
        net.compile()
        net.simulate(20)
        records.append(m.get("r"))
    np.testing.assert_array_equal(records[0], records[1])
    np.testing.assert_array_equal(records[0][3], rows[2])  # step 3: the third scheduled row


def test_float32_rows_are_rounded_once(make_net) -> None:
    rows = np.array([[0.1, 1.0 / 3.0], [np.pi, -2.5]])
    net, inp, _ = _chain(make_net, rows)
    net.config(dtype=ann.float32)
    net.compile()
    net.simulate(2)
    np.testing.assert_array_equal(inp.r, rows[1].astype(np.float32).astype(np.float64))
