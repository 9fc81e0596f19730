"""Verifier invariants added for the passes: unique lets, temp types, arities, derivative placement."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from ir.irkit import Kit, attrs, module, neuron

from nnc.diagnostics import PassError
from nnc.ir.functions import Func
from nnc.ir.model import Module
from nnc.ir.nodes import Assign, Call, Deriv, Dist, ForEach, Let, Random, Temp
from nnc.ir.types import AttrKind, Domain, DType
from nnc.ir.verify import verify

SPEC = attrs("p tau g, v v l, v r l")
KIT = Kit(SPEC)


def with_body(*body: object) -> Module:
    m = module([(neuron("n", SPEC, ["r = v"]), 2)])
    return replace(m, kernels=(replace(m.kernels[0], body=tuple(body)),))


def test_let_names_are_unique_per_kernel_even_in_sibling_loops():
    loop = ForEach(Domain.NEURON, (Let("a", KIT.expr("v")), Assign(KIT.var("r"), Temp("a"))))
    verify(with_body(loop))
    with pytest.raises(PassError, match="bound twice"):
        verify(with_body(loop, loop))


def test_temp_type_must_match_its_let():
    loop = ForEach(Domain.NEURON, (Let("a", KIT.expr("v > 0.0")), Assign(KIT.var("r"), Temp("a"))))
    with pytest.raises(PassError, match="another type"):
        verify(with_body(loop))
    ok = ForEach(Domain.NEURON, (Let("a", KIT.expr("v > 0.0")), Assign(KIT.var("r"), Temp("a", DType.BOOL))))
    verify(with_body(ok))


@pytest.mark.parametrize(
    "value",
    [Call(Func.EXP, ()), Call(Func.CLIP, (KIT.expr("v"),)), Random(Dist.NORMAL, (KIT.expr("v"),), 0)],
)
def test_arities(value: object):
    with pytest.raises(PassError, match="arguments"):
        verify(with_body(ForEach(Domain.NEURON, (Assign(KIT.var("r"), value),))))


def test_derivatives_only_inside_their_ode_and_parameters_are_never_assigned():
    with pytest.raises(PassError, match="derivative outside an ODE"):
        verify(with_body(ForEach(Domain.NEURON, (Assign(KIT.var("r"), Deriv("v")),))))
    other = replace(KIT.stmt("tau*dv/dt = v"), target=KIT.var("r"))
    with pytest.raises(PassError, match="its own derivative"):
        verify(with_body(ForEach(Domain.NEURON, (other,))))
    with pytest.raises(PassError, match="left after discretisation"):
        verify(with_body(ForEach(Domain.NEURON, (KIT.stmt("tau*dv/dt = -v"),))), "discretise")
    with pytest.raises(PassError, match="assignment to parameter"):
        verify(with_body(Assign(KIT.var("tau"), KIT.expr("1.0"))))


def test_common_odes_are_solved_without_importing_sympy():
    code = (
        "import sys\n"
        "sys.path.insert(0, 'tests')\n"
        "from ir.irkit import attrs, module, neuron\n"
        "from nnc.passes.discretise import Discretise\n"
        "from nnc.passes.simplify import Simplify\n"
        "eqs = ['tau*dv/dt + v = I : exponential', 'tau*du/dt = v - u : implicit',"
        " 'dw/dt*tau = -w + u : explicit', 'tau*dx/dt = -x : semiimplicit']\n"
        "spec = attrs('p tau g, p I l, v v l, v u l, v w l, v x l, v y l')\n"
        "a = neuron('a', spec, eqs)\n"
        "b = neuron('b', spec, ['tau*dy/dt = y*y - v : rk4'])\n"
        "Simplify()(Discretise()(module([(a, 2), (b, 2)])))\n"
        "print('sympy' in sys.modules)\n"
    )
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root)
    assert out.stdout.strip() == "False"


def test_global_attribute_assigned_inside_a_neuron_loop_is_rejected():
    from nnc.frontend.assemble import PopulationSpec, assemble
    from nnc.ir.model import Attribute, Kernel, NeuronModel
    from nnc.ir.nodes import Const, Var
    from nnc.ir.types import AttrKind, Locality, NeuronKind, ObjKind, Phase, Precision

    g = Attribute("g", DType.REAL, Locality.GLOBAL, AttrKind.VARIABLE)
    model = NeuronModel("m", NeuronKind.RATE, (g,), ())
    base = assemble("net", Precision.F64, 1.0, (PopulationSpec(0, "p", (3,), model),))
    body = (ForEach(Domain.NEURON, (Assign(Var("g", DType.REAL, Locality.GLOBAL), Const(1.0)),)),)
    bad = replace(base, kernels=(Kernel("p.update", Phase.NEURON, ObjKind.POPULATION, 0, body),))
    with pytest.raises(PassError, match=r"'g' \(global\) assigned at the wrong loop level"):
        verify(bad)


def test_kernels_with_equal_bodies_are_verified_against_their_own_declarations():
    """Equal bodies in equal contexts are verified once; an equal body whose owner declares the
    attribute otherwise (here ``r`` a parameter) is still checked, and named."""
    m = module([(neuron("n", SPEC, ["r = v"]), 2), (neuron("n", SPEC, ["r = v"]), 2)])
    body = (ForEach(Domain.NEURON, (Assign(KIT.var("r"), KIT.expr("v")),)),)
    kernels = tuple(replace(k, body=body) for k in m.kernels if k.owner_id in (0, 1))[:2]
    assert [k.owner_id for k in kernels] == [0, 1]
    verify(replace(m, kernels=kernels))
    second = m.populations[1]
    as_parameter = tuple(
        replace(a, kind=AttrKind.PARAMETER) if a.name == "r" else a for a in second.attributes
    )
    bad = replace(
        m, populations=(m.populations[0], replace(second, attributes=as_parameter)), kernels=kernels
    )
    with pytest.raises(PassError, match=f"kernel {kernels[1].name}: assignment to parameter 'r'"):
        verify(bad)
