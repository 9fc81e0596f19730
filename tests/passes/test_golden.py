"""Golden stage dumps: the printed module after each pass, for a few representative models.

Regenerate with ``pytest tests/passes/test_golden.py --update-golden`` and review the diff.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from ir.irkit import attrs, module, neuron, synapse

from nnc.ir.model import Module
from nnc.ir.printer import print_module
from nnc.passes.bounds import Bounds
from nnc.passes.discretise import Discretise
from nnc.passes.pipeline import run_pipeline
from nnc.passes.simplify import Simplify

GOLDEN = Path(__file__).parent.parent / "golden"
PASSES = (Discretise(), Simplify(), Bounds())


def _input() -> object:
    return neuron("Input", attrs("v r l"), ["r = r"])


def leaky() -> Module:
    """MODELS.md §1 LeakyIntegrator fed by an input population."""
    li = neuron(
        "LeakyIntegrator",
        attrs("p tau g, p B l, p T g, v v l, v r l"),
        ["tau*dv/dt + v = sum(exc) - sum(inh) + B : exponential", "r = pos(v - T)"],
    )
    inp = _input()
    syn = synapse("Default", attrs("p w l"), [], inp, li)
    return module([(inp, 4), (li, 3)], [(0, 1, "exc", syn), (0, 1, "inh", syn)])


def coupled() -> Module:
    """SEMANTICS.md §19 #23 with the implicit method, v bounded."""
    spec = attrs("p tau g, p I g, v v l, v u l, v r l", v=("-1.0", "1.0"))
    n = neuron(
        "Coupled", spec, ["tau*dv/dt = -v - u + I : implicit", "tau*du/dt = -u + I : implicit", "r = v"]
    )
    return module([(n, 2)])


def izhikevich() -> Module:
    """The explicit ODE block of MODELS.md §2.1 (rate-coded here: spike and reset are not passes' work)."""
    spec = attrs("p a l, p b l, p i_offset l, v g_exc l, v g_inh l, v I l, v v l, v u l, v r l")
    n = neuron(
        "Izhikevich",
        spec,
        [
            "I = g_exc - g_inh + i_offset",
            "dv/dt = 0.04 * v**2 + 5.0 * v + 140.0 - u + I",
            "du/dt = a * (b*v - u)",
            "r = v",
        ],
    )
    return module([(n, 2)])


def oja() -> Module:
    """A learning rule: coupled midpoint synaptic ODEs with a bounded weight."""
    inp, out = _input(), neuron("Out", attrs("v r l"), ["r = sum(exc)"])
    syn = synapse(
        "Oja",
        attrs("p tau g, p alpha g, v w l, v x l", w=("0.0", None)),
        [
            "tau*dw/dt = pre.r*post.r - alpha*post.r**2*w + x : midpoint",
            "tau*dx/dt = -x + pre.r : midpoint",
        ],
        inp,
        out,
    )
    return module([(inp, 3), (out, 2)], [(0, 1, "exc", syn)])


MODELS = {"leaky": leaky, "coupled": coupled, "izhikevich": izhikevich, "oja": oja}


def stages(m: Module) -> dict[str, str]:
    out: dict[str, str] = {}
    run_pipeline(m, PASSES, lambda name, mod: out.__setitem__(name, print_module(mod)))
    return out


@pytest.mark.parametrize("name", list(MODELS))
def test_golden_stages(name: str, update_golden: bool):
    folder = GOLDEN / name
    for stage, text in stages(MODELS[name]()).items():
        path = folder / f"{stage}.ir"
        if update_golden:
            folder.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        assert path.exists(), f"missing {path}: run pytest --update-golden"
        assert text == path.read_text(), f"{path} differs: review and run pytest --update-golden"
