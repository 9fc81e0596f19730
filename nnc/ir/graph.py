"""A network's compiled step as a Graphviz DOT picture (``nnc dump-ir --graph``).

The picture is a view of a :class:`~nnc.ir.model.Module`, not a second text form of the IR (that is
``printer.py``'s alone): it shows

* the populations (ellipses: name, geometry, rate or spiking) and the projections between them (edges:
  name, targets, storage format, synapse count and delay kind);
* the step's kernels in boxes grouped by phase, in execution order (SEMANTICS.md §2), each joined to
  the object it works on by a dashed edge; a kernel into which the fuse pass merged others is drawn
  with a double border and lists them (``fused: ...``).

Render it with Graphviz (``nnc dump-ir net.py --graph | dot -Tsvg > step.svg``). The text is
deterministic: objects in declaration order, kernels in module order.
"""

from __future__ import annotations

from nnc.ir.model import Kernel, Module
from nnc.ir.types import NeuronKind, ObjKind, Phase

#: Phase titles (SEMANTICS.md §2).
PHASE_TITLES: dict[Phase, str] = {
    Phase.CLEAR_INPUTS: "clear inputs",
    Phase.TRANSMIT: "transmission",
    Phase.RECORD_INPUTS: "record inputs",
    Phase.NEURON: "neuron updates",
    Phase.DELAY: "delays",
    Phase.GLOBAL_OPS: "global operations",
    Phase.SYNAPSE: "synaptic updates",
    Phase.POST_EVENTS: "post-synaptic events",
    Phase.STRUCTURAL: "structural plasticity",
    Phase.RECORD: "recording",
}


def _quote(text: str) -> str:
    """A DOT string literal."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _pop_node(pid: int) -> str:
    return f"pop{pid}"


def _proj_node(pid: int) -> str:
    return f"proj{pid}"


def _kernel_node(index: int) -> str:
    return f"k{index}"


def _statements(body: tuple) -> int:
    """Statements of a kernel body, counting those inside loops and spike blocks (not the blocks)."""
    count = 0
    for stmt in body:
        inner = getattr(stmt, "body", None)
        count += _statements(inner) if isinstance(inner, tuple) else 1
    return count


def module_graph(module: Module) -> str:
    """The DOT text of ``module``'s populations, projections and kernels per phase."""
    lines = [
        f"digraph {_quote(module.name)} {{",
        "  rankdir=LR;",
        "  compound=true;",
        '  node [fontname="Helvetica", fontsize=10];',
        '  edge [fontname="Helvetica", fontsize=9];',
        f"  label={_quote(f'{module.name}: dt = {module.dt} ms, {module.precision.name.lower()}')};",
        '  labelloc="t";',
        '  subgraph cluster_network { label="network"; style=rounded; color="gray60";',
    ]
    for pop in module.populations:
        kind = "spiking" if pop.kind is NeuronKind.SPIKE else "rate-coded"
        shape = "x".join(str(g) for g in pop.geometry)
        label = f"{pop.name}\n{shape} {kind}"
        lines.append(f"    {_pop_node(pop.id)} [shape=ellipse, label={_quote(label)}];")
    for proj in module.projections:
        fmt = proj.format.value if proj.format is not None else "unselected"
        count = f", {proj.stats.n_synapses} synapses" if proj.stats is not None else ""
        delay = "no delay" if proj.delay.name == "NONE" else f"{proj.delay.name.lower()} delays"
        label = f"{proj.name}: {', '.join(proj.targets)}\n{fmt}{count}, {delay}"
        lines.append(
            f"    {_pop_node(proj.pre)} -> {_pop_node(proj.post)} [label={_quote(label)}, penwidth=1.5];"
        )
    lines.append("  }")
    owners: list[tuple[int, Kernel]] = list(enumerate(module.kernels))
    previous: str | None = None
    for phase in Phase:
        kernels = [(i, k) for i, k in owners if k.phase is phase]
        if not kernels:
            continue
        title = f"phase {phase.value}: {PHASE_TITLES[phase]}"
        lines.append(f"  subgraph cluster_phase{phase.value} {{")
        lines.append(f'    label={_quote(title)}; style=filled; color="gray92";')
        for i, kernel in kernels:
            count = _statements(kernel.body)
            label = f"{kernel.name}\n{count} statement{'s' if count != 1 else ''}"
            extra = ""
            if kernel.fused:
                label += "\nfused: " + ", ".join(kernel.fused)
                extra = ", peripheries=2"
            style = f"shape=box, style=filled, fillcolor=white, label={_quote(label)}{extra}"
            lines.append(f"    {_kernel_node(i)} [{style}];")
        lines.append("  }")
        first = _kernel_node(kernels[0][0])
        if previous is not None:  # the order of the phases
            lines.append(f'  {previous} -> {first} [style=bold, color="gray40", weight=10];')
        previous = _kernel_node(kernels[-1][0])
    for i, kernel in owners:
        owner = (
            _pop_node(kernel.owner_id)
            if kernel.owner is ObjKind.POPULATION
            else _owner_of_projection(module, kernel)
        )
        style = 'style=dashed, color="gray60", arrowhead=none, constraint=false'
        lines.append(f"  {_kernel_node(i)} -> {owner} [{style}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _owner_of_projection(module: Module, kernel: Kernel) -> str:
    """A projection's kernels attach to its post-synaptic population (the edge is the projection)."""
    return _pop_node(module.projection(kernel.owner_id).post)
