"""Projection on the Python side: connectivity, attribute shapes, dendrites, flags, learning, delays.

The network is bound to its buffers without an engine: connectors run, the module is assembled and its
formats chosen, and ``proj._bind`` writes the buffers exactly as at compile.
"""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pytest

from nnc.api.network import Network
from nnc.backend.abi import ConnField, ConnKey, PopField, PopKey, QueueKey, StateKey, layout_of
from nnc.descriptions.random import Normal, Uniform
from nnc.diagnostics import ModelError, SimulationError
from nnc.frontend.assemble import PopulationSpec, assemble
from nnc.ir.model import Attribute, NeuronModel, SynapseModel
from nnc.ir.nodes import Assign, Const, Var
from nnc.ir.types import AttrKind, DType, Format, Locality, NeuronKind, ObjKind, Precision
from nnc.passes.select_format import SelectFormat
from nnc.runtime.buffers import Buffers, ProjectionShape

RATE = NeuronModel("N", NeuronKind.RATE, (Attribute("r", DType.REAL, Locality.LOCAL, AttrKind.VARIABLE),), ())


def _attr(
    name: str,
    loc: Locality,
    kind: AttrKind = AttrKind.PARAMETER,
    init: object = 0.0,
    dtype: DType = DType.REAL,
) -> Attribute:
    return Attribute(name, dtype, loc, kind, init)


W = _attr("w", Locality.LOCAL)
STATIC = SynapseModel("Static", (W,), ())
RICH = SynapseModel(
    "Rich",
    (
        W,
        _attr("tau", Locality.GLOBAL, init=10.0),
        _attr("theta", Locality.SEMIGLOBAL, init=0.5),
        _attr("trace", Locality.LOCAL, AttrKind.VARIABLE, init=Uniform(0.0, 1.0)),
        _attr("count", Locality.LOCAL, AttrKind.VARIABLE, init=2.7, dtype=DType.INT),
    ),
    (),
)
PLASTIC = SynapseModel(
    "Hebbish",
    (replace(W, kind=AttrKind.VARIABLE),),
    (Assign(Var("w", DType.REAL, Locality.LOCAL), Const(1.0)),),
)


def bind(net: Network, fmt: Format | None = None) -> Buffers:
    """What compile does for projections, without building an engine."""
    pops = [PopulationSpec(p.id, p.name, p.geometry, p.neuron_type) for p in net.get_populations()]
    aux = net._aux_rng
    projs = [q._prepare(rng=net.default_rng, aux_rng=aux, env=None) for q in net._projections]
    if fmt is not None:
        projs = [replace(s, format_hint=fmt) for s in projs]
    module = SelectFormat()(assemble("t", Precision.F64, net.dt, tuple(pops), tuple(projs)))
    lengths = {
        d.pre: max(1, q.max_delay)
        for q, d in zip(net._projections, module.projections, strict=True)
        if module.populations[d.pre].delayed
    }
    buffers = Buffers(
        module, layout_of(module), {d.id: ProjectionShape(0, 0) for d in module.projections}, lengths
    )
    for q, d in zip(net._projections, module.projections, strict=True):
        q._bind(buffers, d)
    net.__dict__["_runtime"] = SimpleNamespace(buffers=buffers)  # network time for enable_learning
    return buffers


def _net(n_pre: int = 4, n_post: int = 3, seed: int = 1, dt: float = 1.0):
    net = Network(seed=seed, dt=dt)
    return net, net.create(geometry=n_pre, neuron=RATE), net.create(geometry=n_post, neuron=RATE)


def test_not_connected_is_an_error():
    net, a, b = _net()
    net.connect(a, b, "exc", synapse=STATIC)
    with pytest.raises(ModelError, match="has not been connected"):
        bind(net)


def test_identity_and_default_name():
    net, a, b = _net()
    p0 = net.connect(a, b, "exc", synapse=STATIC)
    p1 = net.connect(a.name, b, ["inh"], synapse=STATIC, name="mine")
    assert (p0.id, p0.name, p1.id, p1.name) == (0, "proj0", 1, "mine")
    assert p1.pre is a
    assert p1.target == "inh"
    assert p0.attributes == ["w"]
    assert p0.parameters == ["w"]
    assert p0.variables == []


def test_before_compile_sizes_warn_and_are_empty(capsys):
    net, a, b = _net()
    p = net.connect(a, b, "exc", synapse=STATIC).all_to_all(1.0)
    assert (p.size, p.nb_synapses, p.post_ranks, p.pre_ranks) == (0, 0, None, None)
    assert "only valid after compile" in capsys.readouterr().err
    with pytest.raises(SimulationError, match="after compile"):
        p.dendrite(0)


def test_connectivity_after_binding():
    net, a, b = _net()
    matrix = [[1, None, 0.0, 2], [None] * 4, [0.5, 0.5, None, 1]]
    p = net.connect(a, b, "exc", synapse=STATIC).from_matrix(matrix)
    bind(net)
    assert p.post_ranks == [0, 2]
    assert p.pre_ranks == [[0, 2, 3], [0, 1, 3]]  # None is a hole, 0.0 a synapse
    assert (p.size, len(p), p.nb_synapses, p.nb_synapses_per_dendrite) == (2, 2, 6, [3, 3])
    assert p.w == [[1.0, 0.0, 2.0], [0.5, 0.5, 1.0]]
    assert [d.post_rank for d in p] == [0, 2]
    assert p.dendrite(2).pre_ranks == [0, 1, 3]
    assert p[2].size == 3
    assert p.synapse(3, 2).w == 1.0
    with pytest.raises(ModelError, match="no dendrite"):
        p.dendrite(1)
    with pytest.raises(ModelError, match="no synapse"):
        p.synapse(1, 0)


def test_local_attribute_set_shapes():
    net, a, b = _net()
    p = net.connect(a, b, "exc", synapse=STATIC).from_matrix([[1, None, 1, 1], [None] * 4, [1, 1, None, 1]])
    bind(net)
    p.w = [[1, 2, 3], [4, 5, 6]]
    assert p.w == [[1, 2, 3], [4, 5, 6]]
    assert p.get("w") == p.w
    p.set({"w": 0.25})
    assert p.w == [[0.25] * 3] * 2
    with pytest.raises(SimulationError, match="receives 3 synapses"):
        p.w = [[1, 2], [4, 5, 6]]
    with pytest.raises(SimulationError, match="2 per-dendrite lists"):
        p.w = [1, 2, 3]
    # a distribution is sampled dendrite by dendrite: get_values(dendrite size) in post_ranks order
    p.w = Normal(0.0, 1.0, rng=np.random.default_rng(3))
    ref = np.random.default_rng(3)
    assert p.w == [ref.normal(0, 1, 3).tolist(), ref.normal(0, 1, 3).tolist()]
    d = p.dendrite(2)
    d.w = [7, 8, 9]
    assert p.w[1] == [7, 8, 9]
    d.w = 1.5
    assert d.w == [1.5] * 3
    p.synapse(0, 2).w = -1
    assert d.w == [-1, 1.5, 1.5]
    assert [s.rank for s in d.synapses] == [0, 1, 3]


def test_single_weight_reads_back_as_a_scalar():
    net, a, b = _net()
    p = net.connect(a, b, "exc", synapse=STATIC).all_to_all(0.5)
    q = net.connect(a, b, "inh", synapse=STATIC).all_to_all(0.5, force_multiple_weights=True)
    r = net.connect(a, b, "x", synapse=PLASTIC).all_to_all(0.5)
    bind(net, Format.CSR)
    assert p.w == 0.5
    assert p.dendrite(1).w == 0.5
    assert q.w == [[0.5] * 4] * 3
    assert r.w == [[0.5] * 4] * 3  # plastic: one weight per synapse
    p.w = 2.0
    assert p.w == 2.0
    assert p.connectivity_matrix().tolist() == [[2.0] * 4] * 3
    p.w = Uniform(1.0, 2.0)
    assert isinstance(p.w, float)
    assert 1.0 <= p.w < 2.0
    with pytest.raises(SimulationError, match="single weight"):
        p.w = [[1, 2, 3, 4]] * 3


def test_dense_request_keeps_one_weight_per_synapse():
    net, a, b = _net()
    p = net.connect(a, b, "exc", synapse=STATIC).all_to_all(0.5, storage_format="dense")
    q = net.connect(a, b, "inh", synapse=STATIC).all_to_all(0.5)
    buffers = bind(net)
    assert buffers.module.projections[0].format is Format.DENSE
    assert p.w == [[0.5] * 4] * 3
    # nnc chose dense by itself for q: Python still sees the reference's single weight
    assert buffers.module.projections[1].format is Format.DENSE
    assert q.w == 0.5


def test_other_attributes_initial_values_and_reset():
    net, a, b = _net(seed=7)
    p = net.connect(a, b, "exc", synapse=RICH).fixed_number_pre(2, 1.0)
    p.tau = 20.0  # pending before compile
    assert p.tau == 20.0
    bind(net)
    assert p.tau == 20.0
    assert isinstance(p.tau, float)
    assert p.theta == [0.5, 0.5, 0.5]
    assert p.count == [[2, 2]] * 3  # int attribute: 2.7 truncated
    trace = p.trace
    assert [len(r) for r in trace] == [2, 2, 2]
    assert all(0 <= x < 1 for r in trace for x in r)
    assert p.dendrite(1).theta == 0.5
    assert p.dendrite(1).tau == 20.0
    p.theta = [1, 2, 3]
    p.tau = 1.0
    p.trace = 0.0
    p.w = 9.0
    with pytest.raises(SimulationError, match="only a single value"):
        p.tau = [1, 2]
    with pytest.raises(SimulationError, match="cannot be set per dendrite"):
        p.dendrite(0).tau = 3.0
    p.reset()
    # everything but w back to its initial value; the model's distribution gives the same samples again
    assert (p.tau, p.theta, p.trace) == (20.0, [0.5] * 3, trace)
    assert p.w == 9.0
    p.reset(attributes=["theta"])


def test_flags_before_and_after_compile():
    net, a, b = _net()
    p = net.connect(a, b, "exc", synapse=STATIC).all_to_all(1.0)
    p.transmission = False
    assert p.transmission is False
    assert p.update is True
    buffers = bind(net)
    assert buffers.value(ConnKey(0, ConnField.TRANSMISSION)) == 0
    p.transmission = True
    p.update = False
    assert buffers.value(ConnKey(0, ConnField.TRANSMISSION)) == 1
    assert buffers.value(ConnKey(0, ConnField.UPDATE)) == 0
    assert p.update is False


def test_enable_learning_period_and_offset(capsys):
    net, a, b = _net(dt=0.5)
    p = net.connect(a, b, "exc", synapse=STATIC).all_to_all(1.0)
    p.enable_learning(period=10.0)
    assert "only possible after compile" in capsys.readouterr().err
    buffers = bind(net)
    p.disable_learning()
    assert p.update is False
    assert p.plasticity is True
    with pytest.raises(ModelError, match="smaller than the period"):
        p.enable_learning(period=10.0, offset=10.0)
    with pytest.raises(ModelError, match="needs a period"):
        p.enable_learning(offset=1.0)
    buffers.step = 22  # t = 11 ms
    p.enable_learning(period=10.0, offset=5.0)
    # period int(10/0.5) = 20 steps; phase int(((11 % 10) + 5) % 10 / 0.5) = int(6 / 0.5) = 12
    assert buffers.value(ConnKey(0, ConnField.LEARN_PERIOD)) == 20
    assert buffers.value(ConnKey(0, ConnField.LEARN_OFFSET)) == 12
    assert p.update
    assert p.plasticity
    p.enable_learning()
    assert buffers.value(ConnKey(0, ConnField.LEARN_PERIOD)) == 1
    assert buffers.value(ConnKey(0, ConnField.LEARN_OFFSET)) == 0


def test_delays_without_delays():
    net, a, b = _net(dt=0.5)
    p = net.connect(a, b, "exc", synapse=STATIC).one_to_one(1.0)
    with pytest.raises(SimulationError, match="after compile"):
        p.delay = 1.0
    bind(net)
    assert p.delay == 0.5
    assert p.max_delay == 0
    p.delay = 0.5  # dt: accepted
    with pytest.raises(SimulationError, match="without delays"):
        p.delay = 2.0


def test_uniform_delay_get_set_and_queue_growth():
    net, a, b = _net(dt=0.5)
    p = net.connect(a, b, "exc", synapse=STATIC).one_to_one(1.0, delays=1.5)
    buffers = bind(net)
    assert (p.delay, p.max_delay, p.uniform_delay) == (1.5, 3, 3)
    assert p.dendrite(0).delay == 1.5
    queue = buffers.array(QueueKey(0, "r")).reshape(3, 4)
    queue[:] = [[0, 0, 0, 0], [1, 1, 1, 1], [2, 2, 2, 2]]  # slots by age from head 0
    buffers.set_value(PopKey(0, PopField.QUEUE_HEAD), 1)  # age m is slot (1 + m) % 3
    p.delay = 2.76  # round(5.52) = 6 steps > 3: the queues grow
    assert p.delay == 3.0
    assert buffers.value(ConnKey(0, ConnField.UNIFORM_DELAY)) == 6
    grown = buffers.array(QueueKey(0, "r")).reshape(6, 4)
    assert grown[:, 0].tolist() == [1, 2, 0, 0, 0, 0]
    assert buffers.value(PopKey(0, PopField.QUEUE_LEN)) == 6
    assert p.max_delay == 6
    p.delay = 0.1
    assert p.delay == 0.5  # at least one step
    with pytest.raises(SimulationError, match="one number"):
        p.delay = [1.0, 2.0]


def test_nonuniform_delays():
    net, a, b = _net()
    p = net.connect(a, b, "exc", synapse=STATIC).from_matrix(
        [[1, 1, None, None], [None, 1, None, None], [1, None, None, 1]],
        delays=[[2, 3, 0, 0], [0, 2.5, 0, 0], [1, 0, 0, 4]],
    )
    buffers = bind(net, Format.ELL)
    assert p.uniform_delay == -1
    assert p.max_delay == 4
    assert p.delay == [[2.0, 3.0], [2.0], [1.0, 4.0]]  # 2.5 rounds half to even, as in the reference
    assert buffers.array(ConnKey(0, ConnField.DELAY)).tolist()[:6] == [2, 3, 2, 0, 1, 4]
    p.delay = [[1, 1], [2], [5.0, 1]]
    assert p.delay == [[1.0, 1.0], [2.0], [5.0, 1.0]]
    assert p.dendrite(2).delay == [5.0, 1.0]
    assert p.synapse(0, 2).delay == 5.0
    with pytest.raises(SimulationError, match="one delay per existing synapse"):
        p.delay = [[1, 1], [2, 2], [5.0, 1]]


@pytest.mark.parametrize("fmt", [Format.CSR, Format.ELL, Format.DENSE])
def test_formats_store_the_same_synapses(fmt):
    net, a, b = _net(6, 4, seed=3)
    view = a[1:5]
    p = net.connect(view, b, "exc", synapse=RICH).all_to_all(Uniform(0, 1, rng=np.random.default_rng(0)))
    buffers = bind(net, fmt)
    assert buffers.module.projections[0].format is fmt
    ref = np.random.default_rng(0)
    assert p.w == [ref.uniform(0, 1, 4).tolist() for _ in range(4)]
    p.trace = [[1, 2, 3, 4]] * 4
    assert p.trace == [[1, 2, 3, 4]] * 4
    matrix = p.connectivity_matrix(fill=-1.0)
    assert matrix.shape == (4, 6)
    assert matrix[:, 0].tolist() == [-1] * 4
    assert matrix[:, 5].tolist() == [-1] * 4
    np.testing.assert_array_equal(matrix[:, 1:5], np.array(p.w))
    w_slots = buffers.array(StateKey(ObjKind.PROJECTION, 0, "w"))
    assert len(w_slots) == 16


def test_reset_synapses_redraws_from_default_rng():
    net, a, b = _net(20, 20, seed=11)
    p = net.connect(a, b, "exc", synapse=STATIC).fixed_probability(0.3, 1.0)
    bind(net)
    first = p.pre_ranks
    p.reset(synapses=True)  # draws continue from the generator's current state
    assert p.pre_ranks != first
    net.default_rng.bit_generator.state = np.random.default_rng(11).bit_generator.state
    p.reset(synapses=True)
    assert p.pre_ranks == first


def test_storage_hints_are_validated():
    net, a, b = _net()
    p = net.connect(a, b, "exc", synapse=STATIC)
    with pytest.raises(ModelError, match="storage_format"):
        p.all_to_all(1.0, storage_format="diagonal")
    with pytest.raises(ModelError, match="storage_order"):
        p.all_to_all(1.0, storage_order="sideways")
    with pytest.raises(ModelError, match="dense"):
        p.one_to_one(storage_format="dense")


def test_second_connector_warns_and_replaces(capsys):
    net, a, b = _net()
    p = net.connect(a, b, "exc", synapse=STATIC).all_to_all(1.0)
    p.one_to_one(2.0)
    assert "already connected" in capsys.readouterr().err
    bind(net)
    assert p.pre_ranks == [[0], [1], [2]]


def test_structural_plasticity_needs_the_configuration_key():
    net, a, b = _net()
    p = net.connect(a, b, "exc", synapse=STATIC).all_to_all(1.0)
    bind(net)
    with pytest.raises(SimulationError, match="structural_plasticity=True"):
        p.start_creating()
    with pytest.raises(SimulationError, match="structural_plasticity=True"):
        p.dendrite(0).create_synapse(1)


def test_legacy_connector_aliases_are_the_same_methods():
    net, a, b = _net()
    p = net.connect(a, b, "exc", synapse=STATIC)
    for alias, name in [
        ("connect_all_to_all", "all_to_all"),
        ("connect_one_to_one", "one_to_one"),
        ("connect_fixed_probability", "fixed_probability"),
        ("connect_fixed_number_pre", "fixed_number_pre"),
        ("connect_fixed_number_post", "fixed_number_post"),
        ("connect_gaussian", "gaussian"),
        ("connect_dog", "dog"),
        ("connect_with_func", "from_function"),
        ("connect_from_matrix", "from_matrix"),
        ("connect_from_sparse", "from_sparse"),
        ("connect_from_file", "from_file"),
        ("connect_from_matrix_market", "from_matrix_market"),
    ]:
        assert getattr(type(p), alias) is getattr(type(p), name)


def test_individual_synapse_reads_shared_values():
    net, a, b = _net()
    p = net.connect(a, b, "exc", synapse=RICH).all_to_all(1.0)
    bind(net)
    s = p.synapse(2, 1)
    assert (s.rank, s.tau, s.theta, s.count) == (2, 10.0, 0.5, 2)
    s.theta = 4.0  # semiglobal: the dendrite's value
    assert p.theta == [0.5, 4.0, 0.5]
    s.count = 7
    assert p.dendrite(1).count == [2, 2, 7, 2]


def test_matrix_market_file(tmp_path):
    from scipy import io, sparse

    path = tmp_path / "w.mtx"
    io.mmwrite(str(path), sparse.coo_matrix(np.array([[0.0, 1.5, 0.0, 0.0], [2.0, 0.0, 0.0, 3.0], [0] * 4])))
    net, a, b = _net()
    p = net.connect(a, b, "exc", synapse=STATIC).from_matrix_market(str(path))
    bind(net)
    assert p.post_ranks == [0, 1]
    assert p.pre_ranks == [[1], [0, 3]]
    assert p.w == [[1.5], [2.0, 3.0]]
