"""Values of a projection's synaptic attributes: pending before compile, live buffers after (API.md §7.1).

Shapes seen from Python: local attributes are lists (one per dendrite, in ``post_ranks`` order) of
lists (one value per synapse, ascending pre rank); semiglobal ones a list over dendrites; global ones a
scalar. Before compile an assignment is kept as given and applied at compile, after the connectivity
exists (SEMANTICS.md §11 step 5); distributions are then sampled dendrite by dendrite.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from nnc.api.attributes import convert, scalar
from nnc.backend.abi import ConnField, ConnKey, MirrorKey, StateKey
from nnc.descriptions.random import RandomDistribution
from nnc.diagnostics import SimulationError
from nnc.ir.model import LAST_EVENT, NEVER, Attribute
from nnc.ir.types import Format, Locality, ObjKind

if TYPE_CHECKING:
    from nnc.runtime.buffers import Buffers
    from nnc.runtime.connectivity import Connectivity


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float, bool, np.number, np.bool_)) or (
        isinstance(value, np.ndarray) and value.ndim == 0
    )


class SynapticValues:
    """Initial values and live buffers of one projection's attributes.

    ``lookup(name)`` resolves a name used as a value that is not an attribute (a network constant);
    ``init_rng(name)`` is the generator that samples a distribution without its own ``rng``.
    ``single_weight`` makes ``w`` read back as one scalar (API.md §7.1, single-weight optimisation).
    """

    def __init__(
        self,
        what: str,
        pid: int,
        attributes: tuple[Attribute, ...],
        lookup: Callable[[str], float],
        init_rng: Callable[[str], np.random.Generator],
    ):
        self.what = what
        self.pid = pid
        self.attrs = {a.name: a for a in attributes}
        self.order = tuple(a.name for a in attributes)
        self.init: dict[str, object] = {a.name: a.init for a in attributes}
        self.assigned: set[str] = set()
        self.lookup = lookup
        self.init_rng = init_rng
        self.buffers: Buffers | None = None
        self.conn: Connectivity | None = None
        self.fmt: Format = Format.CSR
        self.single_weight = False
        self._slots: np.ndarray | None = None

    def attribute(self, name: str) -> Attribute:
        """The declaration of ``name`` (error if the synapse has no such attribute)."""
        try:
            return self.attrs[name]
        except KeyError:
            raise SimulationError(f"{self.what} has no attribute '{name}'") from None

    @property
    def bound(self) -> bool:
        """Whether live buffers are attached (after compile)."""
        return self.buffers is not None

    # ------------------------------------------------------------------ concrete values
    def concrete(self, name: str, value: object, rng: np.random.Generator | None) -> np.ndarray:
        """Flat storage values of ``name`` from a user value: one per synapse / dendrite, or one (global)."""
        attr = self.attribute(name)
        conn = self._conn()
        if isinstance(value, str):
            if value in self.attrs:
                return self._from_attribute(attr, value)
            value = self.lookup(value)
        if isinstance(value, np.ndarray) and value.ndim == 0:
            value = value.item()
        match attr.locality:
            case Locality.GLOBAL:
                return self._global(attr, value, rng)
            case Locality.SEMIGLOBAL:
                return self._semiglobal(attr, value, conn.n_dendrites, rng)
        return self._local(attr, value, conn, rng)

    def _from_attribute(self, attr: Attribute, source: str) -> np.ndarray:
        """Storage values of ``attr`` copied from the current values of attribute ``source``
        (``init = loc_var``, ``proj.x = 'loc_var'``): a shared value spreads over the synapses (or
        dendrites) it covers; a local or semiglobal source cannot fill a less local attribute."""
        src = self.attribute(source)
        values = self.flat(source)
        order = (Locality.GLOBAL, Locality.SEMIGLOBAL, Locality.LOCAL)
        if order.index(src.locality) > order.index(attr.locality):
            raise SimulationError(
                f"{self.what}: the {attr.locality.value} attribute '{attr.name}' cannot take its value "
                f"from the {src.locality.value} attribute '{source}' (one value per "
                f"{'synapse' if src.locality is Locality.LOCAL else 'dendrite'})"
            )
        conn = self._conn()
        if src.locality is Locality.GLOBAL:
            n = {Locality.GLOBAL: 1, Locality.SEMIGLOBAL: conn.n_dendrites}.get(
                attr.locality, conn.n_synapses
            )
            return convert(np.full(n, values[0]), attr.dtype)
        if src.locality is Locality.SEMIGLOBAL and attr.locality is Locality.LOCAL:
            return convert(np.repeat(values, conn.row_lengths), attr.dtype)
        return convert(values, attr.dtype)

    def _global(self, attr: Attribute, value: object, rng: np.random.Generator | None) -> np.ndarray:
        if isinstance(value, RandomDistribution):
            value = value.get_values(1, rng=rng)[0]
        if not _is_number(value):
            raise SimulationError(
                f"{self.what}: the global attribute '{attr.name}' accepts only a single value"
            )
        return convert(np.array([value]), attr.dtype)

    def _semiglobal(
        self, attr: Attribute, value: object, n: int, rng: np.random.Generator | None
    ) -> np.ndarray:
        if isinstance(value, RandomDistribution):
            return convert(value.get_values(n, rng=rng), attr.dtype)
        if _is_number(value):
            return convert(np.full(n, value), attr.dtype)
        arr = np.asarray(value, dtype=object).reshape(-1) if not isinstance(value, np.ndarray) else value
        if arr.ndim != 1 or len(arr) != n:
            raise SimulationError(
                f"{self.what}: '{attr.name}' is semiglobal: give a scalar or {n} values (one per dendrite)"
            )
        return convert(arr.astype(np.float64), attr.dtype)

    def _local(
        self, attr: Attribute, value: object, conn: Connectivity, rng: np.random.Generator | None
    ) -> np.ndarray:
        lengths = conn.row_lengths
        if isinstance(value, RandomDistribution):
            rows = [value.get_values(int(n), rng=rng) for n in lengths]
            return convert(np.concatenate(rows) if rows else np.zeros(0), attr.dtype)
        if _is_number(value):
            return convert(np.full(conn.n_synapses, value), attr.dtype)
        rows = list(value) if isinstance(value, (list, tuple, np.ndarray)) else None
        if rows is None or len(rows) != conn.n_dendrites:
            raise SimulationError(
                f"{self.what}: '{attr.name}' needs a scalar, a distribution or a list of "
                f"{conn.n_dendrites} per-dendrite lists"
            )
        for i, row in enumerate(rows):
            if np.ndim(row) != 1 or len(row) != lengths[i]:
                raise SimulationError(
                    f"{self.what}: the post-synaptic neuron {int(conn.post_ranks[i])} receives "
                    f"{int(lengths[i])} "
                    f"synapses, not {np.size(row)} values"
                )
        return convert(
            np.concatenate([np.asarray(r, dtype=np.float64) for r in rows]) if rows else np.zeros(0),
            attr.dtype,
        )

    def _conn(self) -> Connectivity:
        if self.conn is None:
            raise SimulationError(f"{self.what}: the connectivity exists only after compile()")
        return self.conn

    # ------------------------------------------------------------------ live buffers
    def key(self, name: str) -> StateKey:
        """Buffer key of ``name``."""
        return StateKey(ObjKind.PROJECTION, self.pid, name)

    def slots(self) -> np.ndarray:
        """Slot of every synapse in the storage format (cached)."""
        if self._slots is None:
            self._slots = self._conn().slot_index(self.fmt)
        return self._slots

    def flat(self, name: str) -> np.ndarray:
        """Current values of ``name`` (one per synapse in list order / per dendrite / one)."""
        attr = self.attribute(name)
        buf = self.buffers.array(self.key(name))  # type: ignore[union-attr]
        values = buf[self.slots()] if attr.locality is Locality.LOCAL else buf[: len(buf)]
        return convert(values, attr.dtype)

    def write(self, name: str, values: np.ndarray) -> None:
        """Store flat values (as returned by :meth:`concrete`) into the live buffer."""
        buf = self.buffers.array(self.key(name))  # type: ignore[union-attr]
        if self.attribute(name).locality is Locality.LOCAL:
            buf[self.slots()] = values
        else:
            buf[:] = values
        self.sync_mirror(name)

    def sync_mirror(self, name: str) -> None:
        """Copy a mirrored attribute into pre->post order (``ProjectionDecl.mirrored``) after a change."""
        key = MirrorKey(self.pid, name)
        buffers = self.buffers
        if buffers is None or not buffers.has(key):
            return
        n = buffers.value(ConnKey(self.pid, ConnField.N_SYNAPSES))
        order = buffers.array(ConnKey(self.pid, ConnField.EV_SLOT))[:n]
        buffers.array(key)[:n] = buffers.array(self.key(name))[order]

    def sync_mirrors(self) -> None:
        """Every mirrored attribute (after the pre->post order changed)."""
        for name in self.order:
            self.sync_mirror(name)

    def bind(self, buffers: Buffers, conn: Connectivity, fmt: Format) -> None:
        """Attach buffers for ``conn`` stored in ``fmt``; write weights and initial values."""
        self.buffers, self.conn, self.fmt, self._slots = buffers, conn, fmt, None
        last_event = StateKey(ObjKind.PROJECTION, self.pid, LAST_EVENT)
        if buffers.has(last_event):  # no event yet (DSL.md §9.7)
            buffers.array(last_event)[:] = NEVER
        if "w" in self.attrs:
            self.write("w", convert(conn.weights, self.attrs["w"].dtype))
        self.transfer(tuple(n for n in self.order if n != "w" or n in self.assigned))

    def transfer(self, names: tuple[str, ...]) -> None:
        """Write the initial values of ``names`` into the live buffers, in declaration order except that
        an attribute initialised from another one (``init = loc_var``) comes after it."""
        for name in self._dependency_order(names):
            value = self.init[name]
            rng = self.init_rng(name) if isinstance(value, RandomDistribution) else None
            self.write(name, self.concrete(name, value, rng))

    def _dependency_order(self, names: tuple[str, ...]) -> list[str]:
        """``names`` in declaration order, each after the attribute its initial value names (if any)."""
        done: list[str] = []

        def visit(name: str, path: tuple[str, ...]) -> None:
            if name in done:
                return
            if name in path:
                raise SimulationError(
                    f"{self.what}: circular initial values {' -> '.join((*path[path.index(name) :], name))}"
                )
            source = self.init[name]
            if isinstance(source, str) and source in names and source in self.attrs:
                visit(source, (*path, name))
            done.append(name)

        for name in self.order:
            if name in names:
                visit(name, ())
        return done

    # ------------------------------------------------------------------ user access
    def get(self, name: str) -> object:
        """Projection-level read: list of lists / list / scalar (pending value before compile)."""
        attr = self.attribute(name)
        if not self.bound:
            return self.init[name]
        values = self.flat(name)
        if attr.locality is Locality.GLOBAL or (name == "w" and self.single_weight):
            return scalar(values[0], attr.dtype) if len(values) else 0.0
        if attr.locality is Locality.SEMIGLOBAL:
            return values.tolist()
        return [row.tolist() for row in self._conn().split(values)]

    def set(self, name: str, value: object, rng: np.random.Generator | None) -> None:
        """Projection-level assignment (pending before compile)."""
        self.attribute(name)
        if not self.bound:
            self.init[name] = value
            self.assigned.add(name)
            return
        if name == "w" and self.single_weight:
            if isinstance(value, RandomDistribution):
                value = value.get_values(1, rng=rng)[0]
            if not _is_number(value):
                raise SimulationError(
                    f"{self.what}: the projection uses a single weight value; "
                    f"only a scalar can be assigned to w"
                )
        self.write(name, self.concrete(name, value, rng))

    def get_row(self, name: str, i: int) -> object:
        """Dendrite-level read: local → list; semiglobal / global → scalar."""
        attr = self.attribute(name)
        values = self.flat(name)
        match attr.locality:
            case Locality.GLOBAL:
                return scalar(values[0], attr.dtype)
            case Locality.SEMIGLOBAL:
                return scalar(values[i], attr.dtype)
        if name == "w" and self.single_weight:
            return scalar(values[0], attr.dtype)
        return values[self._conn().row(i)].tolist()

    def set_row(self, name: str, i: int, value: object, rng: np.random.Generator | None) -> None:
        """Dendrite-level assignment: local → scalar, distribution or list of the dendrite's size."""
        attr = self.attribute(name)
        buf = self.buffers.array(self.key(name))  # type: ignore[union-attr]
        row = self._conn().row(i)
        n = row.stop - row.start
        match attr.locality:
            case Locality.GLOBAL:
                raise SimulationError(
                    f"{self.what}: the global attribute '{name}' cannot be set per dendrite"
                )
            case Locality.SEMIGLOBAL:
                buf[i] = self._global(attr, value, rng)[0]
                return
        if isinstance(value, RandomDistribution):
            values = convert(value.get_values(n, rng=rng), attr.dtype)
        elif _is_number(value):
            values = convert(np.full(n, value), attr.dtype)
        else:
            values = convert(np.asarray(value, dtype=np.float64).reshape(-1), attr.dtype)
            if len(values) != n:
                raise SimulationError(f"{self.what}: the dendrite has {n} synapses, got {len(values)} values")
        buf[self.slots()[row]] = values
        self.sync_mirror(name)

    def get_one(self, name: str, i: int, j: int) -> object:
        """Value of ``name`` at synapse ``j`` (list position) of dendrite ``i``."""
        attr = self.attribute(name)
        if attr.locality is not Locality.LOCAL:
            return self.get_row(name, i)
        return scalar(self.flat(name)[self._conn().row(i).start + j], attr.dtype)

    def set_one(self, name: str, i: int, j: int, value: object) -> None:
        """Assign one synapse (global / semiglobal attributes: the shared value)."""
        attr = self.attribute(name)
        if attr.locality is not Locality.LOCAL:
            self.set_row(name, i, value, None) if attr.locality is Locality.SEMIGLOBAL else self.set(
                name, value, None
            )
            return
        buf = self.buffers.array(self.key(name))  # type: ignore[union-attr]
        buf[self.slots()[self._conn().row(i).start + j]] = self._global(attr, value, None)[0]
        self.sync_mirror(name)
