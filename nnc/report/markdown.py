"""The Markdown model report (the reference's ``report_markdown``): pandoc turns it into PDF or HTML."""

from __future__ import annotations

from nnc.report.content import Content, Model, Variable


def markdown(content: Content, title: str | None, author: str | None, date: str | None) -> str:
    """The whole document."""
    header = "---\ntitle: {}\nauthor: {}\ndate: {}\n---\n".format(
        "Network description" if title is None else title,
        "nnc (neural network compiler)" if author is None else author,
        "" if date is None else date,
    )
    return header + _summary(content) + _models(content) + _parameters(content)


def table(header: list[str], rows: list[list[object]]) -> str:
    """A Markdown table, columns padded to their widest cell (the reference's layout)."""
    widths = [len(h) + 4 for h in header]
    for row in rows:
        widths = [max(w, len(str(cell))) for w, cell in zip(widths, row, strict=True)]
    lines = [
        "| "
        + "".join(f"**{h}**" + " " * (w - len(h) - 4) + " | " for h, w in zip(header, widths, strict=True))
    ]
    lines.append("| " + "".join("-" * w + " | " for w in widths))
    lines += ["| " + "".join(f"{c!s:<{w}} | " for c, w in zip(row, widths, strict=True)) for row in rows]
    return "\n".join(lines) + "\n\n"


def _summary(c: Content) -> str:
    txt = "\n# Structure of the network\n"
    txt += f"\n* nnc {c.version} using the {c.backend} backend.\n* Numerical step size: {c.dt} ms.\n"
    if c.populations:
        rows = [[name, geom if len(geom) > 1 else geom[0], label] for name, geom, label in c.populations]
        txt += "\n## Populations\n\n" + table(["Population", "Size", "Neuron type"], rows)
    if c.projections:
        rows = [[p["pre"], p["post"], p["target"], p["synapse"], p["description"]] for p in c.projections]
        txt += "\n## Projections\n\n" + table(
            ["Source", "Destination", "Target", "Synapse type", "Pattern"], rows
        )
    if c.monitors:
        txt += "\n## Monitors\n\n" + table(["Object", "Variables", "Period"], [list(m) for m in c.monitors])
    if c.functions:
        txt += "## Functions\n\n" + "".join(f"$${f}$$\n\n" for f in c.functions)
    return txt


def _variables(variables: list[Variable]) -> str:
    from nnc.report.typeset import latex_name

    txt = ""
    for v in variables:
        extra = "" if v.lo is None else f", minimum: {v.lo}"
        extra += "" if v.hi is None else f", maximum: {v.hi}"
        extra += "" if v.method is None else f", {v.method} numerical method"
        txt += f"\n* Variable ${latex_name(v.name)}$ : {v.locality}, initial value: {v.init}{extra}\n"
        txt += f"\n$$\n{v.latex}\n$$\n"
    return txt


def _model(m: Model, synapse: bool) -> str:
    params = table(["Name", "Default value", "Locality", "Type"], [list(p) for p in m.parameters])
    txt = f"\n## {m.label}\n\n{m.description}\n\n**Parameters:**\n\n"
    txt += (params if m.parameters else "$$\\varnothing$$") + "\n\n**Equations:**\n\n"
    txt += _variables(m.variables) if m.variables else "$$\\varnothing$$\n"
    if m.spike is not None:
        txt += f"\n**Spike emission:**\n\nif ${m.spike}$ :\n\n* Emit a spike a time $t$.\n"
        txt += "".join(f"* ${r}$\n" for r in m.reset) + "\n"
    if m.functions:
        txt += "\n**Functions**\n\n" + "".join(f"$${f}$$\n\n" for f in m.functions)
    if m.pre_event:
        txt += "\n**Pre-synaptic event at $t_\\text{pre} + d$:**\n" + "".join(
            f"$${e}$$\n" for e in m.pre_event
        )
    if m.post_event:
        txt += "\n**Post-synaptic event at $t_\\text{post}$:**\n" + "".join(
            f"$${e}$$\n" for e in m.post_event
        )
    if m.creating is not None:
        txt += f"\n**Creation of synapses:**\n\n$${m.creating}$$\n"
    if m.pruning is not None:
        txt += f"\n**Pruning of synapses:**\n\n$${m.pruning}$$\n"
    txt += "\n"
    if synapse and m.psp is not None:
        title = "Continuous transmission" if m.spiking else "Weighted sum"
        op = "" if m.operation == "sum" or m.spiking else f" (operation: {m.operation})"
        txt += f"\n**{title}{op}:**\n\n$${m.psp}$$\n\n"
    return txt


def _models(c: Content) -> str:
    txt = "\n# Neuron models\n" + "".join(_model(m, False) for m in c.neurons)
    return txt + "\n# Synapse models\n" + "".join(_model(m, True) for m in c.synapses)


def _parameters(c: Content) -> str:
    txt = "\n# Parameters\n"
    if c.constants:
        rows = [[f"${name}$", value] for name, value in c.constants]
        txt += "\n## Constants\n" + table(["Name", "Value"], rows)
    rows = [
        [_escaped(pop) if i == 0 else "", label if i == 0 else "", f"${name}$", value]
        for pop, label, values in c.pop_parameters
        for i, (name, value) in enumerate(values)
    ]
    txt += "\n## Population parameters\n\n" + table(["Population", "Neuron type", "Name", "Value"], rows)
    rows = [
        [_escaped(proj) if i == 0 else "", label if i == 0 else "", f"${name}$", value]
        for proj, label, values in c.proj_parameters
        for i, (name, value) in enumerate(values)
    ]
    return (
        txt + "\n## Projection parameters\n\n" + table(["Projection", "Synapse type", "Name", "Value"], rows)
    )


def _escaped(name: str) -> str:
    """Underscores of names escaped, as the reference writes the parameter tables."""
    return name.replace("_", "\\_")
