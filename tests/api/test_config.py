"""Configuration keys (API.md §3): validation, defaults, setup() copied into networks, script flags."""

from __future__ import annotations

import numpy as np
import pytest

import nnc as ann
from nnc.api.config import DEFAULTS, Config, Warnings, flags_from_argv, updated
from nnc.diagnostics import ModelError
from nnc.ir.types import Format, Method, Precision


def test_defaults_match_the_reference() -> None:
    c = Config()
    assert (c.dt, c.seed, c.method, c.num_threads, c.paradigm) == (1.0, None, Method.EXPLICIT, 1, "openmp")
    assert c.dtype is Precision.F64
    assert c.engine == "llvm"
    assert c.format_hint is None


@pytest.mark.parametrize(
    ("value", "precision"),
    [
        (ann.float32, Precision.F32),
        (ann.float64, Precision.F64),
        ("float", Precision.F32),
        ("double", Precision.F64),
    ],
)
def test_dtype_maps_to_precision(value: object, precision: Precision) -> None:
    assert updated(Config(), {"dtype": value}, Warnings()).dtype is precision


def test_method_names_and_rk4_alias() -> None:
    w = Warnings()
    assert updated(Config(), {"method": "runge-kutta4"}, w).method is Method.RK4
    assert updated(Config(), {"method": "exponential"}, w).method is Method.EXPONENTIAL
    with pytest.raises(ModelError, match="method"):
        updated(Config(), {"method": "euler"}, w)


def test_format_hints() -> None:
    w = Warnings()
    assert updated(Config(), {"sparse_matrix_format": "dense"}, w).format_hint is Format.DENSE
    assert updated(Config(), {"sparse_matrix_format": "lil"}, w).format_hint is Format.CSR
    assert updated(Config(), {"sparse_matrix_format": "ellr"}, w).format_hint is Format.ELL
    with pytest.raises(ModelError, match="sparse_matrix_format"):
        updated(Config(), {"sparse_matrix_format": "csc"}, w)


def test_precision_key_is_an_error() -> None:
    with pytest.raises(ModelError, match="dtype"):
        updated(Config(), {"precision": "float"}, Warnings())


@pytest.mark.parametrize(("key", "value"), [("dt", 0.0), ("dt", -1.0), ("num_threads", 0), ("seed", -3)])
def test_invalid_values_error(key: str, value: object) -> None:
    with pytest.raises(ModelError, match=key):
        updated(Config(), {key: value}, Warnings())


def test_unknown_key_warns_once(capsys: pytest.CaptureFixture[str]) -> None:
    w = Warnings()
    cfg = updated(Config(), {"no_such_key": 1}, w)
    updated(cfg, {"no_such_key": 2}, w)
    err = capsys.readouterr().err
    assert err.count("WARNING: config: unknown key 'no_such_key' ignored") == 1


def test_suppress_warnings_silences(capsys: pytest.CaptureFixture[str]) -> None:
    cfg = updated(Config(), {"suppress_warnings": True}, Warnings())
    updated(cfg, {"no_such_key": 1}, Warnings())
    assert capsys.readouterr().err == ""


def test_performance_keys_warn(capsys: pytest.CaptureFixture[str]) -> None:
    updated(Config(), {"disable_SIMD_Eq": True}, Warnings())
    assert "cross-checked" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "flags"),
    [
        (["-j", "4"], {"num_threads": 4}),
        (["-j2"], {"num_threads": 2}),
        (["--num-threads=3", "--other"], {"num_threads": 3}),
        (["--gpu"], {"paradigm": "cuda"}),
        (["--gpu=1", "-v", "-c"], {"paradigm": "cuda"}),
        (["--threads", "4", "x.py"], {}),
    ],
)
def test_script_flags(argv: list[str], flags: dict[str, object]) -> None:
    assert flags_from_argv(argv) == flags


def test_setup_is_copied_into_new_networks_only() -> None:
    saved = DEFAULTS.config
    try:
        before = ann.Network(seed=1)
        ann.setup(dt=0.25, method="midpoint")
        after = ann.Network(seed=1)
        assert before.dt == 1.0
        assert after.dt == 0.25
        assert after._config.method is Method.MIDPOINT
    finally:
        DEFAULTS.config = saved


def test_setup_seed_seeds_numpy_and_new_networks() -> None:
    saved = DEFAULTS.config
    try:
        ann.setup(seed=123)
        first = np.random.random()
        np.random.seed(123)
        assert first == np.random.random()
        assert ann.Network().seed == 123
    finally:
        DEFAULTS.config = saved


def test_network_config_changes_only_that_network() -> None:
    a, b = ann.Network(seed=1), ann.Network(seed=1)
    a.config(dt=0.5, dtype=ann.float32)
    assert (a.dt, b.dt) == (0.5, 1.0)
    assert a._config.dtype is Precision.F32
    assert a._real_dtype == np.float32


def test_config_seed_recreates_the_default_rng() -> None:
    net = ann.Network(seed=5)
    net.config(seed=7)
    assert net.seed == 7
    assert net.default_rng.random() == np.random.default_rng(7).random()
