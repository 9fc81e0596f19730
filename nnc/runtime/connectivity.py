"""Connectivity of one projection as lists of lists, and its layout in the storage formats of the ABI.

A :class:`Connectivity` is what a connector produces: dendrites in ascending post rank, each with its
ascending pre ranks, initial weights and delays (in steps). It is stored flat (``row_ptr`` delimits the
dendrites) but means a list of lists (API.md §7: "post_ranks ascending", "pre_ranks: list of lists").

Storage formats (``nnc.ir.types.Format``) place the synapses of dendrite ``i`` in slots of every local
synaptic array (``nnc.backend.abi.ConnField``):

* ``CSR``: slots ``ROW_PTR[i] .. ROW_PTR[i+1]``, pre rank of a slot in ``PRE_RANK``;
* ``ELL``: ``ROW_STRIDE`` = longest dendrite, slot ``i*ROW_STRIDE + j`` for ``j < ROW_LEN[i]``,
  ``PRE_RANK`` padded with 0 beyond ``ROW_LEN[i]``;
* ``DENSE``: every dendrite reads the same box of pre ranks ``[PRE_OFFSET, PRE_OFFSET + ROW_STRIDE)``,
  slot ``i*ROW_STRIDE + (pre - PRE_OFFSET)``. With ``Holes.SELF`` the dendrite of post rank ``r`` lacks
  pre rank ``r`` where it lies in the box: that slot is dead (never read, never shown), the others keep
  one slot per box column.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from nnc.backend.abi import ConnField, ConnKey
from nnc.diagnostics import ModelError
from nnc.ir.model import ConnectivityStats
from nnc.ir.types import Format, Holes
from nnc.runtime.buffers import Buffers, ProjectionShape


def round_half_even(x: np.ndarray | float) -> np.ndarray:
    """Python's ``round()`` elementwise (half to even): how the reference converts per-synapse delays.

    Its Cython LIL builder calls ``round(d/dt)`` on a C double, which Cython compiles to Python's
    ``round``: measured with ANNarchy 5.0.4.1, 0.5 -> 0, 1.5 -> 2, 2.5 -> 2 (API.md §7.3 (?)).
    """
    return np.rint(np.asarray(x, dtype=np.float64))


@dataclass(frozen=True, slots=True, eq=False)
class Connectivity:
    """Synapses of a projection: dendrites by ascending post rank, synapses by ascending pre rank.

    ``delays`` holds one delay (steps) per synapse for non-uniform projections and is None when every
    synapse has ``uniform_delay`` steps. ``max_delay`` is the longest delay the projection may need.
    """

    n_pre: int
    n_post: int
    post_ranks: np.ndarray  # int32[n_dendrites], ascending, unique
    row_ptr: np.ndarray  # int64[n_dendrites + 1]
    pre_ranks: np.ndarray  # int32[n_synapses], ascending within each dendrite
    weights: np.ndarray  # float64[n_synapses]
    delays: np.ndarray | None = None  # int32[n_synapses] steps, or None (uniform)
    uniform_delay: int = 0
    max_delay: int = 0

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_rows(
        cls,
        sizes: tuple[int, int],
        post_ranks: Sequence[int],
        pre_rows: Sequence[Sequence[int]],
        weight_rows: Sequence[Sequence[float]],
        delays: Sequence[Sequence[int]] | int = 0,
    ) -> Connectivity:
        """Build from per-dendrite rows in any order; rows are sorted, empty rows dropped.

        ``sizes`` is ``(n_pre, n_post)`` of the underlying populations. ``delays`` is either one
        delay in steps for every synapse (uniform) or per-dendrite rows of steps.
        Raises :class:`ModelError` for a duplicated synapse or out-of-range ranks.
        """
        lengths = np.array([len(r) for r in pre_rows], dtype=np.int64)
        post = np.asarray(post_ranks, dtype=np.int64).reshape(-1)
        if len(post) != len(lengths) or len(weight_rows) != len(lengths):
            raise ModelError("connectivity rows: post ranks, pre ranks and weights differ in length")
        pre = _concat(pre_rows, np.int64)
        w = _concat(weight_rows, np.float64)
        d = delays if isinstance(delays, (int, np.integer)) else _concat(delays, np.int64)
        for name, arr in (("weights", w), ("delays", d)):
            if isinstance(arr, np.ndarray) and len(arr) != len(pre):
                raise ModelError(f"connectivity rows: {name} do not match the pre ranks")
        return cls.from_synapses(sizes, np.repeat(post, lengths), pre, w, d)

    @classmethod
    def from_synapses(
        cls,
        sizes: tuple[int, int],
        post: np.ndarray,
        pre: np.ndarray,
        weights: np.ndarray,
        delays: np.ndarray | int = 0,
    ) -> Connectivity:
        """Build from one (post, pre, weight) entry per synapse, in any order.

        ``delays``: one delay in steps for all synapses (uniform), or one per synapse (non-uniform).
        """
        n_pre, n_post = sizes
        post = np.asarray(post, dtype=np.int64)
        pre = np.asarray(pre, dtype=np.int64)
        _check_ranks("post", post, n_post)
        _check_ranks("pre", pre, n_pre)
        key = post * max(n_pre, 1) + pre
        if np.all(key[1:] > key[:-1]):  # already in list order (most connectors): no sort needed
            order = slice(None)
        else:
            order = np.argsort(key, kind="stable")
            post, pre, key = post[order], pre[order], key[order]
            if np.any(key[1:] == key[:-1]):
                raise ModelError("the same synapse has been declared multiple times")
        # post is now non-decreasing: dendrites start where it changes
        row_ptr = np.zeros(1, dtype=np.int64)
        if len(post):
            starts = np.flatnonzero(post[1:] != post[:-1]) + 1
            row_ptr = np.concatenate(([0], starts, [len(post)])).astype(np.int64)
        rows = post[row_ptr[:-1]]
        if isinstance(delays, (int, np.integer)):
            d, uniform, max_delay = None, int(delays), int(delays)
        else:
            d = np.asarray(delays, dtype=np.int64)[order].astype(np.int32)
            uniform, max_delay = -1, int(d.max(initial=0))
        return cls(
            n_pre,
            n_post,
            rows.astype(np.int32),
            row_ptr,
            pre.astype(np.int32),
            np.asarray(weights, dtype=np.float64)[order],
            d,
            uniform,
            max_delay,
        )

    def with_max_delay(self, bound: int) -> Connectivity:
        """The same synapses with ``max_delay`` raised to at least ``bound`` steps."""
        return Connectivity(
            self.n_pre,
            self.n_post,
            self.post_ranks,
            self.row_ptr,
            self.pre_ranks,
            self.weights,
            self.delays,
            self.uniform_delay,
            max(self.max_delay, int(bound)),
        )

    def edited(
        self,
        remove: np.ndarray | None = None,
        add_rows: np.ndarray | None = None,
        add_pre: np.ndarray | None = None,
        add_delays: np.ndarray | None = None,
    ) -> tuple[Connectivity, np.ndarray]:
        """These synapses less those where ``remove`` (one bool per synapse) holds, plus new synapses of
        dendrites ``add_rows`` (indices, not post ranks) from pre ranks ``add_pre`` (structural plasticity).

        The dendrites stay the same, even those left empty (the reference keeps a pruned dendrite, and
        creating rules may fill it again). ``add_delays`` gives the new synapses' delays in steps
        (non-uniform projections; ignored for uniform ones). ``weights`` keeps the old synapses' entries
        and gives the new ones 0. Returns the new connectivity and, for each of its synapses, its index in
        this one (-1 for a new synapse). Raises :class:`ModelError` for a synapse that exists already.
        """
        nd, n = self.n_dendrites, self.n_synapses
        keep = np.ones(n, dtype=bool) if remove is None else ~np.asarray(remove, dtype=bool)
        old_rows = np.repeat(np.arange(nd, dtype=np.int64), self.row_lengths)
        add_rows = np.zeros(0, np.int64) if add_rows is None else np.asarray(add_rows, np.int64)
        add_pre = np.zeros(0, np.int64) if add_pre is None else np.asarray(add_pre, np.int64)
        if len(add_rows) != len(add_pre):
            raise ModelError("new synapses: as many dendrites as pre ranks are needed")
        if len(add_rows) and (add_rows.min() < 0 or add_rows.max() >= nd):
            raise ModelError("new synapses: a dendrite index is out of range")
        _check_ranks("pre", add_pre, self.n_pre)
        kept = np.flatnonzero(keep)
        rows = np.concatenate([old_rows[kept], add_rows])
        pre = np.concatenate([self.pre_ranks[kept].astype(np.int64), add_pre])
        source = np.concatenate([kept, np.full(len(add_rows), -1, dtype=np.int64)])
        key = rows * max(self.n_pre, 1) + pre
        order = np.argsort(key, kind="stable")
        key = key[order]
        if np.any(key[1:] == key[:-1]):
            dup = int(np.flatnonzero(key[1:] == key[:-1])[0])
            row, rank = divmod(int(key[dup]), max(self.n_pre, 1))
            raise ModelError(
                f"the synapse from pre rank {rank} to post rank {int(self.post_ranks[row])} already exists"
            )
        rows, pre, source = rows[order], pre[order], source[order]
        row_ptr = np.zeros(nd + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=nd), out=row_ptr[1:])
        weights = np.where(source >= 0, self.weights[np.maximum(source, 0)], 0.0) if n else np.zeros(len(pre))
        delays = None
        if self.delays is not None:
            new_d = np.zeros(0, np.int64) if add_delays is None else np.asarray(add_delays, np.int64)
            if len(new_d) != len(add_rows):
                raise ModelError("new synapses: give one delay per synapse of a non-uniform projection")
            merged = np.concatenate([self.delays[kept].astype(np.int64), new_d])[order]
            delays = merged.astype(np.int32)
        max_delay = max(self.max_delay, int(delays.max(initial=0)) if delays is not None else 0)
        conn = Connectivity(
            self.n_pre,
            self.n_post,
            self.post_ranks,
            row_ptr,
            pre.astype(np.int32),
            np.asarray(weights, dtype=np.float64),
            delays,
            self.uniform_delay,
            max_delay,
        )
        return conn, source

    # ------------------------------------------------------------------ list-of-lists views
    @property
    def n_dendrites(self) -> int:
        """Number of post neurons with at least one synapse."""
        return len(self.post_ranks)

    @property
    def n_synapses(self) -> int:
        """Number of synapses."""
        return len(self.pre_ranks)

    @property
    def row_lengths(self) -> np.ndarray:
        """Synapses per dendrite."""
        return np.diff(self.row_ptr)

    @property
    def uniform(self) -> bool:
        """Whether every synapse has the same delay (``uniform_delay``)."""
        return self.delays is None

    def split(self, flat: np.ndarray) -> list[np.ndarray]:
        """Per-dendrite pieces of an array with one value per synapse (in this object's order)."""
        return np.split(np.asarray(flat), self.row_ptr[1:-1]) if self.n_dendrites else []

    def row(self, i: int) -> slice:
        """The synapses of dendrite index ``i`` (not post rank)."""
        return slice(int(self.row_ptr[i]), int(self.row_ptr[i + 1]))

    def index_of(self, post_rank: int) -> int | None:
        """Dendrite index of ``post_rank``, or None if that neuron receives no synapse."""
        i = int(np.searchsorted(self.post_ranks, post_rank))
        if i < self.n_dendrites and self.post_ranks[i] == post_rank:
            return i
        return None

    def stats(self, same_population: bool = False) -> ConnectivityStats:
        """Shape of the connectivity, the input of the select-format pass.

        ``same_population``: pre and post ranks index one population, so rows that lack exactly their
        own post rank are dense with ``Holes.SELF`` (otherwise such rows are not dense).
        """
        lengths = self.row_lengths
        holes = self.dense_holes()
        if holes is Holes.SELF and not same_population:
            holes = None
        return ConnectivityStats(
            n_pre=self.n_pre,
            n_post=self.n_post,
            n_dendrites=self.n_dendrites,
            n_synapses=self.n_synapses,
            min_row=int(lengths.min()) if self.n_dendrites else 0,
            max_row=int(lengths.max(initial=0)),
            contiguous_rows=holes is Holes.NONE,
            holes=holes,
            box=self._box()[1] if holes is not None else 0,
        )

    def _box(self) -> tuple[int, int]:
        """``(PRE_OFFSET, ROW_STRIDE)`` of DENSE storage: the smallest range holding every pre rank."""
        if not self.n_synapses:
            return 0, 0
        lo = int(self.pre_ranks.min())
        return lo, int(self.pre_ranks.max()) - lo + 1

    def dense_holes(self) -> Holes | None:
        """The DENSE variant the rows fit (by ranks alone), or None.

        Pre ranks of a row are unique and inside the box, so a row as long as the box *is* the box
        (``Holes.NONE`` when every row is), and a row one shorter that lacks its own post rank is the box
        minus that rank (``Holes.SELF``).
        """
        if not self.n_synapses:
            return None
        if np.all(self.row_lengths == self._box()[1]):
            return Holes.NONE
        return Holes.SELF if self._self_holed() else None

    def _self_holed(self) -> bool:
        """Every row is the box minus its own post rank where that rank lies in the box."""
        offset, width = self._box()
        hole = self.post_ranks.astype(np.int64) - offset
        inside = (hole >= 0) & (hole < width)
        lengths = self.row_lengths
        if np.any(lengths != width - inside):
            return False
        return not np.any(self.pre_ranks - offset == np.repeat(hole, lengths))

    def _fits_dense(self, holes: Holes) -> bool:
        """Whether DENSE storage with ``holes`` holds these rows."""
        if not self.n_synapses:
            return True
        return self.dense_holes() is Holes.NONE if holes is Holes.NONE else self._self_holed()

    # ------------------------------------------------------------------ storage formats
    def stride(self, fmt: Format) -> int:
        """``ROW_STRIDE`` of the format (0 for CSR)."""
        match fmt:
            case Format.CSR:
                return 0
            case Format.ELL:
                return int(self.row_lengths.max(initial=0))
            case Format.DENSE:
                return self._box()[1]
        raise ValueError(fmt)

    def shape(self, fmt: Format) -> ProjectionShape:
        """Sizes of the buffers in format ``fmt`` (``n_synapses`` counts slots, padding included)."""
        self._check_format(fmt)
        slots = self.n_synapses if fmt is Format.CSR else self.n_dendrites * self.stride(fmt)
        return ProjectionShape(self.n_dendrites, slots)

    def slot_index(self, fmt: Format) -> np.ndarray:
        """Slot of every synapse (in this object's order) in format ``fmt`` (DENSE: by box column)."""
        self._check_format(fmt)
        if fmt is Format.CSR:
            return np.arange(self.n_synapses, dtype=np.int64)
        lengths = self.row_lengths
        row = np.repeat(np.arange(self.n_dendrites, dtype=np.int64), lengths)
        if fmt is Format.DENSE:
            column = self.pre_ranks.astype(np.int64) - self._box()[0]
        else:
            column = np.arange(self.n_synapses, dtype=np.int64) - np.repeat(self.row_ptr[:-1], lengths)
        return row * self.stride(fmt) + column

    def scatter(
        self, fmt: Format, values: Sequence[Sequence[float]] | np.ndarray, dtype: np.dtype | type = np.float64
    ) -> np.ndarray:
        """Slot array of a local synaptic attribute given per dendrite (or flat, one per synapse).

        Padding slots of ELL and the dead slots of DENSE rows with holes hold 0.
        """
        flat = _concat(values, dtype) if _is_ragged(values) else np.asarray(values, dtype=dtype).reshape(-1)
        if len(flat) != self.n_synapses:
            raise ModelError(f"expected {self.n_synapses} synaptic values, got {len(flat)}")
        out = np.zeros(self.shape(fmt).n_synapses, dtype=dtype)
        out[self.slot_index(fmt)] = flat
        return out

    def gather(self, fmt: Format, slots: np.ndarray) -> list[np.ndarray]:
        """Per-dendrite values of a local synaptic attribute stored in format ``fmt``."""
        return self.split(self.gather_flat(fmt, slots))

    def gather_flat(self, fmt: Format, slots: np.ndarray) -> np.ndarray:
        """Values of a local synaptic attribute, one per synapse in this object's order."""
        return np.asarray(slots)[self.slot_index(fmt)]

    def fill(self, buffers: Buffers, proj_id: int, fmt: Format, holes: Holes = Holes.NONE) -> None:
        """Write the connectivity arrays, sizes and delays of projection ``proj_id`` in format ``fmt``.

        ``holes``: the DENSE variant the kernels were compiled for (the rows must fit it). Buffers of
        another shape are reallocated first. Delays below one step are stored as one step
        (SEMANTICS.md §5: 0 and 1 behave identically).
        """
        if fmt is Format.DENSE and not self._fits_dense(holes):
            raise ModelError(
                f"dense storage (holes={holes.value}) cannot hold this connectivity: every dendrite needs "
                f"the same contiguous pre ranks" + (" minus its own post rank" if holes is Holes.SELF else "")
            )
        shape = self.shape(fmt)
        if buffers.shapes.get(proj_id) != shape:
            buffers.resize_projection(proj_id, shape)
        arrays = {ConnField.POST_RANK: self.post_ranks}
        match fmt:
            case Format.CSR:
                arrays |= {ConnField.ROW_PTR: self.row_ptr, ConnField.PRE_RANK: self.pre_ranks}
            case Format.ELL:
                arrays |= {
                    ConnField.ROW_LEN: self.row_lengths,
                    ConnField.PRE_RANK: self.scatter(fmt, self.pre_ranks, np.int32),
                }
        for f, values in arrays.items():
            buffers.array(ConnKey(proj_id, f))[:] = values
        values = {
            ConnField.N_DENDRITES: shape.n_dendrites,
            ConnField.N_SYNAPSES: shape.n_synapses,
            ConnField.ROW_STRIDE: self.stride(fmt),
            ConnField.PRE_OFFSET: self._box()[0] if fmt is Format.DENSE else 0,
            ConnField.UNIFORM_DELAY: max(1, self.uniform_delay),
        }
        for f, v in values.items():
            if buffers.has(ConnKey(proj_id, f)):
                buffers.set_value(ConnKey(proj_id, f), v)
        delay_key = ConnKey(proj_id, ConnField.DELAY)
        if buffers.has(delay_key):
            steps = self.delays if self.delays is not None else np.full(self.n_synapses, self.uniform_delay)
            buffers.array(delay_key)[:] = self.scatter(fmt, np.maximum(steps, 1), np.int32)
        self._fill_post_index(buffers, proj_id)
        self.fill_events(buffers, proj_id, fmt)

    def fill_events(self, buffers: Buffers, proj_id: int, fmt: Format) -> None:
        """The pre->post index of a spiking projection (``ConnField.EV_*``), if the kernels need it.

        The synapses of pre rank j are sorted by (delay, post rank); delays below one step count as one.
        """
        if not buffers.has(ConnKey(proj_id, ConnField.EV_PTR)):
            return
        # synapses are in (post, pre) order: stable sorts by delay, then by pre rank, give (pre, delay, post)
        if self.delays is None:
            steps = None
            max_steps = max(1, self.uniform_delay) if self.n_synapses else 1
            order = stable_argsort(self.pre_ranks, self.n_pre)
        else:
            steps = np.maximum(self.delays, 1)
            max_steps = int(steps.max(initial=1))
            by_delay = stable_argsort(steps, max_steps + 1)
            order = by_delay[stable_argsort(self.pre_ranks[by_delay], self.n_pre)]
        ptr = np.zeros(self.n_pre + 1, dtype=np.int64)
        np.cumsum(np.bincount(self.pre_ranks, minlength=self.n_pre), out=ptr[1:])
        arrays: dict[ConnField, Callable[[], np.ndarray | int]] = {
            ConnField.EV_PTR: lambda: ptr,
            ConnField.EV_SLOT: lambda: order if fmt is Format.CSR else self.slot_index(fmt)[order],
            ConnField.EV_POST: lambda: np.repeat(self.post_ranks, self.row_lengths)[order],
            ConnField.EV_DELAY: lambda: max_steps if steps is None else steps[order],
        }
        for f, values in arrays.items():
            key = ConnKey(proj_id, f)
            if buffers.has(key):
                target = buffers.array(key)
                target[: len(ptr) if f is ConnField.EV_PTR else self.n_synapses] = values()
        buffers.set_value(ConnKey(proj_id, ConnField.MAX_DELAY), max_steps)

    def _fill_post_index(self, buffers: Buffers, proj_id: int) -> None:
        """``POST_INDEX[i]``: the dendrite of post rank ``i``, -1 for none (if the kernels need it)."""
        key = ConnKey(proj_id, ConnField.POST_INDEX)
        if buffers.has(key):
            index = buffers.array(key)
            index[:] = -1
            index[self.post_ranks] = np.arange(self.n_dendrites, dtype=np.int32)

    def _check_format(self, fmt: Format) -> None:
        if fmt is Format.DENSE and self.n_synapses and self.dense_holes() is None:
            raise ModelError(
                "dense storage needs every dendrite to hold the same contiguous pre ranks "
                "(or the same ones minus its own post rank)"
            )


def _is_ragged(values: object) -> bool:
    if isinstance(values, np.ndarray):
        return values.dtype == object
    return isinstance(values, (list, tuple)) and any(isinstance(v, (list, tuple, np.ndarray)) for v in values)


def _concat(rows: Sequence[Sequence[float]] | np.ndarray, dtype: np.dtype | type) -> np.ndarray:
    parts = [np.asarray(r, dtype=dtype).reshape(-1) for r in rows]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)


def stable_argsort(keys: np.ndarray, bound: int) -> np.ndarray:
    """``np.argsort(keys, kind="stable")`` for integers in ``[0, bound)``, in linear time.

    NumPy's stable sort is a radix sort for 16-bit keys only: wider keys go in two 16-bit passes.
    """
    if bound <= 1 << 16:
        return np.argsort(keys.astype(np.uint16), kind="stable")
    if bound <= 1 << 32:
        keys = keys.astype(np.uint32)
        low = np.argsort((keys & 0xFFFF).astype(np.uint16), kind="stable")
        return low[np.argsort((keys[low] >> 16).astype(np.uint16), kind="stable")]
    return np.argsort(keys, kind="stable")


def _check_ranks(what: str, ranks: np.ndarray, size: int) -> None:
    if len(ranks) and (ranks.min() < 0 or ranks.max() >= size):
        bad = int(ranks.max() if ranks.max() >= size else ranks.min())
        raise ModelError(f"{what}-synaptic rank {bad} is out of range (population size {size})")
