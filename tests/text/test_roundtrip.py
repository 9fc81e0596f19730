"""The text form reads back: ``print(parse(text)) == text`` and ``parse(print(m)) == m`` (temporaries
renamed as the printer numbers them) for the golden files, every stage of every example script, and
random well-formed modules."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ir.exprkit import EXPRS, KIT, SPEC
from ir.irkit import attrs, module, neuron, synapse
from passes.test_golden import MODELS, stages
from stagekit import SCRIPTS, capture

from nnc.descriptions.random import Normal, Uniform
from nnc.ir.model import Attribute, ConnectorRef, Module, NeuronModel
from nnc.ir.nodes import Assign, Const, Dist, Let, Logic, LogicOp, Random, Temp, Unary, UnaryOp, Var
from nnc.ir.printer import print_model, print_module
from nnc.ir.text import canonical_temps, parse_models, parse_module
from nnc.ir.types import AttrKind, DType, Locality, Method, NeuronKind, Precision
from nnc.ir.verify import verify
from nnc.passes.pipeline import default_pipeline, run_pipeline

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
GOLDEN_FILES = sorted(GOLDEN.glob("*/*.ir"))


def assert_module_round_trip(m: Module) -> None:
    text = print_module(m, debuginfo=True)
    back = parse_module(text)
    expected = canonical_temps(m)
    for k1, k2 in zip(back.kernels, expected.kernels, strict=True):
        for s1, s2 in zip(k1.body, k2.body, strict=True):
            assert s1 == s2, f"kernel {k1.name} reads back differently:\n{text}"
    assert back == expected
    assert print_module(back, debuginfo=True) == text
    assert [k.notes for k in back.kernels] == [k.notes for k in m.kernels]
    assert [p.format_reason for p in back.projections] == [p.format_reason for p in m.projections]


@pytest.mark.parametrize("path", GOLDEN_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_golden_file_reads_back(path: Path):
    text = path.read_text()
    if path.stem == "parse":
        models = parse_models(text, str(path))
        assert "\n".join(print_model(m, owner) for owner, m in models) == text
        return
    m = parse_module(text, str(path))
    assert print_module(m) == text
    assert parse_module(print_module(m)) == m


@pytest.mark.parametrize("name", sorted(MODELS))
def test_golden_builders_every_stage(name: str):
    m = MODELS[name]()
    seen = []
    run_pipeline(m, (*default_pipeline(),), lambda stage, mod: seen.append(mod))
    for mod in seen:
        assert_module_round_trip(mod)
    assert len(stages(MODELS[name]())) >= 4


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_every_stage_of_every_script(script: Path):
    models, modules = capture(script)
    assert modules, f"{script.name} compiled nothing"
    assert set(modules) == {"ir", *(p.name for p in default_pipeline())}
    for stage, m in modules.items():
        try:
            assert_module_round_trip(m)
        except AssertionError as e:  # name the stage
            raise AssertionError(f"{script.name}, stage {stage}: {e}") from e
    text = "\n".join(print_model(model, owner, debuginfo=True) for owner, model in models)
    back = parse_models(text)
    assert "\n".join(print_model(model, owner, debuginfo=True) for owner, model in back) == text
    for (owner, model), (owner2, model2) in zip(models, back, strict=True):
        assert owner2 == owner
        assert model2.equations == model.equations  # statements, types of attribute references included
        assert model2.attributes == model.attributes


def test_debuginfo_locations_read_back():
    _, modules = capture(SCRIPTS[0])
    text = print_module(modules["ir"], debuginfo=True)
    assert "loc(" in text
    assert print_module(parse_module(text), debuginfo=True) == text


def test_run_data_reads_back():
    """Constant values, connect lines (sidecar or synthetic connector with a distribution) and string,
    bool and distribution initial values."""
    m = MODELS["leaky"]()
    pops = list(m.populations)
    extra = (
        Attribute("v0", DType.REAL, Locality.LOCAL, AttrKind.PARAMETER, Uniform(-1.0, 1.0)),
        Attribute("flag", DType.BOOL, Locality.GLOBAL, AttrKind.PARAMETER, True),
        Attribute("v1", DType.REAL, Locality.LOCAL, AttrKind.PARAMETER, "v0"),
    )
    pops[1] = replace(pops[1], attributes=pops[1].attributes + extra)
    projs = list(m.projections)
    projs[0] = replace(projs[0], connect=ConnectorRef("file", (("path", "w.npz"), ("key", "exc"))))
    projs[1] = replace(
        projs[1],
        connect=ConnectorRef(
            "fixed_probability",
            (("probability", 0.5), ("weights", Normal(0.1, 0.01)), ("delays", 2.0), ("seed", 7)),
        ),
    )
    m = replace(
        m,
        populations=tuple(pops),
        projections=tuple(projs),
        constants=("g", "k"),
        constant_values=(("g", 2.5),),
    )
    text = print_module(m)
    assert "constants g=2.5, k" in text
    assert 'connect file(path="w.npz", key="exc")' in text
    assert "weights=Normal(mu=0.1, sigma=0.01" in text
    back = parse_module(text)
    assert back == canonical_temps(m)
    assert print_module(back) == text
    v0 = back.populations[1].attribute("v0")
    assert isinstance(v0.init, Uniform)
    assert (v0.init.min, v0.init.max) == (-1.0, 1.0)
    assert back.populations[1].attribute("v1").init == "v0"
    assert back.projections[1].connect.arg("seed") == 7


# --------------------------------------------------------------------------------------------------
# random modules

KEYWORD_NAMES = ("step", "for", "inf", "t_last", "when", "connect")
#: expressions of the simplify properties, plus the nodes they lack
EXTRA_LEAVES = st.one_of(
    st.sampled_from([Const(float("inf")), Const(-0.0), Const(-3, DType.INT), Const(True, DType.BOOL)]),
    st.sampled_from([Const(1e-300), Const(123456789.125), Const(-2.5e17)]),
)


def _extend(kids: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(
        st.builds(Logic, st.sampled_from(list(LogicOp)), kids, kids),
        st.builds(lambda x: Unary(UnaryOp.NOT, x), kids),
        st.builds(lambda x: Unary(UnaryOp.NEG, x), kids),
        st.builds(lambda x, y, s: Random(Dist.NORMAL, (x, y), s), kids, kids, st.integers(0, 9)),
    )


MORE_EXPRS = st.recursive(st.one_of(EXPRS, EXTRA_LEAVES), _extend, max_leaves=6)


@st.composite
def modules(draw: st.DrawFn) -> Module:
    """A rate-coded module of one neuron model (equations over random expressions, temporaries, an
    attribute named like a keyword) feeding a second population, at a random stage of the pipeline."""
    keyword = draw(st.sampled_from(KEYWORD_NAMES))
    spec = (*attrs(SPEC), Attribute(keyword, DType.REAL, Locality.LOCAL, AttrKind.VARIABLE, 0.0))
    exprs = draw(st.lists(MORE_EXPRS, min_size=2, max_size=4))
    body = [Let("x", exprs[0])]
    targets = ["r", "a", keyword, "w"]
    for target, e in zip(targets, exprs[1:], strict=False):
        attr = next(a for a in spec if a.name == target)
        if draw(st.booleans()):
            e = Logic(LogicOp.OR, Temp("x", exprs[0].dtype), e) if e.dtype is DType.BOOL else e
        body.append(Assign(Var(target, attr.dtype, attr.locality), e))
    model = NeuronModel(draw(st.sampled_from(["n", "Input layer"])), NeuronKind.RATE, spec, tuple(body))
    out = neuron("out", attrs("v r l"), ["r = sum(exc)"])
    syn = synapse("s", attrs("p w l"), [], model, out)
    precision = draw(st.sampled_from(list(Precision)))
    m = module([(model, 3), (out, 2)], [(0, 1, "exc", syn)], precision=precision)
    m = replace(m, populations=(replace(m.populations[0], name=model.name), m.populations[1]))
    seen: list[Module] = []
    run_pipeline(m, default_pipeline(), lambda stage, mod: seen.append(mod))
    return draw(st.sampled_from(seen))


@settings(max_examples=60, deadline=None)
@given(m=modules())
def test_random_modules_round_trip(m: Module):
    verify(m, "fuse" if any(k.fused for k in m.kernels) else "simplify")
    assert_module_round_trip(m)


def test_keyword_named_attribute_is_backquoted():
    spec = (*attrs(SPEC), Attribute("step", DType.REAL, Locality.LOCAL, AttrKind.VARIABLE, 0.0))
    eq = Assign(Var("step", DType.REAL, Locality.LOCAL), Unary(UnaryOp.NEG, KIT.var("a")))
    m = module([(NeuronModel("n", NeuronKind.RATE, spec, (eq,)), 2)])
    text = print_module(m)
    assert "`step` = -a" in text
    assert "var `step`: real local" in text
    assert parse_module(text) == m


@pytest.mark.parametrize("method", list(Method), ids=lambda m: m.value)
def test_every_numerical_method_reads_back(method: Method):
    """Each ``ode[method]`` of the stage-ir text reads back (method names hold digits: ``rk4``)."""
    m = module([(neuron("n", attrs(SPEC), [f"p * dr/dt = a - r : {method.value}"]), 2)])
    assert_module_round_trip(m)


STRUCTURAL_SCRIPT = """
import nnc as ann
net = ann.Network(dt=1.0, seed=3)
net.config(structural_plasticity=True)
pop = net.create(4, ann.Neuron(equations="r = 0.5"))
syn = ann.Synapse(equations="age = age + 1 : init = 0", creating="pre.r > 0.1 : proba = 0.5, w = 0.1",
                  pruning="age > 3")
proj = net.connect(pop, pop, "exc", syn)
proj.fixed_probability(0.5, weights=0.2)
net.compile()
"""


def test_structural_plasticity_stages_read_back(tmp_path: Path):
    """A projection whose synapses change at run time prints ``dynamic`` and reads back at every stage."""
    script = tmp_path / "structural.py"
    script.write_text(STRUCTURAL_SCRIPT)
    _, modules = capture(script)
    assert modules
    assert all(m.projections[0].dynamic for m in modules.values())
    for m in modules.values():
        assert_module_round_trip(m)
