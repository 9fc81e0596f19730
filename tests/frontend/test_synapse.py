"""Synapse descriptions -> IR: equations, psp, events, pre/post references, structural rules."""

from __future__ import annotations

import pytest

from nnc.descriptions.models import Creating, Neuron, Pruning, Synapse
from nnc.frontend.analyse import Environment, analyse_neuron, analyse_synapse
from nnc.ir.model import G_TARGET, NeuronModel, SynapseModel
from nnc.ir.nodes import Assign, ReduceOp, SpikeTime, Var, walk
from nnc.ir.printer import print_expr, print_stmts
from nnc.ir.types import DType, Locality, Method, NeuronKind, Scope

RATE = analyse_neuron(
    Neuron(
        parameters="tau = 10.0 : population", equations="tau * dv/dt + v = sum(exc)\nr = pos(v)\nn = 1 : int"
    ),
    Environment(),
    "rate",
)
SPIKE = analyse_neuron(
    Neuron(equations="dv/dt = -v + g_exc", spike="v > 1", reset="v = 0"),
    Environment(),
    "spiking",
)


def syn(
    synapse: Synapse | None, pre: NeuronModel = RATE, post: NeuronModel = RATE, **env: object
) -> SynapseModel:
    return analyse_synapse(synapse, Environment(**env), pre, post, ("exc",), ("exc",))


def attrs(model: SynapseModel) -> list[tuple]:
    return [(a.name, a.kind.value, a.dtype.value, a.locality.value, a.init) for a in model.attributes]


def test_default_rate_synapse():
    m = syn(None)
    assert m.kind is NeuronKind.RATE
    assert print_expr(m.psp) == "w * pre.r"
    assert attrs(m) == [("w", "param", "real", "local", 0.0)]
    assert m.operation is ReduceOp.SUM
    assert m.pre_spike == ()


def test_default_spiking_synapse():
    m = syn(None, SPIKE, SPIKE)
    assert m.kind is NeuronKind.SPIKE
    assert m.psp is None
    assert print_stmts(m.pre_spike) == "post.g_target = post.g_target + w"
    (assign,) = m.pre_spike
    assert assign.target == Var(G_TARGET, DType.REAL, Locality.LOCAL, Scope.POST)


def test_rate_synapse_equations_localities_and_pre_post_references():
    m = syn(
        Synapse(
            parameters="eta = 0.1 : projection\nk = 1.0 : postsynaptic\nlocal_p = 2\ntau = 5 : projection",
            equations="""
                g = mean(post.r) + eta : projection
                tau * dtheta/dt + theta = post.r^2 + post.sum(exc) + k : postsynaptic, exponential
                dw/dt = eta * pre.r * (post.r - theta) + pre.n * local_p : min=0.0, max=g
            """,
            psp="w * pre.r + pre.sum(exc)",
            operation="max",
        )
    )
    assert print_stmts(m.equations) == (
        "g = mean(post.r) + eta\n"
        "ode[exponential] theta: tau * dtheta/dt + theta = post.r ^ 2.0 + post.sum(exc) + k\n"
        "ode[explicit] w: dw/dt = eta * pre.r * (post.r - theta) + pre.n * local_p"
    )
    assert print_expr(m.psp) == "w * pre.r + pre.sum(exc)"
    assert m.operation is ReduceOp.MAX
    assert attrs(m) == [
        ("eta", "param", "real", "global", 0.1),
        ("k", "param", "real", "semiglobal", 1.0),
        ("local_p", "param", "real", "local", 2.0),
        ("tau", "param", "real", "global", 5.0),
        ("g", "var", "real", "global", 0.0),
        ("theta", "var", "real", "semiglobal", 0.0),
        ("w", "var", "real", "local", 0.0),
    ]
    pre_n = m.equations[2].rhs.rhs.lhs
    assert pre_n == Var("n", DType.INT, Locality.LOCAL, Scope.PRE)
    w = m.attribute("w")
    assert (print_expr(w.lo), print_expr(w.hi)) == ("0.0", "g")


def test_spiking_synapse_events_run_g_target_first_and_declare_variables():
    m = syn(
        Synapse(
            parameters="tau = 10.0 : projection\nA = 0.1 : projection",
            equations="tau * dx/dt = -x : event-driven",
            pre_spike="""
                x += A
                trace = t_pre - t_post : init = 1.0, min = -1
                g_target += w * x : max = 5
                w = clip(w + x, 0, 1) : unless_post
            """,
            post_spike="w -= A * x",
        ),
        SPIKE,
        SPIKE,
    )
    assert print_stmts(m.equations) == "ode[event-driven] x: tau * dx/dt = -x"
    assert print_stmts(m.pre_spike) == (
        "post.g_target = post.g_target + w * x\n"
        "clamp post.g_target max=5.0\n"
        "x = x + A\n"
        "trace = t_pre - t_post\n"
        "clamp trace min=-1.0\n"
        "w = ite(t_post == t_pre, w, clip(w + x, 0.0, 1.0))"
    )
    assert print_stmts(m.post_spike) == "w = w - A * x"
    assert attrs(m)[2:] == [
        ("w", "var", "real", "local", 0.0),  # assigned by events: a variable
        ("x", "var", "real", "local", 0.0),
        ("trace", "var", "real", "local", 1.0),
    ]
    assert print_expr(m.attribute("trace").lo) == "-1.0"
    scopes = [n.scope for n in walk(m.pre_spike[3].value) if isinstance(n, SpikeTime)]
    assert scopes == [Scope.PRE, Scope.POST]


def test_spiking_synapse_with_psp_has_no_default_g_target():
    m = syn(Synapse(psp="w * pre.v"), SPIKE, SPIKE)
    assert m.pre_spike == ()
    assert print_expr(m.psp) == "w * pre.v"


def test_pre_axon_spike_updates_g_target():
    m = syn(Synapse(pre_spike="g_target += w", pre_axon_spike="g_target += 0.5 * w"), SPIKE, SPIKE)
    assert print_stmts(m.pre_axon_spike) == "post.g_target = post.g_target + 0.5 * w"


def test_structural_rules_from_objects_and_strings():
    m = syn(
        Synapse(
            parameters="thr = 0.5 : projection",
            equations="age = age + 1",
            creating=Creating("pre.r > thr and Uniform(0, 1) < 0.1", proba=0.2, w=0.5, d=2.0),
            pruning="age > 100 : proba = 0.5",
        )
    )
    assert print_expr(m.creating.condition) == "pre.r > thr and Uniform(0.0, 1.0)@0 < 0.1"
    assert (m.creating.proba, m.creating.w, m.creating.d) == (0.2, 0.5, 2.0)
    assert print_expr(m.pruning.condition) == "age > 100.0"
    assert m.pruning.proba == 0.5
    assert syn(Synapse(pruning=Pruning("w < 0.1"))).pruning.proba == 1.0


def test_constants_functions_and_default_method_in_synapses():
    m = syn(
        Synapse(equations="dw/dt = f(pre.r) * c", functions="f(x) = x^2"),
        constants=("c",),
        default_method=Method.MIDPOINT,
    )
    assert print_stmts(m.equations) == "ode[midpoint] w: dw/dt = pre.r ^ 2.0 * const.c"


def test_names_and_owner_in_spans():
    m = syn(Synapse(equations="dw/dt = -w", name="decay"))
    assert m.name == "decay"
    (ode,) = m.equations
    assert (ode.span.source.owner, ode.span.source.field) == ("Synapse 'decay'", "equations")


@pytest.mark.parametrize("op", ["sum", "max", "min", "mean"])
def test_operations(op: str):
    assert syn(Synapse(operation=op)).operation is ReduceOp(op)


def test_augmented_event_assignments_keep_the_target_type():
    m = syn(Synapse(equations="n = n : int", pre_spike="n += 1"), SPIKE, SPIKE)
    stmt = m.pre_spike[1]
    assert isinstance(stmt, Assign)
    assert stmt.target.dtype is DType.INT
    assert print_stmts((stmt,)) == "n = n + 1.0"
