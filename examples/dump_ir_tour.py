"""A tour of the compiler: one small network printed after every stage, as ``nnc dump-ir`` shows it.

The network has a bit of everything: 200 Izhikevich neurons with noise (explicit Euler, a random draw
per neuron and step), recurrent excitation through fixed-probability synapses, and a 1-D field of
leaky integrators (exponential Euler) that reads the spiking population's decoded rate and inhibits
itself through a Gaussian projection. For each stage the script prints what the stage did, the parts
of the network's text that changed, and the numbers of kernels and statements; the figure shows those
counts stage by stage. The same text comes
from the command line::

    nnc dump-ir examples/dump_ir_tour.py --stage discretise -- --quick
    nnc dump-ir examples/dump_ir_tour.py --graph -- --quick | dot -Tpng > step.png

After the passes, ``--stage kernels`` shows the kernels grouped into classes that share one compiled
function, and ``--stage llvm`` the LLVM IR.

    python examples/dump_ir_tour.py [--quick] [--stages]    # --stages: print every stage in full
"""

from __future__ import annotations

import re

from _gallery import options, report

import nnc as ann
from nnc.api.build import DumpRequest, StageDumped, dumping
from nnc.cli import stage_names

args = options(__doc__, lambda p: p.add_argument("--stages", action="store_true", help="print every stage"))

EXPLAINED = {
    "parse": "the equations, parsed and analysed: each model's attributes with their localities and types",
    "ir": "the network assembled: one kernel per object and phase; ODEs are still equations, "
    "refractoriness a guard ('when %0'), spike emission a kernel of its own",
    "discretise": "every ODE solved for its derivative and integrated: increments ('let') first, "
    "then updates; the exponential factor of the field is computed once per step",
    "simplify": "constants folded and common subexpressions shared",
    "bounds": "a clamp after every update of a bounded variable (none here)",
    "select-format": "a storage format per projection, with the reason printed after '//'",
    "fuse": "kernels merged: spike emission into the neuron loop, transmission into the update of "
    "its post-synaptic population where that leaves every value read unchanged",
}


def build() -> ann.Network:
    net = ann.Network(dt=0.5, seed=7)
    izh = net.create(200, ann.Izhikevich(noise=5.0, i_offset=2.0), name="izhikevich")
    field = net.create(50, ann.LeakyIntegrator(tau=20.0, sum="sum(exc) - sum(inh)"), name="field")
    net.connect(izh, izh, "exc").fixed_probability(probability=0.05, weights=0.5)
    decode = net.connect(ann.DecodingProjection(izh, field, "exc", window=20.0))
    decode.fixed_number_pre(number=20, weights=ann.Uniform(0.0, 0.1, rng=net.default_rng))
    net.connect(field, field, "inh").gaussian(amp=0.05, sigma=0.1)
    net.monitor(izh, "spike")
    return net


texts: dict[str, str] = {}
for stage in [s for s in stage_names() if s not in ("kernels", "llvm", "ptx")]:  # the module stages
    with dumping(DumpRequest(stage)):
        try:
            build().compile()
        except StageDumped as dumped:
            texts[stage] = dumped.text


def kernels(text: str) -> int:
    return len(re.findall(r"^kernel ", text, flags=re.M))


def statements(text: str) -> int:
    """Lines inside kernels that are statements (not loop headers)."""
    inside, count = False, 0
    for line in text.splitlines():
        if line.startswith("kernel "):
            inside = True
        elif not line.strip():
            inside = False
        elif inside and not line.strip().startswith(("for ", "//")):
            count += 1
    return count


def kernel_text(text: str, name: str) -> str:
    """The block of kernel ``name`` (its header up to the next blank line)."""
    match = re.search(rf"^kernel {re.escape(name)} .*?(?=^\s*$)", text, flags=re.M | re.S)
    return match.group(0).rstrip() if match else ""


#: what to show of each stage: kernels by name, or the projections' format lines
SHOW = {
    "ir": ["izhikevich.update", "izhikevich.spike"],
    "discretise": ["izhikevich.update", "field.update"],
    "select-format": "formats",
    "fuse": ["izhikevich.update", "field.update"],
}


def indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())


for stage, text in texts.items():
    print(f"=== {stage}: {EXPLAINED[stage]}")
    if args.stages:
        print(text)
        continue
    if stage != "parse":
        print(f"    ({kernels(text)} kernels, {statements(text)} statements)")
    shown = SHOW.get(stage, [])
    if shown == "formats":
        formats = [line.strip() for line in text.splitlines() if line.strip().startswith("format")]
        print(indent("\n".join(formats)))
    else:
        for name in shown:
            print(indent(kernel_text(text, name)))
    print()

net = build()
net.compile()
net.simulate(200.0 if args.quick else 1000.0)
spikes = net.get_monitors()[0].get("spike")
rate = sum(len(s) for s in spikes.values()) / 200 / (net.current_step * net.dt / 1000.0)
stages = [s for s in texts if s != "parse"]


def figure():
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    x = range(len(stages))
    left.bar(x, [kernels(texts[s]) for s in stages], color="0.4")
    left.set_xticks(list(x), stages, rotation=30, ha="right")
    left.set_ylabel("kernels")
    left.set_title("kernels after each stage (fuse merges them)")
    right.bar(x, [statements(texts[s]) for s in stages], color="0.6")
    right.set_xticks(list(x), stages, rotation=30, ha="right")
    right.set_ylabel("statements")
    right.set_title("statements after each stage")
    fig.tight_layout()
    return fig


report(
    args,
    {
        "kernels after ir": kernels(texts["ir"]),
        "kernels after fuse": kernels(texts["fuse"]),
        "kernels merged by fuse": kernels(texts["ir"]) - kernels(texts["fuse"]),
        "ODEs left after discretise": texts["discretise"].count("ode["),
        "ODEs in the ir stage": texts["ir"].count("ode["),
        "Izhikevich rate (Hz)": rate,
    },
    figure,
)
