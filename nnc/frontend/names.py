"""What names mean inside one model (DSL.md §5.2): declarations, reserved words, visible symbols."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field

from nnc.diagnostics import DslNameError, SourceSpan
from nnc.ir.functions import FUNC_BY_NAME
from nnc.ir.model import FunctionDef, NeuronModel
from nnc.ir.nodes import Dist, GlobalOp
from nnc.ir.types import AttrKind, DType, Locality

#: Names that may not be declared as attributes: "X is a reserved variable name" (DSL.md §5.2).
RESERVED_VARIABLES = frozenset(
    [
        "t",
        "dt",
        "t_pre",
        "t_post",
        "t_last",
        "last_spike",
        "rk_post",
        "rk_pre",
        "i",
        "j",
        "active",
        "refractory",
        "size",
        # nnc's hidden spiking state (nnc.ir.model.SPIKING_STATE): the reference's generated C++ holds
        # members of these names, so declaring them fails there too
        "refractory_remaining",
        "_last_event",
    ]
)
#: Built-in function names that may not be declared: "X is a reserved keyword" (DSL.md §5.2).
RESERVED_KEYWORDS = frozenset(
    ["pos", "positive", "neg", "negative", "modulo", "fabs", "ite", "clip", "power", "round", "True", "False"]
)
#: Distribution names usable in equations (DSL.md §12).
DISTRIBUTIONS: dict[str, Dist] = {d.value: d for d in Dist}
#: One-argument global operations (DSL.md §8).
GLOBAL_OPS: dict[str, GlobalOp] = {g.value: g for g in GlobalOp}
#: Names a user function may not take: the math library, built-ins and the DSL's special calls.
RESERVED_FUNCTIONS = (
    frozenset(FUNC_BY_NAME) | {"ite", "sum", "min", "max", "mean", "norm1", "norm2"} | set(DISTRIBUTIONS)
)
#: Names with a fixed meaning in every expression.
BUILTIN_NAMES = ("t", "dt", "pi")


@dataclass(frozen=True, slots=True)
class Decl:
    """A declared attribute of the object being analysed (its init value is resolved later)."""

    name: str
    dtype: DType
    locality: Locality
    kind: AttrKind
    span: SourceSpan | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Names:
    """Everything a name or a call can refer to in one model.

    ``attrs`` are the model's own attributes; ``pre``/``post`` the neuron models of a synapse's
    populations; ``params`` (only in a function body) the argument names with their types.
    """

    attrs: Mapping[str, Decl]
    constants: frozenset[str] = frozenset()
    functions: Mapping[str, FunctionDef] = field(default_factory=dict)
    spiking: bool = False
    synapse: bool = False
    pre: NeuronModel | None = None
    post: NeuronModel | None = None
    connected: tuple[str, ...] | None = None
    pre_targets: tuple[str, ...] = ()
    post_targets: tuple[str, ...] = ()
    params: Mapping[str, DType] | None = None

    def candidates(self) -> list[str]:
        """Every name visible in an expression, for did-you-mean hints."""
        if self.params is not None:
            return [*self.params, *self.constants, "pi"]
        extra = ["t_pre", "t_post"] if self.synapse and self.spiking else []
        extra += ["t_last"] if self.spiking and not self.synapse else []
        return [*self.attrs, *self.constants, *BUILTIN_NAMES, *extra]


@dataclass(slots=True)
class ModelState:
    """What building one model accumulates: random streams, targets, implicit conductances."""

    streams: int = 0
    targets: list[str] = field(default_factory=list)
    implicit: dict[str, Decl] = field(default_factory=dict)

    def next_stream(self) -> int:
        """A fresh stream number for a random draw (DSL.md §12: one per occurrence)."""
        self.streams += 1
        return self.streams - 1

    def use_target(self, target: str) -> None:
        """Record that ``target`` is read (``sum(target)`` or ``g_target``)."""
        if target not in self.targets:
            self.targets.append(target)


def did_you_mean(name: str, choices: list[str]) -> str | None:
    """``did you mean 'x'?`` for the closest of ``choices``, or None."""
    close = difflib.get_close_matches(name, choices, n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None


def check_declarable(name: str, span: SourceSpan | None, spiking_neuron: bool = False) -> None:
    """Raise if ``name`` may not be declared as an attribute (DSL.md §5.2, §15)."""
    if name in RESERVED_VARIABLES:
        raise DslNameError(f"{name} is a reserved variable name", span, "choose another name")
    if name in RESERVED_KEYWORDS:
        raise DslNameError(f"{name} is a reserved keyword", span, "choose another name")
    if spiking_neuron and name == "r":
        raise DslNameError(
            "r is reserved for the mean firing rate of spiking neurons",
            span,
            "spiking neurons get r implicitly (see compute_firing_rate); choose another name",
        )
    if not name.isidentifier() or name.startswith("__"):
        raise DslNameError(f"'{name}' is not a valid attribute name", span, "use letters, digits and '_'")


def declare(decls: dict[str, Decl], decl: Decl) -> None:
    """Add ``decl``; "Attributes must be declared only once" (DSL.md §4.1) otherwise."""
    first = decls.get(decl.name)
    if first is not None:
        where = f"first declared in {first.span}" if first.span is not None else "it is declared implicitly"
        raise DslNameError(f"Attributes must be declared only once: '{decl.name}'", decl.span, where)
    decls[decl.name] = decl
