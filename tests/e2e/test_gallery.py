"""Every gallery script of examples/ runs with ``--quick``, prints its key numbers, and draws its figure.

Each script runs in a subprocess (``MPLBACKEND=Agg``) with ``--json``; its numbers are checked against
values with a stated source:

* analytic -- a closed form or a recursion computed by hand from the model's equations;
* independent -- the same model computed another way inside the script (SciPy, NumPy), whose agreement
  the script prints;
* paper -- the published behaviour of the model (a range, since the scripts' parameters are stated
  in their docstrings and the runs are short);
* reference -- the same script run on ANNarchy 5.0.4.1 with ``benchmarks/compare/gallery/run.py``
  (``--quick``; the values are in the comments). Deterministic networks give the same spikes there.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("matplotlib")

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
#: Scripts of examples/ that are not gallery scripts (README's first example, the shared helper).
NOT_GALLERY = {"_gallery", "leaky_field"}


def between(low: float, high: float):
    return lambda x: low <= x <= high


def near(value: float, rel: float):
    return lambda x: abs(x - value) <= rel * abs(value)


#: script -> {key number: (check, source)}
EXPECTED: dict[str, dict[str, tuple]] = {
    "coba": {
        # reference (--quick, 500 ms, seed 42): the same 40092 spikes, 19.94 / 20.47 Hz
        "spikes": (lambda x: x == 40092, "reference: identical spikes"),
        "excitatory rate (Hz)": (between(18.0, 22.0), "paper: Vogels & Abbott 2005, about 20 Hz"),
        "mean CV of the ISIs": (between(0.8, 1.6), "paper: asynchronous irregular firing, CV near 1"),
    },
    "cuba": {
        # reference (--quick, 500 ms, seed 42): the same 11330 spikes, 5.66 / 5.67 Hz
        "spikes": (lambda x: x == 11330, "reference: identical spikes"),
        "excitatory rate (Hz)": (between(3.0, 10.0), "paper: sparse irregular firing (a few Hz)"),
    },
    "izhikevich_network": {
        "excitatory rate (Hz)": (between(6.0, 14.0), "paper + reference: about 8-10 Hz"),
        "inhibitory rate (Hz)": (between(6.0, 20.0), "paper + reference"),
        "rhythm peak (Hz)": (between(4.0, 15.0), "paper: alpha-band rhythm (Fig. 3)"),
    },
    "hodgkin_huxley": {
        "largest relative deviation from SciPy": (lambda x: x < 1e-4, "independent: SciPy LSODA, rtol 1e-9"),
        "lowest current that fires repetitively (uA/cm2)": (
            lambda x: x == 7.0,
            "paper/analytic: repetitive firing from about 6.3 uA/cm2 (first integer current above: 7)",
        ),
        "rate at 10 uA/cm2 (Hz)": (near(68.3, 0.01), "independent: SciPy gives 68.32 Hz"),
    },
    "adex": {
        # reference (--quick, 300 ms, dt = 0.01): the same spike counts for every pattern
        "spikes: tonic": (lambda x: x == 30, "reference"),
        "spikes: adapting": (lambda x: x == 8, "reference"),
        "spikes: initial burst": (lambda x: x == 7, "reference"),
        "spikes: regular bursting": (lambda x: x == 6, "reference"),
        "spikes: transient": (lambda x: x == 1, "reference"),
        "adaptation index: tonic": (lambda x: abs(x) < 0.01, "paper: tonic firing does not adapt"),
        "adaptation index: adapting": (lambda x: x > 0.05, "paper: the intervals lengthen"),
    },
    "stp": {
        "largest difference from the recursion": (lambda x: x < 1e-12, "analytic: the model's recursion"),
        "depressing: 10th / 1st amplitude": (lambda x: x < 0.2, "paper: depression"),
        "facilitating: 10th / 1st amplitude": (lambda x: x > 2.0, "paper: facilitation"),
    },
    "stdp": {
        "output rate, first window (Hz)": (between(60.0, 120.0), "reference: 80-95 Hz at the start"),
        "output rate, last window (Hz)": (between(15.0, 60.0), "paper: STDP lowers the rate (Fig. 3)"),
        "weights below 0.2 gmax (fraction)": (lambda x: x > 0.25, "paper: weights move to 0 (uniform: 0.2)"),
    },
    "gap_junctions": {
        "chi uncoupled": (lambda x: x < 0.25, "analytic: independent neurons give chi near 1/sqrt(50)"),
        "chi coupled": (lambda x: x > 0.8, "paper: gap junctions synchronise (reference: 0.92)"),
        "rate spread coupled (Hz)": (lambda x: x < 0.5, "paper: one common rate"),
    },
    "oja": {
        "|cos(w, first principal component)|": (lambda x: x > 0.97, "analytic: Oja (1982)"),
        "mean |w| over the second half": (near(0.9747, 0.03), "analytic: sqrt(rho / alpha)"),
    },
    "bcm": {
        "mean preferred response, last quarter": (near(4.0, 0.15), "analytic: r* = K"),
        "largest response to another pattern": (lambda x: x < 0.05, "analytic: selectivity, r = 0"),
    },
    "neural_field": {
        "mean distance bump - stimulus A (neurons)": (lambda x: x < 3.0, "paper: the bump tracks A"),
        "largest activity at stimulus B": (lambda x: x < 0.05, "paper: one bump (competition)"),
    },
    "parameter_sweep": {
        "copies": (lambda x: x == 4, "the sweep"),
        "largest relative deviation from the analytic rate": (
            lambda x: x < 0.005,
            "analytic: 1/(t_ref + tau ln(I/(I-1))); bound dt / shortest ISI = 0.003",
        ),
    },
    "reservoir": {
        "largest state difference from NumPy": (lambda x: x < 1e-12, "independent: the NumPy reservoir"),
        "test NRMSE (10 steps ahead)": (lambda x: x < 0.1, "paper: Jaeger & Haas 2004, small errors"),
    },
    "dump_ir_tour": {
        "ODEs in the ir stage": (lambda x: x == 3, "the model: v and u of Izhikevich, v of the field"),
        "ODEs left after discretise": (lambda x: x == 0, "the discretise pass's postcondition"),
        "kernels merged by fuse": (lambda x: x >= 1, "the fuse pass: spike emission into the update"),
    },
    "hybrid": {
        # reference (--quick): decoding difference 0 as well (the same window), z^2 0.966, RMS ratio 0.976
        "largest decoding difference from the spike counts": (
            lambda x: x < 1e-9,
            "analytic: DecodingProjection's window count, recomputed from the recorded spikes",
        ),
        "mean squared z-score of the spike counts": (
            between(0.9, 1.1),
            "analytic: binomial counts (about 7000 samples: 1 +- 0.02)",
        ),
        "z-score of the total spike count": (between(-4.0, 4.0), "analytic: binomial total"),
        "spikes at zero rate": (lambda x: x == 0, "analytic: probability 0"),
        "RMS error / Poisson prediction": (between(0.85, 1.15), "analytic: the window's binomial noise"),
    },
    "bar_learning": {
        # reference (--quick): 16 bars as well, the same initial contrast (0.0604), 0.4997 after (nnc 0.5074:
        # the competition amplifies the last bits of exp)
        "bars represented by one neuron each": (lambda x: x == 16, "paper: Foldiak 1990, a complete code"),
        "receptive field contrast, after": (lambda x: x > 0.4, "paper: each weight vector becomes a bar"),
        "largest response to a bar of another neuron": (lambda x: x < 0.05, "paper: one unit per bar"),
    },
    "structural_plasticity": {
        # reference (--quick): the same numbers (62 synapses, then the 16 pairs; last pruning in 16.1-16.2 s)
        "co-active pairs with a synapse at the end": (lambda x: x == 16, "analytic: every pair is created"),
        "synapses off the co-active pairs at the end": (lambda x: x == 0, "analytic: all decay and go"),
        "synapses off the co-active pairs at the start": (lambda x: x > 30, "the random start"),
        "last pruning minus the prediction (ms)": (
            lambda x: x == 0.0,
            "analytic: Euler decay below 0.01 after 16094 steps, the rule due at step 16100",
        ),
    },
    "bold": {
        # reference (--quick; other Poisson streams): peak 2.65 %, 3.71 s after the onset, undershoot -0.65 %
        "largest difference from Runge-Kutta / peak": (
            lambda x: x < 5e-3,
            "independent: the balloon ODEs by RK4 in NumPy; explicit Euler's error is of order dt/tau",
        ),
        "peak latency after the onset (s)": (between(2.0, 7.0), "paper: Stephan et al. 2007, a few seconds"),
        "undershoot (%)": (lambda x: x < 0.0, "paper: the post-stimulus undershoot of the balloon model"),
        "BOLD peak (%)": (between(0.5, 6.0), "paper: a few percent"),
    },
    "convolution": {
        # reference (--quick): the same winners, and its maps equal SciPy's too
        "largest difference of the feature maps from SciPy": (
            lambda x: x < 1e-12,
            "independent: scipy.signal.correlate on the edge-padded image",
        ),
        "largest difference of the pooled maps from NumPy": (lambda x: x < 1e-12, "independent: NumPy max"),
        "strongest filter on the horizontal grating (degrees)": (lambda x: x == 0.0, "analytic: orientation"),
        "strongest filter on the vertical grating (degrees)": (lambda x: x == 90.0, "analytic: orientation"),
        "strongest filter on the oblique (45 degrees) grating (degrees)": (
            lambda x: x == 45.0,
            "analytic: orientation",
        ),
        "gratings that select the filter of their orientation": (lambda x: x == 3, "analytic: orientation"),
    },
    "basal_ganglia": {
        "selected channel before 500 ms": (lambda x: x == 2, "analytic: the largest salience"),
        "selected channel after 500 ms": (lambda x: x == 4, "analytic: the largest salience"),
        "GPi of the winner": (lambda x: x < 0.01, "paper: disinhibition of the winner"),
        "lowest GPi of the losers": (lambda x: x > 0.3, "paper: the losers stay inhibited"),
        "largest difference from the NumPy steady state": (lambda x: x < 1e-4, "independent: NumPy"),
    },
}


def gallery_scripts() -> list[str]:
    return sorted(p.stem for p in EXAMPLES.glob("*.py") if p.stem not in NOT_GALLERY)


def test_every_gallery_script_has_checks() -> None:
    assert set(gallery_scripts()) == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_gallery_script(name: str, tmp_path: Path) -> None:
    out = tmp_path / f"{name}.json"
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONPATH=str(ROOT))
    proc = subprocess.run(
        [sys.executable, str(EXAMPLES / f"{name}.py"), "--quick", "--out", str(tmp_path), "--json", str(out)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    numbers = json.loads(out.read_text())
    for key in numbers:
        assert key in proc.stdout, f"{name}: '{key}' is not printed"
    for key, (check, source) in EXPECTED[name].items():
        assert key in numbers, f"{name}: no key number '{key}'"
        assert check(numbers[key]), f"{name}: {key} = {numbers[key]} ({source})"
    figure = tmp_path / f"{name}.png"
    assert figure.exists(), f"{name}: no figure"
    assert figure.stat().st_size > 10_000, f"{name}: the figure is nearly empty"
