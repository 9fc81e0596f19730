"""``nnc dump-ir --graph``: the compiled step of gallery scripts as Graphviz DOT."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from nnc.cli import main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def graph(capsys, script: str, *extra: str) -> str:
    code = main(["dump-ir", str(EXAMPLES / script), "--graph", *extra, "--", "--quick", "--no-figure"])
    out = capsys.readouterr().out
    assert code == 0, out
    return out[out.index("digraph ") :]  # after what the script printed before it compiled


def check_structure(dot: str) -> tuple[set[str], list[tuple[str, str]]]:
    """Balanced braces; every edge joins declared nodes. Returns (nodes, edges)."""
    assert dot.startswith('digraph "network" {')
    assert dot.count("{") == dot.count("}")
    nodes = set(re.findall(r"^\s+(\w+) \[", dot, flags=re.M))
    edges = re.findall(r"^\s+(\w+) -> (\w+) \[", dot, flags=re.M)
    for a, b in edges:
        assert a in nodes, a
        assert b in nodes, b
    return nodes, edges


def phases_in_order(dot: str) -> list[int]:
    return [int(p) for p in re.findall(r"subgraph cluster_phase(\d+)", dot)]


def test_the_stdp_step(capsys):
    dot = graph(capsys, "stdp.py")
    nodes, edges = check_structure(dot)
    assert {"pop0", "pop1", "pop2"} <= nodes
    assert ("pop0", "pop2") in edges  # the plastic projection
    assert "proj0: exc\\ncsr, 1000 synapses, no delay" in dot
    assert phases_in_order(dot) == [2, 5, 9]  # transmission, neuron updates, post-synaptic events
    assert 'label="pop2.update\\n8 statements\\nfused: pop2.spike", peripheries=2' in dot
    assert 'label="proj0.post_events\\n6 statements"' in dot


def test_before_fusion_spike_emission_is_a_kernel_of_its_own(capsys):
    dot = graph(capsys, "stdp.py", "--stage", "ir")
    check_structure(dot)
    assert "pop2.spike" in dot
    assert "fused:" not in dot


def test_a_rate_network_shows_its_formats(capsys):
    dot = graph(capsys, "dump_ir_tour.py")
    nodes, _ = check_structure(dot)
    assert "ell, " in dot  # the Gaussian projection of the field
    assert "fused: izhikevich.spike" in dot
    assert {"pop0", "pop1"} <= nodes


def test_graph_needs_a_module_stage(capsys):
    assert main(["dump-ir", str(EXAMPLES / "stdp.py"), "--graph", "--stage", "llvm"]) == 1
    assert "--graph draws a module" in capsys.readouterr().err


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_graphviz_renders_it(capsys, tmp_path):
    dot = graph(capsys, "basal_ganglia.py")
    check_structure(dot)
    svg = subprocess.run(["dot", "-Tsvg"], input=dot, capture_output=True, text=True, check=True).stdout
    assert svg.count('<g id="node') == dot.count(" [shape=")


def test_the_convolution_step_shows_shared_weight_projections(capsys):
    dot = graph(capsys, "convolution.py")
    nodes, edges = check_structure(dot)
    assert {"pop0", "pop1", "pop2"} <= nodes
    assert ("pop0", "pop1") in edges  # image -> features (Convolution)
    assert ("pop1", "pop2") in edges  # features -> pooled (Pooling)
    assert dot.count("stencil, no delay") == 2  # weights shared by every post neuron: no synapse lists
    assert "fused: features.clear, proj0.transmit" in dot  # the filter bank runs inside the update
