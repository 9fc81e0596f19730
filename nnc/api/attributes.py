"""Values of a population's attributes: pending values before compile, live buffers after (API.md §5.1).

Before compile every attribute holds an *initial value*: the model's ``init`` (a number, the name of
another attribute or constant, or a ``RandomDistribution``) until the user assigns one. A user's
distribution is sampled at assignment, so ``reset()`` restores the same samples; a model's distribution
is sampled at compile and again at every reset (SEMANTICS.md §11, §12). After compile, reads and writes
go to the network's buffers; the initial values stay what ``reset()`` restores.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from nnc.backend.abi import StateKey
from nnc.descriptions.random import RandomDistribution
from nnc.diagnostics import SimulationError
from nnc.ir.model import Attribute
from nnc.ir.types import DType, Locality, ObjKind

if TYPE_CHECKING:
    from nnc.runtime.buffers import Buffers

#: Python-side type of each IR type (REAL is float64 whatever the model precision, SEMANTICS.md §14).
PY_DTYPE = {DType.REAL: np.dtype(np.float64), DType.INT: np.dtype(np.int32), DType.BOOL: np.dtype(np.bool_)}


def convert(values: np.ndarray | float, dtype: DType) -> np.ndarray:
    """``values`` as the Python-side array type of ``dtype`` (int truncates toward zero, bool is ``!= 0``)."""
    arr = np.asarray(values)
    match dtype:
        case DType.INT:
            return (
                np.trunc(arr.astype(np.float64)).astype(np.int32)
                if arr.dtype.kind == "f"
                else arr.astype(np.int32)
            )
        case DType.BOOL:
            return arr != 0
    return arr.astype(np.float64)


def scalar(value: np.generic | float | int | bool, dtype: DType) -> float | int | bool:
    """A Python scalar of the right kind for a global attribute."""
    v = convert(value, dtype).reshape(-1)[0]
    return v.item()


def _is_number(value: object) -> bool:
    return isinstance(value, int | float | bool | np.number | np.bool_) or (
        isinstance(value, np.ndarray) and value.ndim == 0
    )


def local_values(
    attr: Attribute,
    value: object,
    size: int,
    geometry: tuple[int, ...],
    rng: np.random.Generator | None,
    what: str,
    any_shape: bool = False,
) -> np.ndarray:
    """``size`` values (flat rank order) from a scalar, ``size`` or ``geometry`` values, or a distribution.

    ``any_shape``: an array of any shape with ``size`` elements is read in C order, as the reference reads
    the values of a whole population (``value.reshape(size)``): a ``(1, 289)`` array fills a (17, 17)
    population. Views and single neurons keep the strict shapes (the reference refuses the others there).
    """
    if isinstance(value, RandomDistribution):
        return convert(value.get_values(size, rng=rng), attr.dtype)
    if _is_number(value):
        return np.full(size, convert(value, attr.dtype))
    try:
        arr = np.asarray(value)
    except ValueError:
        arr = None
    if arr is None or arr.dtype == object or arr.dtype.kind not in "biuf":
        raise SimulationError(f"{what}: cannot set '{attr.name}' from {type(value).__name__} {value!r}")
    if arr.shape == (size,) or arr.shape == tuple(geometry) or (any_shape and arr.size == size):
        return convert(arr.reshape(-1), attr.dtype)
    sizes = (
        f"an array of {size} elements (shape {tuple(geometry)} or any other)"
        if any_shape
        else (f"{size} values or an array of shape {tuple(geometry)}")
    )
    raise SimulationError(
        f"{what}: '{attr.name}' needs a scalar, {sizes}, got an array of shape {arr.shape} "
        f"({arr.size} elements)"
    )


def global_value(
    attr: Attribute, value: object, rng: np.random.Generator | None, what: str
) -> float | int | bool:
    """A global attribute accepts only a scalar (a model's distribution init gives one sample)."""
    if isinstance(value, RandomDistribution):
        return scalar(value.get_values(1, rng=rng)[0], attr.dtype)
    if _is_number(value):
        return scalar(value, attr.dtype)
    raise SimulationError(
        f"{what}: the global attribute '{attr.name}' accepts only a single value, got {value!r}"
    )


class AttributeStore:
    """Initial values and live buffers of the attributes of one population.

    ``lookup(name)`` resolves a name used as a value (``init='v_rest'``, ``pop.v = 'v_rest'``) that is
    not an attribute: the network's constant of that name. ``init_rng(name)`` is the generator that
    samples a model's distribution ``init`` of ``name`` when the distribution has none of its own; the
    network derives it from its seed, so compile and every reset draw the same values.
    """

    def __init__(
        self,
        what: str,
        pid: int,
        attributes: tuple[Attribute, ...],
        geometry: tuple[int, ...],
        lookup: Callable[[str], float],
        init_rng: Callable[[str], np.random.Generator],
    ):
        self.what = what
        self.init_rng = init_rng
        self.pid = pid
        self.attrs = {a.name: a for a in attributes}
        self.order = tuple(a.name for a in attributes)
        self.geometry = tuple(geometry)
        self.size = int(np.prod(self.geometry))
        self.lookup = lookup
        self.init: dict[str, object] = {a.name: a.init for a in attributes}
        self.buffers: Buffers | None = None

    def extend(self, attributes: tuple[Attribute, ...]) -> None:
        """Add declarations the store does not hold yet (conductances a compile adds), with their inits."""
        for a in attributes:
            if a.name not in self.attrs:
                self.attrs[a.name] = a
                self.order = (*self.order, a.name)
                self.init[a.name] = a.init

    def attribute(self, name: str) -> Attribute:
        """The declaration of ``name`` (error if the population has no such attribute)."""
        try:
            return self.attrs[name]
        except KeyError:
            raise SimulationError(f"{self.what} has no attribute '{name}'") from None

    def is_local(self, name: str) -> bool:
        """Whether ``name`` has one value per neuron."""
        return self.attribute(name).locality is not Locality.GLOBAL

    # ------------------------------------------------------------------ initial values
    def resolve(self, name: str, seen: tuple[str, ...] = ()) -> np.ndarray | float | int | bool:
        """The concrete initial value of ``name`` (local: flat array; global: scalar)."""
        attr = self.attribute(name)
        value = self.init[name]
        rng = self.init_rng(name) if isinstance(value, RandomDistribution) else None
        if isinstance(value, str):
            if value in seen:
                raise SimulationError(f"{self.what}: circular initial values {' -> '.join((*seen, value))}")
            value = self.resolve(value, (*seen, name)) if value in self.attrs else self.lookup(value)
        if attr.locality is Locality.GLOBAL:
            if isinstance(value, np.ndarray) and value.size > 1:
                raise SimulationError(
                    f"{self.what}: global '{name}' cannot take its value from a local attribute"
                )
            return global_value(
                attr, value if not isinstance(value, np.ndarray) else value.reshape(-1)[0], rng, self.what
            )
        return local_values(attr, value, self.size, self.geometry, rng, self.what, any_shape=True)

    def set_initial(self, name: str, value: object, rng: np.random.Generator) -> None:
        """Replace the initial value of ``name`` (before compile); distributions are sampled now."""
        attr = self.attribute(name)
        if isinstance(value, str):
            self.init[name] = value
        elif attr.locality is Locality.GLOBAL:
            if isinstance(value, RandomDistribution):
                raise SimulationError(
                    f"{self.what}: the global attribute '{name}' accepts only a single value"
                )
            self.init[name] = global_value(attr, value, rng, self.what)
        else:
            self.init[name] = local_values(
                attr, value, self.size, self.geometry, rng, self.what, any_shape=True
            )

    def set_initial_at(self, name: str, ranks: np.ndarray, value: object, rng: np.random.Generator) -> None:
        """Replace the initial value of ``name`` for some ranks only (views, single neurons)."""
        full = np.array(self.resolve(name), copy=True)
        sub = local_values(self.attribute(name), value, len(ranks), (len(ranks),), rng, self.what)
        full[ranks] = sub
        self.init[name] = full

    # ------------------------------------------------------------------ live values
    def key(self, name: str) -> StateKey:
        """Buffer key of ``name``."""
        return StateKey(ObjKind.POPULATION, self.pid, name)

    def live(self, name: str) -> np.ndarray:
        """The live buffer of ``name`` (flat; length 1 for globals)."""
        assert self.buffers is not None
        return self.buffers.array(self.key(name))

    def get(self, name: str) -> np.ndarray | float | int | bool:
        """Current value: local → flat Python-side array (a copy); global → scalar."""
        attr = self.attribute(name)
        if self.buffers is None:
            value = self.resolve(name)
            return value.copy() if isinstance(value, np.ndarray) else value
        buf = self.live(name)
        if attr.locality is Locality.GLOBAL:
            return scalar(buf[0], attr.dtype)
        return convert(buf, attr.dtype)

    def write(
        self, name: str, values: np.ndarray | float | int | bool, ranks: np.ndarray | None = None
    ) -> None:
        """Write concrete values into the live buffer (at ``ranks`` when given)."""
        buf = self.live(name)
        if ranks is None:
            buf[:] = values
        else:
            buf[ranks] = values

    def set_live(
        self, name: str, value: object, rng: np.random.Generator, ranks: np.ndarray | None = None
    ) -> None:
        """Assign after compile: scalars, arrays, distributions or the name of another attribute/constant."""
        attr = self.attribute(name)
        if isinstance(value, str):
            value = self.get(value) if value in self.attrs else self.lookup(value)
            if isinstance(value, np.ndarray) and ranks is not None:
                value = value[ranks]
        if attr.locality is Locality.GLOBAL:
            if isinstance(value, RandomDistribution):
                raise SimulationError(
                    f"{self.what}: the global attribute '{name}' accepts only a single value"
                )
            self.write(name, global_value(attr, value, rng, self.what))
            return
        n = self.size if ranks is None else len(ranks)
        geometry = self.geometry if ranks is None else (n,)
        values = local_values(attr, value, n, geometry, rng, self.what, any_shape=ranks is None)
        self.write(name, values, ranks)

    def transfer(self, names: tuple[str, ...] | None = None) -> None:
        """Write the initial values of ``names`` (default all; declaration order) into the live buffers."""
        for name in self.order:
            if names is None or name in names:
                self.write(name, self.resolve(name))
