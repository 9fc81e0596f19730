"""Analysed models honour the IR contract: network assembly accepts them and the verifier passes."""

from __future__ import annotations

import numpy as np
import pytest

import nnc.models as M  # noqa: N812 - short name for the model catalogue
from nnc.descriptions.models import Neuron, Synapse, Variable
from nnc.frontend.analyse import Environment, analyse_neuron, analyse_synapse
from nnc.frontend.assemble import PopulationSpec, ProjectionSpec, assemble
from nnc.ir.printer import print_stmts
from nnc.ir.types import Method, Precision
from nnc.ir.verify import verify


def test_rate_network_of_analysed_models_verifies():
    env = Environment(connected_targets=("exc",))
    li = analyse_neuron(M.LeakyIntegrator(), env, "a")
    custom = analyse_neuron(
        Neuron(
            parameters="tau = 10 : population",
            equations="tau * dr/dt + r = sum(exc) + Normal(0, 1)\nm = mean(r) : population\nk = sum()",
        ),
        env,
        "b",
    )
    pops = (PopulationSpec(0, "a", (10,), li), PopulationSpec(1, "b", (5,), custom))
    projs = (
        ProjectionSpec(
            0, "ab", 0, 1, ("exc",), analyse_synapse(M.IBCM(), env, li, custom, ("exc",), ("exc",))
        ),
        ProjectionSpec(
            1, "ba", 1, 0, ("exc",), analyse_synapse(M.Oja(), env, custom, li, ("exc",), ("exc",))
        ),
    )
    module = assemble("net", Precision.F64, 1.0, pops, projs)
    verify(module, "ir")


@pytest.mark.parametrize(
    "name", ["Izhikevich", "IF_cond_exp", "IF_curr_alpha", "HH_cond_exp", "GIF_curr_exp"]
)
def test_spiking_populations_verify(name: str):
    model = analyse_neuron(getattr(M, name)(), Environment(), "p")
    verify(assemble("net", Precision.F64, 0.1, (PopulationSpec(0, "p", (3,), model),)), "ir")


def test_numpy_values_in_variable_objects_and_dict_parameters():
    m = analyse_neuron(
        Neuron(
            parameters=dict(a=np.float32(0.5), flag=np.bool_(True)),
            equations=[Variable("r = a", init=np.float64(2.5), min=np.int64(0))],
        ),
        Environment(),
    )
    assert [(a.name, a.init) for a in m.attributes] == [("a", 0.5), ("flag", 1.0), ("r", 2.5)]


def test_exact_is_a_deprecated_alias_of_event_driven():
    spiking = analyse_neuron(Neuron(equations="dv/dt = 1", spike="v > 1"), Environment(), "s")
    with pytest.warns(FutureWarning, match="event-driven"):
        s = analyse_synapse(Synapse(equations="dx/dt = -x : exact"), Environment(), spiking, spiking, (), ())
    assert s.equations[0].method is Method.EVENT_DRIVEN
    assert print_stmts(s.equations) == "ode[event-driven] x: dx/dt = -x"
