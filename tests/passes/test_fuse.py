"""fuse: each rule and each refusal as printed IR, the verifier's view of fused IR, and the property that
fusion never changes the interpreter's results (bit for bit)."""

from __future__ import annotations

import textwrap
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from passes.fusekit import (
    GLOBAL,
    Net,
    Proj,
    add,
    assert_same,
    c,
    fused,
    global_neuron,
    gop,
    input_neuron,
    leaky_neuron,
    mul,
    nets,
    snapshot,
    synapse,
    v,
)

from nnc.backend.interp.engine import InterpEngine
from nnc.diagnostics import PassError
from nnc.ir.model import Attribute, Kernel, Module, NeuronModel
from nnc.ir.nodes import ClearInputs, ForDendrite, ForEach, GlobalOp, Input, PushDelayed
from nnc.ir.printer import print_module
from nnc.ir.types import AttrKind, Domain, DType, Locality, NeuronKind, ObjKind, Phase, Scope
from nnc.ir.verify import verify
from nnc.options import CompileOptions
from nnc.passes.fuse import Fuse
from nnc.passes.pipeline import default_pipeline, pass_names

ROWS = [[0, 1], [1, 2], [0, 2]]  # three post neurons, two synapses each


def kernels(m: Module, comments: bool = True) -> str:
    """The kernel part of the printed module."""
    text = print_module(m, comments=comments)
    return "kernel" + text.split("\nkernel", 1)[1]


def lines(text: str) -> str:
    """An indented triple-quoted IR text as printed (ending in one newline)."""
    return textwrap.dedent(text).strip() + "\n"


LEAKY_FUSED = """
kernel pop1.update phase=neuron fused=(pop1.clear, proj0.transmit):
  for neuron:
    clear sum(exc)
    for dendrite of proj0:
      let %0 = reduce_sum(w * pre.r)
      post.sum(exc) += %0
    v = v + 0.25 * (sum(exc) - v)
    r = pos(v)
"""


# --------------------------------------------------------------------------------------------------
# transmission fusion


def test_input_array_transmission_moves_into_the_post_loop() -> None:
    """Unfused: pop1.clear, proj0.transmit, pop1.update; fused: one loop (clear, dendrite, equations)."""
    net = Net([(input_neuron(), 3), (leaky_neuron(), 3)], [Proj(0, 1, ROWS)])
    assert kernels(net.module(fuse=False)).startswith("kernel pop1.clear phase=clear_inputs:")
    expected = "kernel pop0.update phase=neuron:\n  for neuron:\n    r = r\n" + LEAKY_FUSED
    assert kernels(net.module()) == expected.lstrip("\n")


def test_pre_population_created_later_is_still_at_step_k_minus_1() -> None:
    net = Net([(leaky_neuron(), 3), (leaky_neuron(), 3)], [Proj(1, 0, ROWS)])
    text = kernels(net.module())
    assert text.startswith(LEAKY_FUSED.replace("pop1", "pop0").lstrip("\n"))
    assert "kernel pop1.update phase=neuron:\n" in text


def test_delayed_self_projection_is_fused_but_its_queue_push_stays() -> None:
    net = Net([(leaky_neuron(), 3)], [Proj(0, 0, ROWS, delay=2)])
    assert kernels(net.module()) == lines("""
    kernel pop0.update phase=neuron fused=(pop0.clear, proj0.transmit):
      // not fused: pop0.delay: proj0.transmit reads the delay queue of pop0 in this loop
      for neuron:
        clear sum(exc)
        for dendrite of proj0:
          let %0 = reduce_sum(w * delayed(pre.r))
          post.sum(exc) += %0
        v = v + 0.25 * (sum(exc) - v)
        r = pos(v)

    kernel pop0.delay phase=delay:
      push delayed r
    """)


def test_temporaries_of_fused_dendrites_stay_distinct() -> None:
    net = Net([(input_neuron(), 3), (leaky_neuron(), 3)], [Proj(0, 1, ROWS), Proj(0, 1, ROWS, delay=3)])
    m = net.module()
    loop = next(k for k in m.kernels if k.fused).body[-1]
    dendrites = [s for s in loop.body if isinstance(s, ForDendrite)]
    assert [d.proj for d in dendrites] == [0, 1]
    assert [d.body[0].name for d in dendrites] == ["J0.psp", "J1.psp"]
    assert "let %1 = reduce_sum(w * delayed(pre.r))" in kernels(m)


# --------------------------------------------------------------------------------------------------
# transmission refusals


def _refused(net: Net, *notes: str) -> str:
    text = kernels(net.module())
    assert "for dendrite of" not in text
    for note in notes:
        assert f"  // not fused: {note}\n" in text
    return text


def test_refused_pre_updated_in_this_loop() -> None:
    net = Net([(leaky_neuron(), 3)], [Proj(0, 0, ROWS)])
    _refused(
        net,
        "proj0.transmit reads pop0.r, which pop0 updates in this loop",
        "pop0.clear: no input of pop0 is fused",
    )


def test_refused_pre_updated_earlier_in_phase_5() -> None:
    net = Net([(leaky_neuron(), 3), (leaky_neuron(), 3)], [Proj(0, 1, ROWS)])
    _refused(net, "proj0.transmit reads pop0.r, which pop0 updates before pop1 (phase 5)")


def test_refused_psp_reading_inputs() -> None:
    syn = synapse(mul(v("w"), Input("exc", Scope.POST)))
    net = Net([(input_neuron(), 3), (leaky_neuron(), 3)], [Proj(0, 1, ROWS, syn=syn)])
    _refused(net, "proj0.transmit reads sum(exc), which is being accumulated")


def test_refused_post_global_updated_before_the_loop() -> None:
    syn = synapse(mul(v("w"), v("m", GLOBAL, Scope.POST)))
    net = Net([(input_neuron(), 3), (global_neuron(), 3)], [Proj(0, 1, ROWS, syn=syn)])
    text = _refused(net, "proj0.transmit reads post.m, which pop1 updates before this loop")
    assert "kernel pop1.update phase=neuron fused=(pop1.globalops):" in text


def test_local_post_values_are_read_before_the_neuron_updates() -> None:
    syn = synapse(add(mul(v("w"), v("r", scope=Scope.PRE)), v("v", scope=Scope.POST)))
    net = Net([(input_neuron(), 3), (leaky_neuron(), 3)], [Proj(0, 1, ROWS, syn=syn)])
    assert "let %0 = reduce_sum(w * pre.r + post.v)" in kernels(net.module())


def test_all_inputs_or_none() -> None:
    net = Net([(input_neuron(), 3), (leaky_neuron(), 3)], [Proj(0, 1, ROWS), Proj(1, 1, ROWS)])
    text = _refused(
        net,
        "proj1.transmit reads pop1.r, which pop1 updates in this loop",
        "pop1.clear, proj0.transmit: every input of pop1 is fused, or none",
    )
    assert text.startswith("kernel pop1.clear phase=clear_inputs:")


def test_refused_when_another_transmission_reads_the_inputs() -> None:
    reader = synapse(mul(v("w"), Input("exc", Scope.PRE)))
    pops = [(input_neuron(), 3), (leaky_neuron(), 3), (leaky_neuron(), 3)]
    net = Net(pops, [Proj(0, 1, ROWS), Proj(1, 2, ROWS, delay=2, syn=reader)])
    _refused(net, "pop1.clear: proj1.transmit reads sum(exc) of pop1 in phase 2")


def test_notes_are_comments_and_not_part_of_the_cache_key() -> None:
    net = Net([(leaky_neuron(), 3)], [Proj(0, 0, ROWS)])
    m = net.module()
    assert "//" not in print_module(m, comments=False)
    assert "kernel pop0.update phase=neuron:" in print_module(m, comments=False)
    assert replace(m, kernels=tuple(replace(k, notes=()) for k in m.kernels)) == m


# --------------------------------------------------------------------------------------------------
# population fusion


def test_global_ops_join_the_loop_and_are_stored_after_it() -> None:
    net = Net([(global_neuron(), 3)])
    assert kernels(net.module()) == lines("""
    kernel pop0.update phase=neuron fused=(pop0.globalops):
      m = mean(r)
      for neuron:
        r = 0.5 * r + 0.0 + -0.25 * m + 0.125 * max(r)
        compute mean(r)
        compute max(r)
    """)


def test_delay_push_joins_the_loop_when_no_later_loop_reads_the_queue() -> None:
    pops = [(leaky_neuron(), 3), (leaky_neuron(), 3)]
    text = kernels(Net(pops, [Proj(1, 0, ROWS, delay=2)]).module())
    assert "kernel pop0.update phase=neuron fused=(pop0.clear, proj0.transmit):" in text
    assert (
        lines("""
    kernel pop1.update phase=neuron fused=(pop1.delay):
      for neuron:
        v = v + 0.25 * (0.0 - v)
        r = pos(v)
        push delayed r
    """)
        in text
    )


def test_refused_delay_push_before_a_fused_reader() -> None:
    net = Net([(global_neuron(), 3), (leaky_neuron(), 3)], [Proj(0, 1, ROWS, delay=2)])
    text = kernels(net.module())
    note = "pop0.delay: proj0.transmit reads the delay queue of pop0 later (in pop1's loop)"
    assert f"// not fused: {note}" in text
    assert text.endswith("kernel pop0.delay phase=delay:\n  push delayed r\n")


def test_refused_global_ops_read_by_a_later_fused_dendrite() -> None:
    syn = synapse(mul(v("w"), gop(GlobalOp.MEAN, "r", Scope.PRE)))
    net = Net([(global_neuron(), 3), (leaky_neuron(), 3)], [Proj(0, 1, ROWS, delay=2, syn=syn)])
    text = kernels(net.module())
    assert "// not fused: pop0.globalops: proj0.transmit reads mean(pop0.r) later (in pop1's loop)" in text
    assert "kernel pop0.globalops phase=global_ops:\n  compute mean(r)\n  compute max(r)\n" in text


def test_refused_without_a_neuron_loop() -> None:
    r = Attribute("r", DType.REAL, Locality.LOCAL, AttrKind.VARIABLE)
    plain = NeuronModel("Plain", NeuronKind.RATE, (r,), ())
    net = Net([(plain, 3), (leaky_neuron(), 3)], [Proj(0, 1, ROWS, delay=2)])
    text = kernels(net.module())
    assert text.endswith(
        "kernel pop0.delay phase=delay:\n"
        "  // not fused: pop0.delay: pop0 has no neuron loop ending its update\n"
        "  push delayed r\n"
    )
    assert "fused=(pop1.clear, proj0.transmit)" in text  # no equations, so r keeps its step k-1 value


# --------------------------------------------------------------------------------------------------
# the pass in the pipeline


def test_fuse_is_the_last_pass_and_can_be_switched_off() -> None:
    assert pass_names(default_pipeline())[-1] == "fuse"
    assert default_pipeline(CompileOptions(fuse=False))[-1] == Fuse(enabled=False)
    net = Net([(input_neuron(), 3), (leaky_neuron(), 3)], [Proj(0, 1, ROWS)])
    unfused = net.module(fuse=False)
    assert Fuse(enabled=False)(unfused) is unfused
    assert not fused(unfused)
    assert fused(net.module()) == {"pop1.clear", "proj0.transmit"}


# --------------------------------------------------------------------------------------------------
# the verifier on fused IR


def _with_loop(m: Module, host: int, body: tuple) -> Module:
    k = next(k for k in m.kernels if k.phase is Phase.NEURON and k.owner_id == host)
    loop = ForEach(Domain.NEURON, (*body, *k.body[-1].body))
    return replace(m, kernels=tuple(replace(x, body=(loop,)) if x is k else x for x in m.kernels))


def test_verifier_rejects_misplaced_fused_work() -> None:
    net = Net([(leaky_neuron(), 3), (leaky_neuron(), 3)], [Proj(1, 0, ROWS, delay=2)])
    m = net.module()
    dendrite = next(k for k in m.kernels if k.fused).body[-1].body[1]
    assert isinstance(dendrite, ForDendrite)
    verify(m, "fuse")
    with pytest.raises(PassError, match="does not end in this population"):
        verify(_with_loop(m, 1, (dendrite,)), "fuse")
    outside = Kernel("x", Phase.NEURON, ObjKind.POPULATION, 0, (dendrite,))
    with pytest.raises(PassError, match="outside a population's neuron loop"):
        verify(replace(m, kernels=(*m.kernels, outside)), "fuse")
    transmit = Kernel("t", Phase.TRANSMIT, ObjKind.PROJECTION, 0, (ClearInputs(("exc",)),))
    with pytest.raises(PassError, match="ClearInputs outside"):
        verify(replace(m, kernels=(*m.kernels, transmit)), "fuse")


def test_verifier_rejects_a_loop_reading_the_queue_it_pushes() -> None:
    net = Net([(leaky_neuron(), 3)], [Proj(0, 0, ROWS, delay=2)])
    m = net.module()
    with pytest.raises(PassError, match="reads a queue this loop pushes"):
        verify(_with_loop(m, 0, (PushDelayed(("r",)),)), "fuse")


# --------------------------------------------------------------------------------------------------
# property: fusion preserves the interpreter's results


def _run_interp(net: Net, fuse: bool, steps: int = 5) -> dict:
    m = net.module(fuse=fuse)
    b = net.buffers(m)
    assert InterpEngine(m).run(b, steps) == steps
    return snapshot(b)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(nets())
def test_fusion_preserves_interpreter_results(net: Net) -> None:
    assert_same(_run_interp(net, False), _run_interp(net, True))


def test_property_networks_do_fuse() -> None:
    """The fixed cases the property covers fire every rule (the property is not vacuous)."""
    pops = [(input_neuron(), 4), (global_neuron(), 5), (leaky_neuron(), 3)]
    rows_15 = [[0, 1], [2], [], [3, 0], [1, 2, 3]]
    net = Net(
        pops,
        [
            Proj(0, 1, rows_15),
            Proj(1, 1, [[0, 1], [2], [3], [4], []], delay=3),
            Proj(2, 1, [[0], [1, 2], [], [2], [0]], delays=[[2], [1, 3], [], [2], [1]]),
            Proj(1, 2, [[0, 1, 2, 3, 4]] * 3, syn=synapse(mul(v("w"), add(v("r", scope=Scope.PRE), c(1.0))))),
        ],
    )
    assert {
        "pop1.clear",
        "proj0.transmit",
        "proj1.transmit",
        "proj2.transmit",
        "pop1.globalops",
        "pop2.delay",
    } <= fused(net.module())
    assert_same(_run_interp(net, False, 8), _run_interp(net, True, 8))
