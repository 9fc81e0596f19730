"""Connectivity of a stencil projection (convolution, pooling): anchors and weight rows, no synapse lists.

A :class:`StencilConnectivity` holds what ``Format.STENCIL`` stores (:class:`nnc.ir.model.Stencil`):
one anchor per post-synaptic neuron (its pre-synaptic coordinates, ``ConnField.CENTER``) and the slot of
its first weight (``ConnField.W_ROW``: filter index times the stencil's size). Every post neuron has a
dendrite; the pre ranks of its synapses are computed by the kernels from the anchor and the box.
:meth:`pre_ranks` computes them here too, for inspection.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nnc.backend.abi import ConnField, ConnKey
from nnc.diagnostics import ModelError
from nnc.ir.model import Stencil
from nnc.ir.types import Padding
from nnc.runtime.buffers import Buffers, ProjectionShape


@dataclass(frozen=True, slots=True, eq=False)
class StencilConnectivity:
    """Anchors (``centers``: one row of pre-synaptic coordinates per post neuron) and weight rows of a
    stencil projection from a population of ``pre_geometry`` onto one of ``n_post`` neurons.

    ``n_weights`` slots hold the local attributes (every filter's weights). ``uniform_delay`` is the
    delay of every synapse in steps (``max_delay`` the same).
    """

    pre_geometry: tuple[int, ...]
    n_post: int
    stencil: Stencil
    centers: np.ndarray  # int32[n_post, D]
    w_rows: np.ndarray  # int32[n_post]
    n_weights: int
    uniform_delay: int = 0

    def __post_init__(self) -> None:
        d = len(self.pre_geometry)
        if self.centers.shape != (self.n_post, d):
            raise ModelError(f"stencil anchors: expected {self.n_post} rows of {d} coordinates")
        if len(self.stencil.extent) != d:
            raise ModelError(f"stencil box: expected {d} extents, got {len(self.stencil.extent)}")
        rows = np.asarray(self.w_rows)
        if len(rows) != self.n_post or (
            self.n_post and (rows.min() < 0 or rows.max() + self.stencil.size > self.n_weights)
        ):
            raise ModelError("stencil weight rows out of range")

    # ------------------------------------------------------------------ the list view
    @property
    def n_pre(self) -> int:
        """Size of the pre-synaptic population."""
        return int(np.prod(self.pre_geometry))

    @property
    def n_dendrites(self) -> int:
        """Every post neuron has a dendrite."""
        return self.n_post

    @property
    def post_ranks(self) -> np.ndarray:
        """``0 .. n_post - 1``."""
        return np.arange(self.n_post, dtype=np.int32)

    @property
    def max_delay(self) -> int:
        """Longest delay in steps."""
        return self.uniform_delay

    @property
    def uniform(self) -> bool:
        """Stencil projections have one delay."""
        return True

    def coordinates(self) -> tuple[np.ndarray, np.ndarray]:
        """``(coords, inside)``: the pre-synaptic coordinates of every position of every dendrite
        (``[n_post, size, D]``, clamped into the population under ``Padding.BORDER``) and whether they
        lie inside the population (``[n_post, size]``; all True under ``BORDER``)."""
        offsets = np.array(self.stencil.offsets(), dtype=np.int64).reshape(self.stencil.size, -1)
        coords = self.centers.astype(np.int64)[:, None, :] + offsets[None, :, :]
        geometry = np.array(self.pre_geometry, dtype=np.int64)
        if self.stencil.padding is Padding.BORDER:
            coords = np.clip(coords, 0, geometry - 1)
        inside = np.all((coords >= 0) & (coords < geometry), axis=2)
        return coords, inside

    def ranks(self) -> tuple[np.ndarray, np.ndarray]:
        """``(ranks, inside)``: the pre rank of every position (``[n_post, size]``, -1 outside)."""
        coords, inside = self.coordinates()
        strides = np.cumprod((1, *self.pre_geometry[:0:-1]))[::-1].astype(np.int64)
        ranks = np.where(inside, coords @ strides, -1)
        return ranks, inside

    def pre_ranks(self) -> list[list[int]]:
        """Per dendrite, the pre ranks its positions read inside the population (in position order;
        a border neuron repeats under ``Padding.BORDER``)."""
        ranks, inside = self.ranks()
        return [r[m].tolist() for r, m in zip(ranks, inside, strict=True)]

    # ------------------------------------------------------------------ storage
    def shape(self) -> ProjectionShape:
        """Dendrites and weight slots."""
        return ProjectionShape(self.n_post, self.n_weights)

    def fill(self, buffers: Buffers, proj_id: int) -> None:
        """Write anchors, weight rows, sizes and the delay of projection ``proj_id``."""
        shape = self.shape()
        if buffers.shapes.get(proj_id) != shape:
            buffers.resize_projection(proj_id, shape)
        buffers.array(ConnKey(proj_id, ConnField.POST_RANK))[:] = self.post_ranks
        buffers.array(ConnKey(proj_id, ConnField.W_ROW))[:] = self.w_rows
        center = buffers.reallocate(ConnKey(proj_id, ConnField.CENTER), self.centers.size)
        center[:] = self.centers.reshape(-1)
        values = {
            ConnField.ROW_STRIDE: self.stencil.size,
            ConnField.PRE_OFFSET: 0,
            ConnField.UNIFORM_DELAY: max(1, self.uniform_delay),
        }
        for f, v in values.items():
            if buffers.has(ConnKey(proj_id, f)):
                buffers.set_value(ConnKey(proj_id, f), v)
        post_index = ConnKey(proj_id, ConnField.POST_INDEX)
        if buffers.has(post_index):  # a fused dendrite finds its dendrite: post rank i is dendrite i
            buffers.array(post_index)[: self.n_post] = self.post_ranks
