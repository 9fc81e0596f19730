"""Network assembly: kernels per object and phase, unconnected inputs, delayed reads and queue pushes."""

from __future__ import annotations

import pytest

import nnc as ann
from nnc.diagnostics import ModelError
from nnc.frontend.analyse import Environment, analyse_neuron, analyse_synapse
from nnc.frontend.assemble import PopulationSpec, ProjectionSpec, assemble
from nnc.ir.printer import print_module
from nnc.ir.types import DelayKind, Precision
from nnc.ir.verify import verify

RATE = ann.Neuron(
    parameters=dict(tau=10.0),
    equations=["tau * dv/dt + v = sum(exc) - sum(inh) + mean(v)", "r = pos(v)"],
)


def _module(delay: DelayKind = DelayKind.NONE, psp: str | None = None, targets=("exc",)):
    env = Environment(connected_targets=targets)
    a = analyse_neuron(RATE, env, "a")
    b = analyse_neuron(RATE, env, "b")
    syn = analyse_synapse(ann.Synapse(psp=psp) if psp else None, env, a, b, targets, targets)
    pops = (PopulationSpec(0, "a", (4,), a), PopulationSpec(1, "b", (3,), b))
    projs = (ProjectionSpec(0, "p", 0, 1, targets, syn, delay=delay),)
    m = assemble("net", Precision.F64, 1.0, pops, projs)
    verify(m)
    return m


def test_kernels_follow_the_phase_order():
    m = _module()
    names = [k.name for k in m.kernels]
    # only b receives a projection: only b clears its inputs
    assert names == ["b.clear", "p.transmit", "a.update", "b.update", "a.globalops", "b.globalops"]


def test_unconnected_target_reads_zero_but_keeps_its_buffer():
    text = print_module(_module())
    kernels = text.split("kernel a.update")[1]
    assert "sum(inh)" not in kernels
    assert "tau * dv/dt + v = 0.0 - 0.0 + mean(v)" in kernels  # a: nothing connected
    assert "tau * dv/dt + v = sum(exc) - 0.0 + mean(v)" in kernels  # b: exc connected
    assert "targets=(exc, inh)" in text  # pop.sum('inh') and monitors still find a (zero) buffer


def test_uniform_delay_reads_through_queue_and_pushes_once_per_step():
    text = print_module(_module(DelayKind.UNIFORM))
    assert "reduce_sum(w * delayed(pre.r))" in text
    assert "population #0 a rate geometry=(4,) targets=(exc, inh) delayed=(r)" in text
    assert "kernel a.delay phase=delay:\n  push delayed r" in text


def test_nonuniform_delay_cannot_read_a_global_pre_attribute():
    with pytest.raises(ModelError, match="non-uniform delays cannot read the global"):
        _module(DelayKind.NONUNIFORM, psp="w * pre.tau")
