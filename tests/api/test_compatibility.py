"""Scripts written for the reference that stopped or gave other numbers: one regression test per defect.

Expected values were measured with ANNarchy 5.0.4.1 (``/work/ref-venv``) on the same scripts, or follow
from the recurrence written next to them:

* a synaptic variable whose ``init`` names a parameter takes that parameter's value after its own
  initialisation (a value assigned before compile included): ``x = 0.7`` per synapse, ``y = 2.5`` per
  dendrite, ``z = 0.25``, and a local ``u`` initialised from a global parameter ``0.25`` everywhere;
* a population accepts any array with its number of elements (the reference's ``value.reshape(size)``);
* a global pre-synaptic variable is read through a uniform delay like a local one: ``psp = pre.glob_r*w``
  with ``delays=10`` gives -1 until step 10 (the reference's -1.0 where nnc gave 35.0 at step 9);
* a connector called after compile replaces the stored one and takes effect at the next
  ``reset(synapses=True)`` (reference: ``from_file`` after compile keeps the live synapses, the reset
  then loads the file).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

import nnc as ann
from nnc.diagnostics import ModelError, SimulationError

SPEC = Path(__file__).resolve().parents[2] / "docs" / "spec" / "API.md"


# ------------------------------------------------------------------ 1. init naming a parameter
def test_synaptic_init_names_a_parameter(make_net) -> None:
    net = make_net()
    syn = ann.Synapse(
        parameters="loc_var = 0.5\nsg = 0.25 : projection\npp = 1.5 : postsynaptic",
        equations="dx/dt = -x : init = loc_var\n"
        "dy/dt = -y : init = pp, postsynaptic\n"
        "dz/dt = -z : init = sg, projection\n"
        "u = 0 : init = sg",
    )
    pre = net.create(3, ann.Neuron(equations="r = 1.0"))
    post = net.create(2, ann.Neuron(equations="r = 1.0"))
    proj = net.connect(pre, post, "exc", syn).all_to_all(1.0)
    proj.loc_var = 0.7
    proj.pp = 2.5
    net.compile()
    assert proj.x == [[0.7] * 3] * 2
    assert proj.y == [2.5, 2.5]
    assert proj.z == 0.25
    assert proj.u == [[0.25] * 3] * 2
    proj.loc_var = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
    proj.x = "loc_var"  # after compile: the current values of another attribute
    assert proj.x == [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]


def test_synaptic_init_from_a_more_local_attribute_is_an_error(make_net) -> None:
    net = make_net()
    syn = ann.Synapse(parameters="loc_var = 0.5", equations="z = 0 : init = loc_var, projection")
    pre, post = net.create(2, ann.Neuron(equations="r = 1.0")), net.create(2, ann.Neuron(equations="r = 1.0"))
    net.connect(pre, post, "exc", syn).all_to_all(1.0)
    with pytest.raises(SimulationError, match="global attribute 'z' cannot take its value from the local"):
        net.compile()


def test_neuron_init_names_a_parameter(make_net) -> None:
    net = make_net()
    neuron = ann.Neuron(
        parameters="tau = 10.0 : population\nbase = 2.0\ngb = 3.0 : population",
        equations="dv/dt = -v : init = base\ndg/dt = -g / tau : init = gb, population\nr = v",
    )
    pop = net.create(3, neuron)
    pop.base = [1.0, 2.0, 3.0]
    net.compile()
    np.testing.assert_array_equal(pop.v, [1.0, 2.0, 3.0])
    assert pop.g == 3.0


# ------------------------------------------------------------------ 2. arrays of another shape
@pytest.mark.parametrize("when", ["before", "after"])
def test_population_takes_any_array_with_its_size(make_net, when: str) -> None:
    net = make_net()
    pop = net.create((17, 17), ann.Neuron(parameters="r = 0.0"))
    values = np.random.default_rng(3).random((1, 289))
    if when == "after":
        net.compile()
    pop.r = values
    pop.set({"r": values.reshape(289, 1)})
    if when == "before":
        net.compile()
    np.testing.assert_array_equal(pop.r, values.reshape(17, 17))
    with pytest.raises(SimulationError, match="289 elements"):
        pop.r = np.zeros((2, 289))


def test_views_keep_the_strict_shapes(make_net) -> None:
    """The reference refuses arrays of more than one dimension for a view."""
    net = make_net()
    pop = net.create(10, ann.Neuron(parameters="r = 0.0"))
    net.compile()
    pop[2:6].r = np.arange(4.0)
    np.testing.assert_array_equal(pop.r[2:6], np.arange(4.0))
    with pytest.raises(SimulationError, match="shape"):
        pop[2:6].r = np.arange(4.0).reshape(2, 2)


def test_synaptic_attributes_take_arrays_per_dendrite(make_net) -> None:
    net = make_net()
    pre, post = net.create(3, ann.Neuron(parameters="r = 1.0")), net.create(2, ann.Neuron(parameters="r = 0"))
    syn = ann.Synapse(parameters="s = 0.0 : postsynaptic")
    proj = net.connect(pre, post, "exc", syn).all_to_all(1.0, force_multiple_weights=True)
    net.compile()
    proj.w = np.arange(6.0).reshape(2, 3)  # the reference converts arrays with tolist()
    proj.s = np.array([1.0, 2.0])
    proj.dendrite(1).w = np.array([[7.0, 8.0, 9.0]])
    assert proj.w == [[0.0, 1.0, 2.0], [7.0, 8.0, 9.0]]
    assert proj.s == [1.0, 2.0]
    with pytest.raises(SimulationError, match="receives 3 synapses"):
        proj.w = np.ones((2, 2))


# ------------------------------------------------------------------ 3. delayed global pre variables
RAMP = ann.Neuron(equations="glob_r = glob_r + t : init = -1, population\nr = r + t : init = -1")


def _ramp(k: np.ndarray) -> np.ndarray:
    """``glob_r`` after step k: -1, 0, 2, 5, 9, ... (-1 before step 0)."""
    k = np.asarray(k)
    return np.where(k < 0, -1.0, -1.0 + k * (k + 1) / 2.0)


@pytest.mark.parametrize(("storage", "threads"), [("dense", 1), ("csr", 1), ("ell", 2), ("csr", 2)])
def test_global_pre_variable_through_a_uniform_delay(make_net, engine: str, storage: str, threads: int):
    net = make_net(dt=1.0)
    if engine == "llvm":
        net.config(num_threads=threads)
    pre = net.create(3, RAMP)
    post = net.create(2, ann.Neuron(equations="r = sum(ff)"))
    syn = ann.Synapse(equations="xl = pre.glob_r\nxr = pre.r", psp="pre.glob_r * w")
    proj = net.connect(pre, post, "ff", syn)
    if storage == "ell":
        proj.from_matrix(np.array([[1.0, 1.0, None], [1.0, None, 1.0]], dtype=object), delays=10.0)
    else:
        proj.all_to_all(1.0, delays=10.0, storage_format=storage)
    net.compile()
    sums, xl, xr = [], [], []
    for _ in range(16):
        net.step()
        sums.append(post.sum("ff").tolist())
        xl.append(proj.xl[0][0])
        xr.append(proj.xr[0][0])
    k = np.arange(16)
    n = 2 if storage == "ell" else 3
    np.testing.assert_array_equal(sums, np.stack([n * _ramp(k - 10)] * 2, axis=1))
    # synaptic equations run after this step's push: they read the value of step k - 9 (SEMANTICS.md §5)
    np.testing.assert_array_equal(xl, _ramp(k - 9))
    np.testing.assert_array_equal(xr, _ramp(k - 9))


def test_global_pre_variable_and_per_synapse_delays_is_an_error(make_net) -> None:
    """The reference refuses it too ("The psp accesses a global variable with a non-uniform delay!")."""
    net = make_net()
    pre, post = net.create(3, RAMP), net.create(3, ann.Neuron(equations="r = sum(ff)"))
    proj = net.connect(pre, post, "ff", ann.Synapse(psp="pre.glob_r * w"))
    proj.from_matrix(np.ones((3, 3)), delays=np.array([[3.0, 5.0, 10.0]] * 3))
    with pytest.raises(ModelError, match="non-uniform delays cannot read the global pre-synaptic"):
        net.compile()


# ------------------------------------------------------------------ 5. names
def _spec_names() -> list[str]:
    """Every name of the table of API.md §1 (sub-modules excepted)."""
    text = SPEC.read_text()
    table = text[text.index("## 1. Module namespace") : text.index("## 2. Network")]
    names = []
    for line in table.splitlines():
        cells = line.split("|")
        if len(cells) > 3 and cells[1].strip() not in ("group", "---", "sub-modules"):
            names += re.findall(r"`([A-Za-z_][A-Za-z_0-9]*)`", cells[2])
    return names


def test_every_name_of_the_namespace_exists() -> None:
    names = _spec_names()
    assert len(names) == 85  # the table as written; a new row must be checked too
    missing = [n for n in names if not hasattr(ann, n)]
    assert not missing


def test_names_of_the_reference_namespace() -> None:
    assert [c.__name__ for c in ann.models.list_standard_synapses()] == ["STP", "STDP", "Hebb", "Oja", "IBCM"]
    assert len(ann.models.list_standard_neurons()) == 11
    from nnc.models.Neurons import Izhikevich
    from nnc.models.Synapses import STDP

    assert Izhikevich is ann.Izhikevich
    assert STDP is ann.STDP


def test_timeit_prints_the_duration(capsys: pytest.CaptureFixture[str]) -> None:
    @ann.timeit
    def double(x: int) -> int:
        return 2 * x

    assert double(4) == 8
    assert re.match(r"Function double\(4,\) \{\} took \d+\.\d{4} seconds", capsys.readouterr().out)


def test_load_parameter_reads_the_xml_format(tmp_path: Path) -> None:
    path = tmp_path / "params.xml"
    path.write_text(
        "<root><parameter><name>tau</name><value>10</value></parameter>"
        "<parameter><name>eta</name><value>0.5</value></parameter>"
        "<parameter><name>rule</name><value>hebb</value></parameter></root>"
    )
    with pytest.warns(DeprecationWarning, match="load_parameters"):
        assert ann.load_parameter(str(path)) == {"tau": 10, "eta": 0.5, "rule": "hebb"}


# ------------------------------------------------------------------ 6. connectivity save and reload
def test_from_file_after_compile_takes_effect_at_reset(make_net, tmp_path: Path, capsys) -> None:
    net = make_net(seed=3)
    neuron = ann.Neuron(equations="r = sum(exc) + 1.0")
    pre, post = net.create(5, neuron), net.create(4, neuron)
    proj = net.connect(pre, post, "exc", ann.Synapse(equations="dw/dt = 0.0"))  # w recordable
    proj.fixed_probability(0.5, ann.Uniform(0, 1, rng=np.random.default_rng(1)))
    m = net.monitor(proj, "w")
    net.compile()
    saved = proj.pre_ranks
    assert saved == [[0, 1, 4], [0, 1, 2, 4], [0, 2], [1, 4]]  # measured with the reference (same seed)
    weights = proj.w
    path = str(tmp_path / "conn.npz")
    proj.save_connectivity(path)
    net.reset(projections=True, synapses=True)  # new draws
    redrawn = proj.pre_ranks
    assert redrawn == [[0, 2, 3], [1, 3], [0, 1, 4], [1, 4]]
    proj.from_file(path)
    assert "next reset(synapses=True)" in capsys.readouterr().err
    assert proj.pre_ranks == redrawn  # the compiled connectivity is unchanged until then
    net.simulate(2)
    net.reset(projections=True, synapses=True)
    assert proj.pre_ranks == saved
    np.testing.assert_array_equal(np.concatenate(proj.w), np.concatenate(weights))
    net.simulate(1)
    assert [len(r) for r in m.get("w")[0]] == [3, 4, 2, 2]  # the monitor follows the new synapses


def test_new_connectivity_must_fit_the_compiled_delays(make_net, tmp_path: Path) -> None:
    net = make_net()
    pre, post = net.create(3, ann.Neuron(parameters="r = 1.0")), net.create(3, ann.Neuron(parameters="r = 0"))
    proj = net.connect(pre, post, "exc").all_to_all(1.0)
    net.compile()
    proj.one_to_one(1.0, delays=5.0)
    with pytest.raises(SimulationError, match="compiled without delays"):
        net.reset(projections=True, synapses=True)
