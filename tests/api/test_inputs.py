"""InputArray (API.md §10): r set from Python, kept across steps, recordable, feeding projections."""

from __future__ import annotations

import numpy as np
import pytest

import nnc as ann
from nnc.diagnostics import ModelError


def test_input_array_drives_a_projection(make_net) -> None:
    net = make_net()
    inp = net.create(ann.InputArray(geometry=(2, 2), name="input"))
    out = net.create(1, ann.Neuron(equations="r = sum(exc)"))
    net.connect(inp, out, "exc").all_to_all(weights=1.0)
    m = net.monitor(inp, "r")
    net.compile()
    inp.r = [[1.0, 2.0], [3.0, 4.0]]
    net.simulate(3)
    np.testing.assert_array_equal(inp.r, [[1.0, 2.0], [3.0, 4.0]])
    assert out.r[0] == 10.0
    assert m.get("r").shape == (3, 2, 2)
    assert inp.name == "input"
    assert inp.network is net


def test_input_array_needs_a_geometry() -> None:
    with pytest.raises(ModelError):
        ann.InputArray()
