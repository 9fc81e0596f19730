"""The LaTeX model report: the tables of Nordlie, Gewaltig & Plesser (2009), as the reference writes them.

Nordlie E, Gewaltig M-O, Plesser HE (2009). Towards Reproducible Descriptions of Neuronal Network Models.
PLoS Comput Biol 5(8): e1000456. Tables: A model summary, B populations, C connectivity, D neuron
models, E synapse models, F parameters (constants, functions, population and projection parameters),
G inputs, H measurements.

The standalone document needs only LaTeX's base packages (``tabularx`` of the tools bundle, ``amsmath``);
``geometry``, ``colortbl``, ``helvet`` and ``breqn`` (equations broken across lines) are used where
installed.
"""

from __future__ import annotations

from nnc.report.content import Content, Model
from nnc.report.typeset import latex_text

PREAMBLE = r"""%  Model description tables after
%  Nordlie E, Gewaltig M-O, Plesser HE (2009). Towards Reproducible Descriptions of Neuronal Network
%  Models. PLoS Comput Biol 5(8): e1000456. http://dx.doi.org/10.1371/journal.pcbi.1000456
\documentclass{article}
\IfFileExists{geometry.sty}{\usepackage[margin=1in]{geometry}}{}
\usepackage{tabularx}
\usepackage[fleqn]{amsmath}
\setlength{\mathindent}{0em}
\IfFileExists{breqn.sty}{\usepackage{breqn}}{\newenvironment{dmath*}{\begin{equation*}}{\end{equation*}}}
\IfFileExists{helvet.sty}{\usepackage[scaled=.95]{helvet}\renewcommand\familydefault{\sfdefault}}{}
\IfFileExists{colortbl.sty}{\usepackage{colortbl}\newcommand{\hdrcolor}{\color{white}\cellcolor[gray]{0.0}}}%
{\newcommand{\hdrcolor}{}}
\renewcommand\arraystretch{1.2}
\pagestyle{empty}
\newcommand{\hdr}[3]{\multicolumn{#1}{|l|}{\hdrcolor
  \textbf{\makebox[0pt]{#2}\hspace{0.5\linewidth}\makebox[0pt][c]{#3}}}}
\begin{document}
"""

FOOTER = "\n\\end{document}\n"


def latex(content: Content, standalone: bool) -> str:
    """The whole document (``standalone``: with preamble, compilable on its own; else includable)."""
    parts = [
        _summary(content),
        _populations(content),
        _connectivity(content),
        _models(content.neurons, "D", "Neuron Models", synapse=False),
        _models(content.synapses, "E", "Synapse Models", synapse=True),
        _parameters(content),
        _inputs(content),
        _measurements(),
    ]
    body = "".join(parts)
    return PREAMBLE + body + FOOTER if standalone else body


def _soft(text: str) -> str:
    """Escape what breaks LaTeX in text that may already hold math (connector patterns)."""
    return text.replace("_", r"\_").replace("&", r"\&").replace("%", r"\%").replace("#", r"\#")


def _dmath(tex: str) -> str:
    return "\n\\begin{dmath*}\n" + tex + "\n\\end{dmath*}\n"


def _table(spec: str, body: str) -> str:
    begin = f"\n\\noindent\n\\begin{{tabularx}}{{\\linewidth}}{{{spec}}}\\hline\n"
    return begin + body + "\\end{tabularx}\n\n\\vspace{2ex}\n"


def _head(*titles: str) -> str:
    """A row of bold column titles."""
    return " & ".join(f"\\textbf{{{t}}}" for t in titles) + " \\\\ \\hline\n"


def _summary(c: Content) -> str:
    input_names = dict(c.inputs)
    inputs = (
        ", ".join(dict.fromkeys(label for name, _, label in c.populations if name in input_names)) or "---"
    )
    models = [label for name, _, label in c.populations if name not in input_names]
    neurons = ", ".join(dict.fromkeys(models)) or "---"
    synapses = ", ".join(dict.fromkeys(m.label for m in c.synapses)) or "---"
    patterns = ", ".join(sorted({p["pattern"] for p in c.projections})) or "---"
    names = f"{len(c.populations)}: " + ", ".join(latex_text(name) for name, _, _ in c.populations)
    rows = [
        ("Populations", names),
        ("Topology", "---"),
        ("Connectivity", latex_text(patterns)),
        ("Neuron models", latex_text(neurons)),
        ("Channel models", "---"),
        ("Synapse models", "---"),
        ("Plasticity", latex_text(synapses)),
        ("Input", latex_text(inputs)),
        ("Measurements", "---"),
    ]
    body = "\\hdr{2}{A}{Model Summary}\\\\ \\hline\n"
    body += "".join(f"\\textbf{{{k}}} & {v} \\\\ \\hline\n" for k, v in rows)
    return _table("|l|X|", body)


def _size(geometry: tuple[int, ...]) -> str:
    size = 1
    for g in geometry:
        size *= g
    return str(size) + (" (" + "*".join(str(g) for g in geometry) + ")" if len(geometry) > 1 else "")


def _populations(c: Content) -> str:
    body = "\\hdr{3}{B}{Populations}\\\\ \\hline\n" + _head("Name", "Elements", "Size")
    for name, geometry, label in c.populations:
        n = latex_text(name)
        body += f"{n} & {latex_text(label)} & $N_{{\\text{{{n}}}}}$ = {_size(geometry)} \\\\ \\hline\n"
    return _table("|l|l|X|", body)


def _connectivity(c: Content) -> str:
    body = "\\hdr{5}{C}{Connectivity}\\\\ \\hline\n"
    body += _head("Source", "Destination", "Target", "Synapse", "Pattern")
    for p in c.projections:
        cells = [latex_text(p[k]) for k in ("pre", "post", "target", "synapse")] + [_soft(p["description"])]
        body += " & ".join(cells) + " \\\\ \\hline\n"
    return _table("|l|l|l|X|X|", body)


def _model_rows(m: Model, synapse: bool) -> str:
    rows = f"\\textbf{{Name}} & {latex_text(m.label)} \\\\ \\hline\n"
    rows += f"\\textbf{{Type}} & {latex_text(m.description)} \\\\ \\hline\n"
    if synapse and m.psp is not None:
        rows += f"\\textbf{{PSP}} & {_dmath(m.psp)}\\\\ \\hline\n"
        if m.operation != "sum" and not m.spiking:
            rows += f"\\textbf{{Operation}} & {m.operation} \\\\ \\hline\n"
    if m.variables:
        what = "Subthreshold dynamics" if m.spiking and not synapse else "Equations"
        rows += f"\\textbf{{{what}}} & " + "".join(_dmath(v.latex) for v in m.variables) + "\\\\ \\hline\n"
    if m.spike is not None:
        items = "\n".join(["  \\item Emit a spike at time $t^*$", *(f"  \\item ${r}$" for r in m.reset)])
        rows += (
            f"\\textbf{{Spiking}} & If ${m.spike}$ or $t \\leq t^* + t_{{\\text{{refractory}}}}$:\n"
            f"\\begin{{enumerate}}\n{items}\n\\end{{enumerate}}\n\\\\ \\hline\n"
        )
    for title, events in (("Pre-synaptic event", m.pre_event), ("Post-synaptic event", m.post_event)):
        if events:
            rows += f"\\textbf{{{title}}} & " + "".join(_dmath(e) for e in events) + "\\\\ \\hline\n"
    for title, rule in (("Creating", m.creating), ("Pruning", m.pruning)):
        if rule is not None:
            rows += f"\\textbf{{{title}}} & {_dmath(rule)}\\\\ \\hline\n"
    if m.functions:
        rows += "\\textbf{Functions} & " + "".join(_dmath(f) for f in m.functions) + "\\\\ \\hline\n"
    return rows


def _models(models: list[Model], letter: str, title: str, synapse: bool) -> str:
    """One table per model; the first carries the section header (``letter``, ``title``)."""
    out = ""
    for i, m in enumerate(models):
        head = f"\\hdr{{2}}{{{letter}}}{{{title}}}\\\\ \\hline\n" if i == 0 else ""
        out += _table("|p{0.15\\linewidth}|X|", head + _model_rows(m, synapse=synapse))
    return out


def _three_columns(title: tuple[str, str, str], rows: list[tuple[str, str, str]]) -> str:
    body = _head(*title)
    body += "".join(f"{a} & {b} & {v} \\\\ \\hline\n" for a, b, v in rows)
    return _table("|p{0.25\\linewidth}|p{0.25\\linewidth}|X|", body)


def _parameters(c: Content) -> str:
    out = _table("|X|", "\\hdr{1}{F}{Parameters}\\\\ \\hline\n")
    if c.constants:
        out += _three_columns(
            ("Constants", "Name", "Value"), [("", f"${n}$", latex_text(v)) for n, v in c.constants]
        )
    if c.functions:
        body = "\\textbf{Functions} & " + "".join(_dmath(f) for f in c.functions) + "\\\\ \\hline\n"
        out += _table("|p{0.25\\linewidth}|X|", body)
    for pop, _, values in c.pop_parameters:
        rows = [(latex_text(pop) if i == 0 else "", f"${n}$", _value(v)) for i, (n, v) in enumerate(values)]
        out += _three_columns(("Population", "Parameter", "Value"), rows)
    for proj, _, values in c.proj_parameters:
        rows = [(_soft(proj) if i == 0 else "", f"${n}$", _value(v)) for i, (n, v) in enumerate(values)]
        out += _three_columns(("Projection", "Parameter", "Value"), rows)
    return out


def _value(value: str) -> str:
    """A value cell: ranges and distributions are already LaTeX math, anything else is text."""
    return value if value.startswith("$") else latex_text(value)


def _inputs(c: Content) -> str:
    body = "\\hdr{2}{G}{Input}\\\\ \\hline\n\\textbf{Name} & \\textbf{Description} \\\\ \\hline\n"
    body += (
        "".join(f"{latex_text(n)} & {latex_text(d)} \\\\ \\hline\n" for n, d in c.inputs)
        or "--- & --- \\\\ \\hline\n"
    )
    return _table("|l|X|", body)


def _measurements() -> str:
    body = "\\hdr{2}{H}{Measurement}\\\\ \\hline\n\\textbf{Type} & \\textbf{Description} \\\\ \\hline\n"
    return _table("|l|X|", body + "--- & --- \\\\ \\hline\n")
