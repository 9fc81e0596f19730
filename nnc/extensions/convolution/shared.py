"""Projections with shared weights over a box of pre-synaptic neurons: the base of Convolution and Pooling.

Such a projection is stored in ``Format.STENCIL`` (:class:`nnc.ir.model.Stencil`): every post-synaptic
neuron has a dendrite anchored at pre-synaptic coordinates, its synapses are the positions of a box
around the anchor, and the weights (one filter, or a bank) are shared by the dendrites. There is no
list of synapses: the kernels compute each pre rank from the anchor, in both engines. The synapse is an
ordinary rate-coded synapse model (``psp``, ``operation``) whose only local attribute is the filter.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from nnc.api.projection import Projection
from nnc.backend.abi import ConnKey, StateKey
from nnc.descriptions.models import Synapse
from nnc.diagnostics import ModelError, SimulationError
from nnc.extensions.convolution.unstored import Unstored
from nnc.frontend.assemble import ProjectionSpec
from nnc.ir.model import Stencil
from nnc.ir.nodes import ReduceOp
from nnc.ir.types import DelayKind, Locality, ObjKind
from nnc.runtime.stencil import StencilConnectivity

if TYPE_CHECKING:
    from nnc.ir.model import ProjectionDecl
    from nnc.runtime.buffers import Buffers


class SharedProjection(Unstored, Projection):
    """A projection whose dendrites read a box of pre-synaptic neurons with shared weights."""

    #: what the messages call this kind of projection
    _kind = "Shared projection"

    def __init__(
        self,
        pre: object,
        post: object,
        target: str,
        psp: str,
        operation: str,
        name: str | None = None,
        **kwargs: object,
    ):
        # From a spiking population (the converted networks of ann_to_snn_conversion) the psp reads the
        # pre-synaptic variables every step, like a rate-coded one, into the post's g_target; the DSL
        # accepts only a sum for spiking synapses, so the operation is set on the analysed model.
        spiking = bool(getattr(getattr(pre, "population", pre), "is_spiking", False))
        synapse = Synapse(
            psp=psp,
            operation="sum" if spiking else operation,
            name=f"{self._kind} with '{operation}' operation",
            description="Weight shared over all synapses of the projection.",
        )
        super().__init__(pre, post, target, synapse, name, **kwargs)
        for end in (self.pre, self.post):
            if len(getattr(end, "geometry", ())) == 0 or end is not end.population:
                raise ModelError(f"{self._kind}: the pre- and post-synaptic objects must be populations")
        self.__dict__["_filters"] = None  # the weights as given (one filter or a bank), before compile
        self.__dict__["_operation"] = operation

    # ------------------------------------------------------------------ connecting
    def _set_stencil(self, conn: StencilConnectivity, filters: np.ndarray | None) -> None:
        if self.network.compiled:
            raise SimulationError(f"{self._kind} {self.name}: connect before compile()")
        self.__dict__["_conn"] = conn
        self.__dict__["_filters"] = filters

    def _delay_steps(self, delays: object) -> int:
        if not isinstance(delays, int | float) or isinstance(delays, bool):
            raise ModelError(f"{self._kind}: the delay must be one number (ms): shared projections have one")
        return int(float(delays) / self.network.dt)

    def _require_connected(self) -> StencilConnectivity:
        if not isinstance(self._conn, StencilConnectivity):
            raise ModelError(
                f"{self._kind}: The projection between {self.pre.name} and {self.post.name} is declared "
                "but not connected."
            )
        return self._conn

    # ------------------------------------------------------------------ compile
    def _prepare(self, rng: object, aux_rng: object, env: object) -> ProjectionSpec:
        conn = self._require_connected()
        model = self._analyse(env)
        w = model.attribute("w")
        others = [a.name for a in model.attributes if a.locality is Locality.LOCAL and a.name != "w"]
        if others or (w is not None and w.locality is not Locality.LOCAL):
            raise ModelError(f"{self._kind}: the synapse's only local attribute must be its weight w")
        if model.equations or model.pre_spike or model.post_spike:
            raise ModelError(f"{self._kind}: shared weights cannot learn (the synapse has equations)")
        if model.operation.value != self._operation:
            model = replace(model, operation=ReduceOp(self._operation))
        self.__dict__["_analysed"] = model
        delay = DelayKind.UNIFORM if conn.uniform_delay > 1 else DelayKind.NONE
        return ProjectionSpec(
            self.id,
            self.name,
            self.pre.population.id,
            self.post.population.id,
            self._targets,
            model,
            None,
            None,
            delay,
            stencil=conn.stencil,
        )

    def _bind(self, buffers: Buffers, decl: ProjectionDecl) -> None:
        conn = self._require_connected()
        d = self.__dict__
        d["_buffers"], d["_decl"] = buffers, decl
        conn.fill(buffers, self.id)
        if self._filters is not None:
            self._write_weights(self._filters)
        for flag, field in _flags().items():
            if field is not None and buffers.has(ConnKey(self.id, field)):
                buffers.set_value(ConnKey(self.id, field), int(self._flags[flag]))

    def _write_weights(self, filters: np.ndarray) -> None:
        key = StateKey(ObjKind.PROJECTION, self.id, "w")
        if self._buffers is not None and self._buffers.has(key):
            self._buffers.array(key)[: filters.size] = filters.reshape(-1)

    # ------------------------------------------------------------------ what Python sees
    @property
    def weights(self) -> np.ndarray | None:
        """The filter (or bank of filters) as given to the connect method."""
        filters = self._filters
        if filters is None:
            return None
        key = StateKey(ObjKind.PROJECTION, self.id, "w")
        if self._buffers is not None and self._buffers.has(key):
            return np.array(self._buffers.array(key)[: filters.size]).reshape(filters.shape)
        return filters.copy()

    @weights.setter
    def weights(self, value: object) -> None:
        filters = self._filters
        new = np.asarray(value, dtype=np.float64)
        if filters is None or new.shape != filters.shape:
            raise ModelError(
                f"{self._kind} {self.name}: Mismatch between filter dimensions "
                f"({None if filters is None else filters.shape} expected, got {new.shape})"
            )
        self.__dict__["_filters"] = new.copy()
        self._write_weights(new)

    def __getattr__(self, name: str) -> object:
        if name == "w":
            return self.weights
        return super().__getattr__(name)

    def __setattr__(self, name: str, value: object) -> None:
        if name == "w":
            self.weights = value
            return
        super().__setattr__(name, value)

    @property
    def nb_synapses(self) -> int:
        """Positions of every dendrite that lie inside the pre-synaptic population (0 before compile)."""
        if self._before_compile("nb_synapses"):
            return 0
        return int(self._require_connected().ranks()[1].sum())

    @property
    def nb_synapses_per_dendrite(self) -> list[int]:
        """Positions inside the pre-synaptic population, per dendrite."""
        if self._before_compile("nb_synapses_per_dendrite"):
            return []
        return self._require_connected().ranks()[1].sum(axis=1).tolist()

    @property
    def pre_ranks(self) -> list[list[int]] | None:
        """Per dendrite, the pre ranks of its positions that lie inside the population."""
        if self._before_compile("pre_ranks"):
            return None
        return self._require_connected().pre_ranks()

    @property
    def stencil(self) -> Stencil:
        """The access pattern (box, origin, padding)."""
        return self._require_connected().stencil

    def reset(self, attributes: list[str] | int = -1, synapses: bool = False) -> None:
        """Nothing to restore: shared weights do not learn."""

    def dendrite(self, post: object) -> object:
        """Not available: the synapses of a shared projection are computed, not stored."""
        raise SimulationError(f"{self._kind} {self.name}: dendrites are not available")

    @property
    def _unavailable_name(self) -> str:  # type: ignore[override]
        return self._kind

    def _saved_post_ranks(self) -> list[int]:
        return list(range(self.post.size))


def _flags() -> dict[str, object]:
    from nnc.api.projection_control import FLAGS

    return FLAGS  # type: ignore[return-value]
