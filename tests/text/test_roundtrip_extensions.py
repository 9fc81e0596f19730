"""The text form reads back the projections of the extensions: stencils (convolution, pooling, also
from spiking populations), copies and transposed projections (``shares=``), the accumulating
projections of a BOLD monitor (``specific``) and a NormProjection (``post_writes=``), at every stage."""

from __future__ import annotations

from stagekit import capture
from text.test_roundtrip import assert_module_round_trip

from nnc.passes.pipeline import default_pipeline

SCRIPT = """
import numpy as np
import nnc as ann
from nnc.extensions.bold import NormProjection
from nnc.extensions.convolution import Convolution, Copy, Pooling, Transpose

net = ann.Network(dt=1.0, seed=1)
inp = net.create((6, 6), ann.Neuron(parameters="r = 0.0"))
out = net.create((3, 3), ann.Neuron(equations="r = sum(exc) + sum(inh)"))
conv = net.create((6, 6), ann.Neuron(equations="r = sum(exc)"))
net.connect(Convolution(inp, conv, "exc")).connect_filter(np.ones((3, 3)), padding="border")
net.connect(Pooling(inp, out, "exc", operation="max")).pooling()
orig = net.connect(inp, out, "inh")
orig.fixed_probability(0.5, weights=1.0)
other = net.create((6, 6), ann.Neuron(parameters="r = 0.0"))
net.connect(Copy(other, out, "exc")).copy(orig)
net.connect(Transpose(orig, "exc")).transpose()
net.boldmonitor(populations=[inp, out], normalize_input=10.0)
spikes = net.create(ann.SpikeSourceArray(spike_times=[[1.0], [2.0]]))
post = net.create(2, ann.Neuron(equations="dnorm/dt = -norm", spike="norm > 10", reset=""))
net.connect(NormProjection(spikes, post, "exc", variable="norm")).all_to_all(weights=1.0)
src = net.create((4, 4), ann.Neuron(equations="dmask/dt = -mask", spike="mask > 10", reset="mask += 1"))
tgt = net.create((4, 4), ann.Neuron(equations="dv/dt = g_exc", spike="v > 1e9", reset=""))
net.connect(Convolution(src, tgt, "exc", psp="pre.mask * w")).connect_filter(np.ones((3, 3)))
net.compile()
"""


def test_every_stage_of_a_network_with_extensions(tmp_path):
    script = tmp_path / "extensions.py"
    script.write_text(SCRIPT)
    _, modules = capture(script)
    assert set(modules) == {"ir", *(p.name for p in default_pipeline())}
    last = modules[default_pipeline()[-1].name]
    printed = {p.name: p for p in last.projections}
    assert any(p.stencil is not None for p in printed.values())
    assert any(p.shares is not None for p in printed.values())
    assert any(p.specific for p in printed.values())
    assert any(p.post_writes == ("norm",) for p in printed.values())
    for stage, m in modules.items():
        try:
            assert_module_round_trip(m)
        except AssertionError as e:
            raise AssertionError(f"stage {stage}: {e}") from e
