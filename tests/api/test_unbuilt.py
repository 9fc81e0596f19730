"""API names nnc does not implement yet exist and raise NotImplementedError naming what is missing."""

from __future__ import annotations

import pytest

import nnc as ann


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("HomogeneousCorrelatedSpikeTrains", (10, 5.0, 0.1, 10.0)),
        ("DecodingProjection", (None, None, "exc")),
    ],
)
def test_spiking_inputs_say_they_need_the_spiking_runtime(name: str, args: tuple):
    with pytest.raises(NotImplementedError, match=f"{name} is not built yet: it needs the spiking runtime"):
        getattr(ann, name)(*args)


@pytest.mark.parametrize("name", ["timeit", "report"])
def test_reporting_functions_are_not_built(name: str):
    with pytest.raises(NotImplementedError, match=f"{name} is not built yet"):
        getattr(ann, name)()
