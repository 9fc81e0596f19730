"""API names nnc does not implement yet exist and raise NotImplementedError naming what is missing."""

from __future__ import annotations

import pytest

import nnc as ann


@pytest.mark.parametrize("name", ["timeit", "report"])
def test_reporting_functions_are_not_built(name: str):
    with pytest.raises(NotImplementedError, match=f"{name} is not built yet"):
        getattr(ann, name)()
