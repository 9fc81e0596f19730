"""Neuron loops that call exp/log/sin/cos, with nnc's functions against the C library's (one JSON line).

Each model runs twice side by side on one thread: ``nnc`` with every function nnc implements listed in
:data:`nnc.ir.transcendental.DSL_MATH` (exp, log, sin, cos), ``libm`` with that table empty, so
the DSL functions become ``llvm.<f>`` intrinsics, i.e. scalar calls into the C library. Random draws
use nnc's functions in both. Each network is compiled into a fresh cache directory. Models:

* ``if_cond_exp``: IF_cond_exp with every parameter local (MODELS.md §2.3 equations, exponential
  method): two exp per neuron and step (v's and the conductances' decays), inputs from i_offset.
* ``hodgkin_huxley``: the Hodgkin-Huxley neuron of ANNarchy's example (explicit Euler): six exp per step.
* ``sine``: a rate neuron ``r = sin(omega*t + phi) + cos(omega*t)`` with local omega and phi.
* ``izhikevich``: the anchor's neuron with ``noise * Normal(0, 1)`` (log, sqrt and cos per draw).

Values are ns per neuron and step (medians of ``--repeats``) and ``speedup = libm / nnc``.
Usage: ``python benchmarks/math_neurons.py [--scale 1.0] [--steps 200] [--repeats 5]``.
"""

from __future__ import annotations

import argparse
import json
import tempfile

import numpy as np
from timing import median_seconds

import nnc as ann
from nnc.ir.functions import Func
from nnc.ir.transcendental import DSL_MATH, MathFn

ALL_NNC = {Func.EXP: MathFn.EXP, Func.LOG: MathFn.LOG, Func.SIN: MathFn.SIN, Func.COS: MathFn.COS}


def _local(**values: float) -> dict[str, object]:
    return {k: ann.Parameter(v, locality="local") for k, v in values.items()}


def _if_cond_exp() -> ann.Neuron:
    return ann.Neuron(
        parameters=_local(
            v_rest=-65.0,
            cm=1.0,
            tau_m=20.0,
            tau_syn_E=5.0,
            tau_syn_I=5.0,
            v_thresh=-50.0,
            v_reset=-65.0,
            i_offset=0.0,
            e_rev_E=0.0,
            e_rev_I=-70.0,
        ),
        equations=[
            "cm * dv/dt = cm/tau_m*(v_rest - v) + g_exc * (e_rev_E - v) + g_inh * (e_rev_I - v)"
            " + i_offset : exponential, init=-65.0",
            "tau_syn_E * dg_exc/dt = - g_exc : exponential",
            "tau_syn_I * dg_inh/dt = - g_inh : exponential",
        ],
        spike="v > v_thresh",
        reset="v = v_reset",
    )


def _hodgkin_huxley() -> ann.Neuron:
    return ann.Neuron(
        parameters=_local(C=1.0, VL=-59.387, VK=-82.0, VNa=45.0, gK=36.0, gNa=120.0, gL=0.3, vt=30.0, I=0.0),
        equations=[
            "prev_V = V",
            "an = 0.01 * (V + 60.0) / (1.0 - exp(-0.1 * (V + 60.0)))",
            "am = 0.1 * (V + 45.0) / (1.0 - exp(-0.1 * (V + 45.0)))",
            "ah = 0.07 * exp(-0.05 * (V + 70.0))",
            "bn = 0.125 * exp(-0.0125 * (V + 70.0))",
            "bm = 4.0 * exp(-(V + 70.0) / 80.0)",
            "bh = 1.0 / (1.0 + exp(-0.1 * (V + 40.0)))",
            "dn/dt = an * (1.0 - n) - bn * n : init = 0.3",
            "dm/dt = am * (1.0 - m) - bm * m : init = 0.0",
            "dh/dt = ah * (1.0 - h) - bh * h : init = 0.6",
            "C * dV/dt = gL * (VL - V) + gK * n**4 * (VK - V) + gNa * m**3 * h * (VNa - V) + I"
            " : init = -50.0",
        ],
        spike="(V > vt) and (prev_V <= vt)",
        reset="",
    )


def _sine() -> ann.Neuron:
    return ann.Neuron(
        parameters=_local(omega=0.01, phi=0.0), equations=["r = sin(omega*t + phi) + cos(omega*t)"]
    )


def _izhikevich() -> ann.Neuron:
    return ann.Neuron(
        parameters=_local(noise=5.0, a=0.02, b=0.2, c=-65.0, d=2.0) | {"v_thresh": 30.0},
        equations=[
            "I = g_exc - g_inh + noise * Normal(0.0, 1.0)",
            "dv/dt = 0.04 * v^2 + 5.0 * v + 140.0 - u + I : init = -65.0",
            "du/dt = a * (b*v - u) : init = -13.0",
        ],
        spike="v >= v_thresh",
        reset="v = c\nu += d",
    )


def _setup(model: str, pop: object, gen: np.random.Generator) -> None:
    """Per-neuron parameters so every neuron computes something different."""
    n = pop.size
    match model:
        case "if_cond_exp":
            pop.i_offset = gen.uniform(0.0, 1.0, n)
        case "hodgkin_huxley":
            pop.I = gen.uniform(0.0, 10.0, n)
        case "sine":
            pop.omega = gen.uniform(0.001, 0.1, n)
            pop.phi = gen.uniform(0.0, 6.0, n)


MODELS = {
    "if_cond_exp": (_if_cond_exp, 100_000),
    "hodgkin_huxley": (_hodgkin_huxley, 100_000),
    "sine": (_sine, 100_000),
    "izhikevich": (_izhikevich, 1000),
}


def _seconds(model: str, n: int, steps: int, repeats: int) -> float:
    build, _ = MODELS[model]
    net = ann.Network(dt=1.0, seed=1)
    pop = net.create(geometry=n, neuron=build())
    _setup(model, pop, np.random.default_rng(2))
    with tempfile.TemporaryDirectory() as cache:
        net.compile(directory=cache, silent=True)
    return median_seconds(lambda: net.simulate(steps), repeats, warmup=True)


def main() -> None:
    """Measure every model with both tables and print one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies every population size")
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=5)
    opts = parser.parse_args()
    saved = dict(DSL_MATH)
    result: dict[str, object] = {"steps": opts.steps, "repeats": opts.repeats}
    try:
        for model, (_, size) in MODELS.items():
            n = max(1, int(size * opts.scale))
            ns = {}
            for impl, table in (("nnc", ALL_NNC), ("libm", {})):
                DSL_MATH.clear()
                DSL_MATH.update(table)
                ns[impl] = _seconds(model, n, opts.steps, opts.repeats) / (n * opts.steps) * 1e9
                result[f"{model}_{impl}_ns"] = round(ns[impl], 2)
            result[f"{model}_n"] = n
            result[f"{model}_speedup"] = round(ns["libm"] / ns["nnc"], 2)
    finally:
        DSL_MATH.clear()
        DSL_MATH.update(saved)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
