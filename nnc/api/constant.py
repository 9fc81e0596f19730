"""Constants (API.md §4) and the registry of global functions (``add_function`` / ``functions``).

A global :class:`Constant` is visible to every network created afterwards (and to the default network);
each network keeps its own copy, so ``net.get_constant(name).set(v)`` changes only that network while
``c.set(v)`` on the global object updates every network that imported it (API.md §4).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from nnc.diagnostics import ModelError, SimulationError
from nnc.ir.model import FunctionDef

if TYPE_CHECKING:
    from nnc.api.network import Network


def _value_of(x: object) -> object:
    return x.value if isinstance(x, Constant) else x


class Constant(float):
    """A named value usable in equations; a ``float`` whose arithmetic uses the current value.

    ``Constant(name, value)`` is global; ``net.constant(name, value)`` is local to ``net``.
    A constant defined from others (``Constant('c', a * 2)``) is not updated when they change.
    """

    name: str
    value: float

    def __new__(cls, name: str, value: float, net_id: int = 0, *, network: Network | None = None):
        return super().__new__(cls, float(value))

    def __init__(self, name: str, value: float, net_id: int = 0, *, network: Network | None = None):
        self.name = name
        self.value = float(value)
        self._copies: list[weakref.ref[Constant]] = []
        self._network: weakref.ref[Network] | None = None
        if network is not None:
            self._network = weakref.ref(network)
            network._add_constant(self)
        elif net_id != 0:
            from nnc.api.network import network_by_id

            network_by_id(net_id).constant(name, value)
        else:
            GLOBAL.add_constant(self)

    def set(self, value: float) -> None:
        """Change the value; compiled networks that hold this constant see it from the next step on."""
        self.value = float(value)
        net = self._network() if self._network is not None else None
        if net is not None:
            net._write_constant(self.name, self.value)
        for ref in self._copies:
            copy = ref()
            if copy is not None:
                copy.set(self.value)

    def copy_for(self, network: Network) -> Constant:
        """A network-local copy that follows later ``set`` calls on this (global) constant."""
        local = Constant(self.name, self.value, network=network)
        self._copies.append(weakref.ref(local))
        return local

    def __float__(self) -> float:
        return self.value

    def __repr__(self) -> str:
        return f"Constant({self.name!r}, {self.value!r})"

    def __str__(self) -> str:
        return str(self.value)

    def __hash__(self) -> int:
        return hash(self.value)

    def __bool__(self) -> bool:
        return bool(self.value)


def _delegate(op: str) -> Callable[..., object]:
    def method(self: Constant, *args: object) -> object:
        return getattr(float(self.value), op)(*(_value_of(a) for a in args))

    method.__name__ = op
    return method


for _op in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "divmod"):
    setattr(Constant, f"__{_op}__", _delegate(f"__{_op}__"))
    setattr(Constant, f"__r{_op}__", _delegate(f"__r{_op}__"))
for _op in (
    "neg",
    "pos",
    "abs",
    "int",
    "round",
    "trunc",
    "floor",
    "ceil",
    "lt",
    "le",
    "gt",
    "ge",
    "eq",
    "ne",
):
    setattr(Constant, f"__{_op}__", _delegate(f"__{_op}__"))


class _Globals:
    """Global constants and functions, in definition order (what a new network imports)."""

    def __init__(self) -> None:
        self.constants: list[Constant] = []
        self.function_texts: dict[str, str] = {}
        self.functions: dict[str, FunctionDef] = {}

    def add_constant(self, c: Constant) -> None:
        self.constants = [k for k in self.constants if k.name != c.name] + [c]
        from nnc.api.legacy import magic_network_if_created

        magic = magic_network_if_created()
        if magic is not None and not magic.compiled:
            magic._import_constant(c)

    def clear(self) -> None:
        self.constants.clear()
        self.function_texts.clear()
        self.functions.clear()


#: Global constants and functions: the only module-level state of the API besides the default config.
GLOBAL = _Globals()


def add_function(function: str) -> None:
    """Declare global functions (one per line), usable by every model (DSL.md §13)."""
    from nnc.frontend.analyse import parse_functions

    defs = parse_functions(function, "add_function")
    for f in defs:
        if f.name in GLOBAL.functions:
            raise ModelError(f"add_function: the global function '{f.name}' is already defined")
    for f in defs:
        GLOBAL.functions[f.name] = f
        GLOBAL.function_texts[f.name] = function


def apply_function(f: FunctionDef, arrays: tuple[object, ...], real: np.dtype) -> list[object]:
    """``f`` applied element-wise to equal-length 1-D sequences (DSL.md §13), as a list."""
    from nnc.ir.evaluate import evaluate

    if len(arrays) != len(f.params):
        raise SimulationError(f"{f.name}() takes {len(f.params)} argument(s), got {len(arrays)}")
    values = [np.atleast_1d(np.asarray(a, dtype=real)) for a in arrays]
    if len({v.shape for v in values}) > 1:
        raise SimulationError(f"{f.name}(): the arguments must have the same length")
    env = {p: v for p, v in zip(f.params, values, strict=True)}
    n = values[0].shape[0] if values else 1
    result = np.broadcast_to(np.asarray(evaluate(f.body, env, real=real)), (n,))
    return result.tolist()


def functions(name: str, network: Network | None = None) -> Callable[..., list[object]]:
    """The global function ``name`` as a Python callable on 1-D arrays; the network must be compiled."""
    from nnc.api.legacy import magic_network

    net = network if network is not None else magic_network()
    if not net.compiled:
        raise SimulationError(f"functions('{name}'): the network must be compiled first")
    if name not in GLOBAL.functions:
        raise ModelError(f"functions: no global function named '{name}' (declare it with add_function)")
    f = GLOBAL.functions[name]
    real = net._real_dtype

    def call(*arrays: object) -> list[object]:
        return apply_function(f, arrays, real)

    call.__name__ = name
    return call
