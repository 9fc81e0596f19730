"""The pass registry: every pass, built-in or not, is found by its name here.

A pass is a frozen dataclass with a ``name`` and ``__call__(module) -> module`` (:class:`Pass`).
:func:`register` enters it under a name and a place in the pipeline::

    from dataclasses import dataclass
    from nnc.passes import Pass, register

    @register("strength-reduce", after="simplify")
    @dataclass(frozen=True)
    class StrengthReduce(Pass):
        def __call__(self, module):
            ...

Registration alone changes no network: the default pipeline is the built-in passes. A registered pass
runs where a network asks for it, ``net.config(extra_passes=["strength-reduce"])`` (inserted after the
pass it names in ``after``, or before the one in ``before``, or last) or ``net.compile(passes=[...])``
(exactly the listed passes, names or instances), and in ``nnc opt --passes``. An installed package
adds passes through the entry-point group ``nnc.passes``: each entry point names a module (imported,
its ``@register`` decorators run) or a pass class (registered under the entry point's name).

A pass whose constructor takes options reads them from the network's :class:`~nnc.options.CompileOptions`
in a classmethod ``from_options(options)``; other passes are built with no arguments.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import ClassVar, Protocol, runtime_checkable

from nnc.diagnostics import CompileError
from nnc.ir.model import Module
from nnc.options import CompileOptions

__all__ = [
    "ENTRY_POINT_GROUP",
    "Pass",
    "PassInfo",
    "build_pipeline",
    "default_pass_names",
    "get_pass",
    "register",
    "registered",
]

#: The entry-point group through which installed packages add passes.
ENTRY_POINT_GROUP = "nnc.passes"


@runtime_checkable
class Pass(Protocol):
    """An IR → IR transformation.

    Implementations are frozen dataclasses whose fields are their options; ``name`` is the name the pass
    is registered and printed under (``nnc dump-ir --stage NAME``, ``nnc opt --passes NAME``). A pass
    returns a new module and never mutates its input; the driver verifies the result
    (:func:`nnc.ir.verify.verify`) and names the pass when it does not verify. Raise
    :class:`~nnc.diagnostics.NncError` subclasses for user errors; anything else is reported as an
    internal error of the pass.
    """

    name: ClassVar[str]

    def __call__(self, module: Module) -> Module:
        """Return the transformed module; never mutate the input."""
        ...


@dataclass(frozen=True, slots=True)
class PassInfo:
    """A registered pass: its class (or factory), its place, whether the default pipeline runs it."""

    name: str
    factory: Callable[..., Pass]
    after: str | None = None
    before: str | None = None
    default: bool = False
    doc: str = ""

    def build(self, options: CompileOptions | None = None) -> Pass:
        """An instance configured from ``options``."""
        from_options = getattr(self.factory, "from_options", None)
        if from_options is not None:
            return from_options(options or CompileOptions())
        return self.factory()


_REGISTRY: dict[str, PassInfo] = {}
_DEFAULT_ORDER: list[str] = []
_LOADED = {"builtins": False, "entry_points": False}


def register(
    name: str, *, after: str | None = None, before: str | None = None, default: bool = False
) -> Callable[[type], type]:
    """Class decorator: register a pass class under ``name`` (and set its ``name``).

    ``after`` / ``before`` name the pass this one runs after / before when a network adds it with
    ``extra_passes``. ``default=True`` is for nnc's own pipeline (the built-in passes, in registration
    order). Registering a name twice with another class is an error.
    """
    if not name or any(c.isspace() or c == "," for c in name):
        raise ValueError(f"pass name {name!r}: use letters, digits and '-'")

    def decorate(cls: type) -> type:
        existing = _REGISTRY.get(name)
        if existing is not None and existing.factory is not cls:
            same = getattr(existing.factory, "__qualname__", None) == cls.__qualname__ and getattr(
                existing.factory, "__module__", None
            ) == getattr(cls, "__module__", None)
            if not same:  # a module imported twice (tests, reloads) registers its class again
                raise ValueError(f"a pass named '{name}' is already registered ({existing.factory!r})")
        cls.name = name  # type: ignore[attr-defined]
        doc = (cls.__doc__ or "").strip().split("\n")[0]
        _REGISTRY[name] = PassInfo(name, cls, after, before, default, doc)
        if default and name not in _DEFAULT_ORDER:
            _DEFAULT_ORDER.append(name)
        return cls

    return decorate


def _load_builtins() -> None:
    if _LOADED["builtins"]:
        return
    _LOADED["builtins"] = True
    # importing the modules runs their @register decorators
    for module in ("discretise", "simplify", "bounds", "select_format", "fuse"):
        importlib.import_module(f"nnc.passes.{module}")


def _load_entry_points() -> None:
    if _LOADED["entry_points"]:
        return
    _LOADED["entry_points"] = True
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        try:
            obj = ep.load()
        except Exception as e:  # a broken plug-in must not break nnc: report it when its pass is asked for
            _BROKEN[ep.name] = f"{type(e).__name__}: {e}"
            continue
        if isinstance(obj, type) and ep.name not in _REGISTRY:
            register(ep.name, after=getattr(obj, "after", None), before=getattr(obj, "before", None))(obj)


_BROKEN: dict[str, str] = {}


def registered() -> dict[str, PassInfo]:
    """Every registered pass by name: the built-in ones, then those of installed packages and user code."""
    _load_builtins()
    _load_entry_points()
    return dict(_REGISTRY)


#: The order of nnc's own pipeline (modules may be imported, and so registered, in any order).
BUILTIN_ORDER = ("discretise", "simplify", "bounds", "select-format", "fuse")


def default_pass_names() -> tuple[str, ...]:
    """The default pipeline, in order."""
    _load_builtins()
    rank = {n: i for i, n in enumerate(BUILTIN_ORDER)}
    return tuple(sorted(_DEFAULT_ORDER, key=lambda n: (rank.get(n, len(rank)), _DEFAULT_ORDER.index(n))))


def get_pass(name: str, options: CompileOptions | None = None) -> Pass:
    """An instance of the pass registered as ``name``, configured from ``options``."""
    passes = registered()
    info = passes.get(name)
    if info is None:
        if name in _BROKEN:
            raise CompileError(f"the pass '{name}' could not be loaded: {_BROKEN[name]}")
        import difflib

        close = difflib.get_close_matches(name, list(passes), n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise CompileError(f"unknown pass '{name}'{hint}; registered passes: {', '.join(passes)}")
    return info.build(options)


def _resolve(item: str | Pass, options: CompileOptions | None) -> Pass:
    if isinstance(item, str):
        return get_pass(item, options)
    if not callable(item) or not isinstance(getattr(item, "name", None), str):
        raise CompileError(f"{item!r} is not a pass: it needs a name and __call__(module) -> module")
    return item


def build_pipeline(
    options: CompileOptions | None = None,
    passes: Sequence[str | Pass] | None = None,
    extra: Iterable[str | Pass] = (),
) -> tuple[Pass, ...]:
    """The passes a compile runs: ``passes`` exactly when given, else the default pipeline with each of
    ``extra`` inserted at its registered place (after ``after``, before ``before``, else at the end)."""
    if passes is not None:
        return tuple(_resolve(p, options) for p in passes)
    order: list[Pass] = [get_pass(n, options) for n in default_pass_names()]
    infos = registered()
    for item in extra:
        p = _resolve(item, options)
        info = infos.get(p.name)
        after = info.after if info is not None else getattr(p, "after", None)
        before = info.before if info is not None else getattr(p, "before", None)
        names = [q.name for q in order]
        if after is not None and after in names:
            order.insert(len(names) - names[::-1].index(after), p)
        elif before is not None and before in names:
            order.insert(names.index(before), p)
        elif after is not None or before is not None:
            anchor = after if after is not None else before
            raise CompileError(f"pass '{p.name}' runs relative to '{anchor}', which is not in the pipeline")
        else:
            order.append(p)
    return tuple(order)
