"""``Copy`` and ``Transpose`` (API.md §11): projections that read the synapses of another projection.

Neither has synapses of its own. A ``Copy`` reads another rate-coded projection's connectivity and
weights as they are (in that projection's format) with its own ``psp`` and ``operation``, between
populations of the same geometries; a ``Transpose`` reads them backwards, from the original's post
population to its pre population (``Format.TRANSPOSED``: through the original's pre->post index), with
the default psp ``w * pre.r``. Both see the original's weights as they change (learning, assignments);
neither learns. In the IR both are projections with ``shares`` set to the original (``nnc dump-ir``
prints ``shares=<name>``), so the interpreter and the LLVM engine lower them like any other.

As in the reference, a copy reads the current rates (delays of the original are not applied), and a
transposed projection of a projection with delays is an error.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from nnc.api.projection import Projection
from nnc.backend.abi import ConnField, ConnKey
from nnc.descriptions.models import Synapse
from nnc.diagnostics import ModelError, SimulationError
from nnc.extensions.convolution.unstored import Unstored
from nnc.frontend.assemble import ProjectionSpec
from nnc.ir.model import SynapseModel
from nnc.ir.nodes import Var, rewrite
from nnc.ir.types import DelayKind, Locality, Scope
from nnc.runtime.buffers import ProjectionShape

if TYPE_CHECKING:
    from nnc.ir.model import ProjectionDecl
    from nnc.runtime.buffers import Buffers


def _flags() -> dict[str, object]:
    from nnc.api.projection_control import FLAGS

    return FLAGS  # type: ignore[return-value]


class _Reader(Unstored, Projection):
    """A projection reading the synapses of ``self._source``."""

    _kind = "Copy"
    _transposed = False

    def _source_projection(self) -> Projection:
        source = self.__dict__.get("_source")
        if source is None:
            raise ModelError(
                f"{self._kind}: The projection between {self.pre.name} and {self.post.name} is declared but "
                "not connected."
            )
        return source

    def _reading_model(self, env: object) -> SynapseModel:
        """The analysed synapse whose attribute reads are the source projection's attributes."""
        model = self._analyse(env)
        source = self._source_projection()._model()
        owned = {a.name: a for a in source.attributes}

        def fn(e: object) -> object | None:
            if isinstance(e, Var) and e.scope is Scope.SELF:
                attr = owned.get(e.name)
                if attr is None:
                    raise ModelError(
                        f"{self._kind} {self.name}: its psp reads '{e.name}', which the projection "
                        f"{self._source_projection().name} does not have"
                    )
                if self._transposed and attr.locality is Locality.SEMIGLOBAL:
                    raise ModelError(
                        f"Transpose {self.name}: '{e.name}' is semiglobal; it cannot be read backwards"
                    )
                return Var(e.name, attr.dtype, attr.locality, Scope.SELF, e.span)
            return None

        if model.equations or model.pre_spike or model.post_spike:
            raise ModelError(f"{self._kind} {self.name}: it cannot learn (its synapse has equations)")
        psp = None if model.psp is None else rewrite(model.psp, fn)  # type: ignore[arg-type]
        return replace(model, attributes=source.attributes, psp=psp)

    def _prepare(self, rng: object, aux_rng: object, env: object) -> ProjectionSpec:
        source = self._source_projection()
        if self._transposed and source.max_delay > 1:
            raise ModelError("TransposeProjection can not be applied on delayed projections yet ...")
        model = self._reading_model(env)
        self.__dict__["_analysed"] = model
        return ProjectionSpec(
            self.id,
            self.name,
            self.pre.population.id,
            self.post.population.id,
            self._targets,
            model,
            None,
            None,
            DelayKind.NONE,
            shares=source.id,
            transposed=self._transposed,
        )

    def _bind(self, buffers: Buffers, decl: ProjectionDecl) -> None:
        d = self.__dict__
        d["_buffers"], d["_decl"] = buffers, decl
        if self._transposed:  # its own dendrites: one per neuron of its post population, in rank order
            n = self.post.population.size
            buffers.resize_projection(self.id, ProjectionShape(n, 0))
            buffers.array(ConnKey(self.id, ConnField.POST_RANK))[:n] = np.arange(n)
            if buffers.has(ConnKey(self.id, ConnField.POST_INDEX)):
                buffers.array(ConnKey(self.id, ConnField.POST_INDEX))[:n] = np.arange(n)
        for flag, field in _flags().items():
            if field is not None and buffers.has(ConnKey(self.id, field)):
                buffers.set_value(ConnKey(self.id, field), int(self._flags[flag]))

    # ------------------------------------------------------------------ what Python sees
    @property
    def projection(self) -> Projection:
        """The projection whose synapses this one reads."""
        return self._source_projection()

    def _rows(self) -> tuple[list[int], list[list[int]]]:
        """``(post_ranks, pre_ranks)`` of the synapses as this projection reads them."""
        source = self._source_projection()
        post, pre = source.post_ranks or [], source.pre_ranks or []
        if not self._transposed:
            return list(post), [list(r) for r in pre]
        rows: dict[int, list[int]] = {}
        for p, row in zip(post, pre, strict=True):
            for q in row:
                rows.setdefault(int(q), []).append(int(p))
        keys = sorted(rows)
        return keys, [rows[k] for k in keys]

    @property
    def size(self) -> int:
        """Post neurons receiving synapses."""
        return 0 if self._before_compile("size") else len(self._rows()[0])

    @property
    def nb_synapses(self) -> int:
        """The synapses read (those of the original projection)."""
        return 0 if self._before_compile("nb_synapses") else sum(len(r) for r in self._rows()[1])

    @property
    def post_ranks(self) -> list[int] | None:
        """Post ranks of the dendrites as read."""
        return None if self._before_compile("post_ranks") else self._rows()[0]

    @property
    def pre_ranks(self) -> list[list[int]] | None:
        """Pre ranks of the dendrites as read."""
        return None if self._before_compile("pre_ranks") else self._rows()[1]

    @property
    def max_delay(self) -> int:
        """No delays."""
        return 0

    @property
    def uniform_delay(self) -> int:
        """No delays."""
        return 0

    def reset(self, attributes: list[str] | int = -1, synapses: bool = False) -> None:
        """Nothing to restore: the synapses are the original projection's."""

    def __getattr__(self, name: str) -> object:
        if name.startswith("_") or "synapse_type" not in self.__dict__:
            raise AttributeError(name)
        source = self.__dict__.get("_source")
        if source is not None and source._model().attribute(name) is not None:
            return getattr(source, name)
        return super().__getattr__(name)

    def __setattr__(self, name: str, value: object) -> None:
        if not name.startswith("_") and name in ("w",):
            raise SimulationError(
                f"{self._kind} {self.name}: its weights are those of {self._source_projection().name}; "
                "set them there"
            )
        super().__setattr__(name, value)

    def dendrite(self, post: object) -> object:
        """Not available: the synapses belong to the original projection."""
        raise SimulationError(f"{self._kind} {self.name}: dendrites belong to the original projection")

    @property
    def _unavailable_name(self) -> str:  # type: ignore[override]
        return "Transposed" if self._transposed else "Copied"


class Copy(_Reader):
    """A projection reading the weights and connectivity of another rate-coded projection with its own
    ``psp`` and ``operation`` (the populations must have the same geometries as the original's)."""

    _kind = "Copy"

    def __init__(
        self,
        pre: object,
        post: object,
        target: str,
        psp: str = "pre.r * w",
        operation: str = "sum",
        name: str | None = None,
        **kwargs: object,
    ):
        synapse = Synapse(psp=psp, operation=operation, description="Copied projection.")
        super().__init__(pre, post, target, synapse, name, **kwargs)
        self.__dict__["_source"] = None
        self.__dict__["connector_name"] = "Copy"

    def connect_copy(self, projection: Projection) -> Copy:
        """Same as :meth:`copy`."""
        return self.copy(projection)

    def copy(self, projection: Projection) -> Copy:
        """Read the synapses of ``projection``."""
        from nnc.extensions.convolution.shared import SharedProjection

        if not isinstance(projection, Projection) or isinstance(projection, _Reader):
            raise ModelError("Copy: You must provide an existing projection to copy().")
        if isinstance(projection, SharedProjection):
            raise ModelError("Copy: You can only copy regular projections, not shared projections.")
        if self.pre.geometry != projection.pre.geometry or self.post.geometry != projection.post.geometry:
            raise ModelError("Copy: When copying a projection, the geometries must be the same.")
        if projection.pre.population.is_spiking or self.pre.population.is_spiking:
            raise NotImplementedError("Copy: copies of projections from spiking populations are not built")
        if self.network.compiled:
            raise SimulationError("Copy: copy() must be called before compile()")
        self.__dict__["_source"] = projection
        return self


class Transpose(_Reader):
    """The transposed view of a rate-coded projection: from its post population to its pre population,
    ``sum(target) += w * pre.r`` over the original's synapses (``target`` may differ from the original's)."""

    _kind = "Transpose"
    _transposed = True

    def __init__(self, projection: Projection, target: str, name: str | None = None, **kwargs: object):
        if not isinstance(projection, Projection) or isinstance(projection, _Reader):
            raise ModelError("Transpose: give the projection to transpose")
        spiking = (projection.pre.population.is_spiking, projection.post.population.is_spiking)
        if spiking[0] != spiking[1]:
            raise ModelError("TransposeProjection are not applyable on hybrid projections ...")
        if spiking[0]:
            raise NotImplementedError(
                "Transpose of a spiking projection is not built (rate-coded projections only)"
            )
        super().__init__(projection.post, projection.pre, target, None, name, **kwargs)
        self.__dict__["_source"] = projection
        self.__dict__["connector_name"] = "Transpose"

    def connect_transpose(self) -> Transpose:
        """Same as :meth:`transpose`."""
        return self.transpose()

    def transpose(self) -> Transpose:
        """Connect (the synapses are the original's, read backwards)."""
        return self
