"""report(): the Markdown and LaTeX descriptions of a network (API.md §1, the reference's ann.report)."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

import nnc as ann
from nnc.diagnostics import ModelError
from nnc.frontend.text import EQUATIONS, FUNCTIONS, statements
from nnc.report.typeset import GREEK, Typesetter, latex_name

DATA = Path(__file__).parent / "data"


def _script() -> ModuleType:
    """tests/api/data/report_script.py, the network of the comparison with the reference."""
    spec = importlib.util.spec_from_file_location("report_script", DATA / "report_script.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_markdown_is_the_reference_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The whole document equals the reference's (report_reference.md, ANNarchy 5.0.4.1) but for the
    simulator's name and the equations: nnc keeps the user's order of terms where the reference's SymPy
    sorts them, and writes pre-synaptic values of the psp as delayed values."""
    ann.report(_script().build(ann), str(tmp_path / "model.md"))
    assert capsys.readouterr().out == f"Generating report in {tmp_path / 'model.md'}\n"
    expected = (DATA / "report_reference.md").read_text()
    known = {
        "ANNarchy (Artificial Neural Networks architect)": "nnc (neural network compiler)",
        "ANNarchy 5.0.4.1 using": f"nnc {ann.__version__} using",
        r"\frac{d{v}(t)}{dt} \cdot \tau + {v}(t)": r"\tau \cdot \frac{d{v}(t)}{dt} + {v}(t)",
        "{r}(t) = ({v}(t))^+": r"{r}(t) = \left({v}(t)\right)^+",
        r"\eta \cdot {r^{\text{post}}}(t) \cdot {r^{\text{pre}}}(t-d)": (
            r"\eta \cdot {r^{\text{pre}}}(t-d) \cdot {r^{\text{post}}}(t)"
        ),
        r"$$w(t) \cdot r^{\text{pre}}(t)$$": r"$${w}(t) \cdot {r^{\text{pre}}}(t-d)$$",
    }
    for ref, ours in known.items():
        assert ref in expected
        expected = expected.replace(ref, ours)
    assert (tmp_path / "model.md").read_text() == expected


def test_markdown_header_and_legacy_form(tmp_path: Path) -> None:
    pop = ann.Population(3, ann.LeakyIntegrator, name="legacy_pop")
    assert pop.size == 3
    ann.report(str(tmp_path / "sub" / "m.md"), title="My model", author="Me", date="today")  # directory made
    text = (tmp_path / "sub" / "m.md").read_text()
    assert text.startswith("---\ntitle: My model\nauthor: Me\ndate: today\n---\n")
    assert "| legacy_pop     | 3        | Leaky-Integrator |" in text


def test_models_of_a_spiking_network(tmp_path: Path) -> None:
    net = ann.Network()
    src = net.create(ann.PoissonPopulation(4, rates=20.0, name="src"))
    izh = net.create(2, ann.Izhikevich, name="izh")
    proj = net.connect(src, izh, "exc", ann.STDP)
    proj.all_to_all(ann.Uniform(0.0, 1.0))
    net.monitor(izh[0], "spike")
    ann.report(net, str(tmp_path / "s.md"))
    text = (tmp_path / "s.md").read_text()
    assert r"if ${v}(t) > v_{\text{thresh}}$ :" in text
    assert "* ${v}(t) = c$\n* ${u}(t) \\mathrel{+}= d$\n" in text
    assert r"**Pre-synaptic event at $t_\text{pre} + d$:**" in text
    assert r"$${x}(t) \mathrel{+}= A_{\text{plus}} \cdot w_{\text{max}}$$" in text
    assert "Variable $x$ : per synapse, initial value: 0.0, event-driven numerical method" in text
    assert r"All-to-All, weights $\mathcal{U}$(0.0, 1.0), delays 0.0" in text
    assert "| izh (subset) | spike         | 1.0        |" in text
    assert "Spiking neuron with spikes emitted according to a Poisson distribution." in text


def test_structural_rules_and_operation(tmp_path: Path) -> None:
    syn = ann.Synapse(
        parameters="eta = 0.1 : projection",
        equations="dw/dt = -eta * w",
        pruning=ann.Pruning("w < 0.1", proba=0.5),
        creating="pre.r * post.r > 0.9 : proba=0.25, w=0.5",
        operation="max",
        name="Pruned",
    )
    net = ann.Network()
    net.config(structural_plasticity=True)
    pop = net.create(3, ann.LeakyIntegrator)
    net.connect(pop, pop, "exc", syn).all_to_all(1.0)
    ann.report(net, str(tmp_path / "r.md"))
    text = (tmp_path / "r.md").read_text()
    creating = r"{r^{\text{pre}}}(t-d) \cdot {r^{\text{post}}}(t) > 0.9, with probability 0.25"
    assert f"**Creation of synapses:**\n\n$${creating}$$" in text
    assert "**Pruning of synapses:**\n\n$${w}(t) < 0.1, with probability 0.5$$" in text
    assert "**Weighted sum (operation: max):**" in text


def test_parameter_values_now_and_ranges(tmp_path: Path) -> None:
    net = ann.Network()
    pop = net.create(4, ann.Neuron(parameters="a = 1.0\nb = 2.0 : population", equations="r = a + b"))
    pop.a = [0.0, 1.0, 2.0, 3.0]
    pop.b = 5.0
    ann.report(net, str(tmp_path / "p.md"))
    text = (tmp_path / "p.md").read_text()
    assert "| pop0           | Neuron 1        | $a$      | $[0.0, 3.0]$ |" in text
    assert "|                |                 | $b$      | 5.0          |" in text


def test_gather_subprojections(tmp_path: Path) -> None:
    net = ann.Network()
    a = net.create(4, ann.LeakyIntegrator, name="a")
    b = net.create(4, ann.LeakyIntegrator, name="b")
    net.connect(a[:2], b, "exc", ann.Hebb).all_to_all(1.0)
    net.connect(a[2:], b, "exc", ann.Hebb).all_to_all(1.0)
    for gather, rows in ((False, 2), (True, 1)):
        ann.report(net, str(tmp_path / "g.md"), gather_subprojections=gather)
        text = (tmp_path / "g.md").read_text()
        assert text.count("| a          | b               | exc") == rows
        assert text.count(r"a  $\rightarrow$ b with target exc") == rows


def test_connector_descriptions() -> None:
    net = ann.Network()
    a = net.create((4, 4), ann.LeakyIntegrator)
    proj = net.connect(a, a, "exc")
    cases = [
        (lambda: proj.fixed_probability(0.5, ann.Normal(0.0, 1.0), delays=ann.Uniform(1.0, 2.0)),
         r"Random, sparseness 0.5, weights $\mathcal{N}$(0.0, 1.0), delays $\mathcal{U}$(1.0, 2.0)"),
        (lambda: proj.fixed_number_pre(3, 1.0),
         r"Random Convergent 3 $\rightarrow$ 1, weights 1.0, delays 0.0"),
        (lambda: proj.fixed_number_post(2, 0.5),
         r"Random Divergent 1 $\rightarrow$ 2, weights 0.5, delays 0.0"),
        (lambda: proj.gaussian(1.0, 0.2), "Gaussian, amplitude 1.0, sigma 0.2, delays 0.0"),
        (lambda: proj.dog(1.0, 0.2, 0.5, 0.4),
         "Difference-of-Gaussian, A+ 1.0, sigma+ 0.2, A- 0.5, sigma- 0.4, delays 0.0"),
        (lambda: proj.from_matrix([[1.0] * 16] * 16), "Connectivity matrix"),
    ]  # fmt: skip
    for connect, text in cases:
        connect()
        assert proj._connector.description == text


def test_latex_document(tmp_path: Path) -> None:
    net = _script().build(ann)
    ann.add_function("sigmoid(x) = 1.0 / (1.0 + exp(-x))")
    ann.report(net, str(tmp_path / "model.tex"))
    tex = (tmp_path / "model.tex").read_text()
    assert tex.count(r"\documentclass") == 1
    assert tex.rstrip().endswith(r"\end{document}")
    _balanced(tex)
    _macros_are_base(tex)
    assert r"\textbf{Populations} & 2: area\_a, b \\ \hline" in tex
    assert r"\textbf{Connectivity} & All-to-All, Random Convergent, Random Divergent \\ \hline" in tex
    assert r"area\_a & Rate & $N_{\text{area\_a}}$ = 12 (3*4) \\ \hline" in tex
    pattern = r"Random Convergent 4 $\rightarrow$ 1, weights $\mathcal{N}$(0.5, 0.1), delays 2.0"
    assert rf"area\_a & b & exc & Learn & {pattern}" in tex
    assert (
        "\\begin{dmath*}\n{\\text{sigmoid}}\\left(x\\right) = \\frac{1.0}{1.0 + e^{- x}}\n\\end{dmath*}"
        in tex
    )
    assert r" & $k_{\text{gain}}$ & 3.0 \\ \hline" in tex
    ann.report(net, str(tmp_path / "part.tex"), standalone=False)
    part = (tmp_path / "part.tex").read_text()
    assert r"\documentclass" not in part
    assert r"\begin{document}" not in part
    assert part in tex
    _balanced(part)


#: Macros of the LaTeX kernel and amsmath, Greek letters and the preamble's hdr:
#: the report's body may use these only, so it needs no package beyond the base ones.
BASE_MACROS = set(
    [
        "hline",
        "text",
        "textbf",
        "end",
        "begin",
        "linewidth",
        "cdot",
        "frac",
        "vspace",
        "noindent",
        "right",
        "left",
        "item",
        "hdr",
        "mathrel",
        "leq",
        "rightarrow",
        "mathcal",
        "sum",
        "sqrt",
        "wedge",
        "vee",
        "neg",
        "geq",
        "neq",
        "lfloor",
        "rfloor",
        "lceil",
        "rceil",
        "bmod",
        "max",
        "min",
        "log",
        "ln",
        "sin",
        "cos",
        "tan",
        "sinh",
        "cosh",
        "tanh",
        "arcsin",
        "arccos",
        "arctan",
        "infty",
        "operatorname",
        "quad",
        "qquad",
    ]
)


def _macros_are_base(tex: str) -> None:
    body = tex[tex.index(r"\begin{document}") :] if r"\begin{document}" in tex else tex
    used = set(re.findall(r"\\([A-Za-z]+)", body))
    unknown = {m for m in used if m not in BASE_MACROS and m not in GREEK}
    assert not unknown, unknown


def _balanced(tex: str) -> None:
    """Every environment is closed in order, every brace matched (outside escaped braces)."""
    stack = []
    for kind, name in re.findall(r"\\(begin|end)\{([^}]*)\}", tex):
        if kind == "begin":
            stack.append(name)
        else:
            assert stack, name
            assert stack.pop() == name
    assert not stack
    depth = 0
    for i, ch in enumerate(tex):
        if ch in "{}" and tex[i - 1] != "\\":
            depth += 1 if ch == "{" else -1
            assert depth >= 0
    assert depth == 0


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed on this machine")
def test_latex_compiles_with_pdflatex(tmp_path: Path) -> None:
    net = _script().build(ann)
    spiking = net.create(2, ann.Izhikevich, name="izh")
    net.connect(spiking, spiking, "exc", ann.STDP).all_to_all(0.5)
    ann.report(net, str(tmp_path / "model.tex"))
    run = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "model.tex"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout[-3000:]
    assert (tmp_path / "model.pdf").stat().st_size > 0


def test_errors(tmp_path: Path) -> None:
    net = ann.Network()
    with pytest.raises(ModelError, match=r"must end with \.tex or \.md"):
        ann.report(net, str(tmp_path / "model.txt"))
    with pytest.raises(ModelError, match="expected a Network"):
        ann.report(3, str(tmp_path / "model.md"))


# ------------------------------------------------------------------------------------ typesetting
def _eq(text: str, timed: tuple[str, ...] = (), synapse: bool = False) -> str:
    (stmt,) = statements(text, "test", "equations", EQUATIONS, synapse)
    return Typesetter(timed, synapse).equation(stmt.body)


@pytest.mark.parametrize(
    ("text", "latex"),
    [
        ("x = a - (b - c) + -2", r"x = a - \left(b - c\right) - 2"),
        ("x = -3 * dt / tau_m", r"x = - \frac{3 \cdot \Delta t}{\tau_m}"),
        ("x = u * (-y) / -(z + 1)", r"x = \frac{u \cdot y}{z + 1}"),
        ("x = 1 / (1 + exp(-a))", r"x = \frac{1}{1 + e^{- a}}"),
        (
            "x = Uniform(0.0, 1.0) * 1000.0 / dt",
            r"x = \frac{\mathcal{U}\left(0.0, 1.0\right) \cdot 1000.0}{\Delta t}",
        ),
        ("x += a^2 - -b^2", r"x \mathrel{+}= a^{2} + b^{2}"),
        ("x = pos(a) + fabs(b) + sqrt(c)", r"x = \left(a\right)^+ + \left|b\right| + \sqrt{c}"),
        (
            "x = if a > b: a else: b",
            r"x = \begin{cases} a & \text{for}\: a > b \\b & \text{otherwise} \end{cases}",
        ),
        ("x = not (a < b) or c", r"x = c \vee \neg\left(a < b\right)"),
        ("x = sum(exc)", r"x = \sum_{\text{exc}} w \cdot r^{\text{pre}}(t-d)"),
        ("x = myfunc(a, 2.0)", r"x = {\text{myfunc}}\left(a, 2.0\right)"),
    ],
)
def test_typeset_expressions(text: str, latex: str) -> None:
    assert _eq(text) == latex


def test_typeset_names_of_synapses() -> None:
    assert _eq("dw/dt = pre.r * post.v_th - w", ("w",), True) == (
        r"\frac{d{w}(t)}{dt} = {r^{\text{pre}}}(t-d) \cdot {v_{\text{th}}^{\text{post}}}(t) - {w}(t)"
    )
    assert (
        _eq("x = post.sum(exc)", (), True)
        == r"x = \left(\sum_{\text{exc}} \text{psp}(t)\right)^{\text{post}}"
    )
    (f,) = statements("f(x, y_z) = x * y_z", "test", "functions", FUNCTIONS)
    assert Typesetter().function(f.body) == r"f\left(x, y_z\right) = x \cdot y_z"


@pytest.mark.parametrize(
    ("name", "latex"),
    [
        ("v", "v"),
        ("tau", r"\tau"),
        ("baseline", r"{\text{baseline}}"),
        ("tau_c", r"\tau_c"),
        ("noise_amp", r"{\text{noise}}_{\text{amp}}"),
        ("a_b_c", r"{\text{a\_b\_c}}"),
    ],
)
def test_latex_names(name: str, latex: str) -> None:
    assert latex_name(name) == latex


def test_every_kind_of_input_and_projection(tmp_path: Path) -> None:
    net = ann.Network(dt=0.5)
    timed = net.create(ann.TimedArray(rates=np.ones((3, 4)), name="timed"))
    src = net.create(ann.SpikeSourceArray([[1.0], [2.0]], name="src"))
    net.create(ann.TimedPoissonPopulation(3, rates=[10.0, 20.0], schedule=[0.0, 5.0], name="tpp"))
    hc = net.create(
        ann.HomogeneousCorrelatedSpikeTrains(
            3, rates=[10.0, 20.0], corr=0.1, tau=5.0, schedule=[0, 5], name="hc"
        )
    )
    neuron = ann.Neuron(
        parameters={"a": 1.0, "b": ann.Parameter(2.0, locality="local")},
        equations=[ann.Variable("r = myf(a) + b * sum(exc)", min=0.0)],
        functions="myf(x) = x^2 - 1",
    )
    grid = net.create((2, 3), neuron, name="grid")
    cells = net.create(3, ann.IF_curr_exp, name="cells")
    rate = net.create(3, ann.LeakyIntegrator, name="rate")
    net.connect(ann.DecodingProjection(src, rate, "exc", window=2.0)).all_to_all(1.0)
    net.connect(ann.CurrentInjection(rate, cells, "exc")).connect_current()
    proj = net.connect(timed, grid[0:4], "exc", ann.Oja).all_to_all(1.0)
    net.connect(hc, cells, "exc", ann.STP).fixed_number_pre(2, 0.5)
    net.compile()
    net.monitor(proj.dendrite(0), "w")
    ann.report(net, str(tmp_path / "all.md"))
    ann.report(net, str(tmp_path / "all.tex"))
    text, tex = (tmp_path / "all.md").read_text(), (tmp_path / "all.tex").read_text()
    _balanced(tex)
    _macros_are_base(tex)
    assert "| proj2 (dendrite 0) | w             | 0.5        |" in text
    assert (
        r"{r}(t) = {\text{myf}}\left(a\right) + b \cdot \sum_{\text{exc}} w \cdot r^{\text{pre}}(t-d)" in text
    )
    assert "$${\\text{myf}}\\left(x\\right) = x^{2} - 1$$" in text
    assert "## TimedArray" not in text  # inputs built on IR have no equations to show
    for row in ("timed & Timed array source.", "src & Spike source array.", "hc & Homogeneous correlated"):
        assert row in tex


def test_a_statement_without_latex_form_is_written_as_text() -> None:
    """Numbers used as truth values (accepted by the DSL) have no SymPy form: the text is shown."""
    assert _eq("x = (a + 1) and b") == r"\text{x = (a + 1) and b}"
    assert _eq("x = if a + 1: 1 else: 2") == r"\text{x = if a + 1: 1 else: 2}"
    assert _eq("x = not (a + 1)") == r"x = \neg\left(a + 1\right)"


def test_every_built_in_model_typesets_with_base_macros(tmp_path: Path) -> None:
    net = ann.Network()
    for cls in ann.models.list_standard_neurons():
        net.create(2, cls, name=cls.__name__)
    rate = net.create(2, ann.LeakyIntegrator, name="rate")
    spiking = net.create(2, ann.Izhikevich, name="spiking")
    for cls in ann.models.list_standard_synapses():
        src = spiking if cls.__name__ in ("STP", "STDP") else rate
        net.connect(src, src, "exc", cls).all_to_all(0.1)
    ann.report(net, str(tmp_path / "models.tex"))
    tex = (tmp_path / "models.tex").read_text()
    _balanced(tex)
    _macros_are_base(tex)
    assert not re.search(r"\\text\{[^}]*=", tex)  # every statement typeset, none left as text
    assert tex.count(r"\begin{dmath*}") > 40
