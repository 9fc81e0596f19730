"""``Projection``: synapses from a pre- to a post-synaptic population (API.md §7).

Created by ``net.connect(pre, post, target, synapse, name)`` (or the legacy ``Projection(pre, post,
target)`` on the default network). A connector method records how to connect; at compile the network
calls :meth:`Projection._prepare` (connectivity, analysed synapse) and, once buffers exist,
:meth:`Projection._bind`; from then on attributes read and write the live buffers.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np

from nnc.api import projection_data
from nnc.api.connectors import Connector, ConnectorMethods
from nnc.api.dendrite import Dendrite, IndividualSynapse
from nnc.api.patterns import ConnectContext
from nnc.api.projection_control import FLAGS, ProjectionControl
from nnc.api.projection_structural import StructuralPlasticity
from nnc.api.synaptic import SynapticValues
from nnc.backend.abi import ConnKey
from nnc.diagnostics import ModelError, SimulationError
from nnc.frontend.assemble import ProjectionSpec
from nnc.ir.model import ProjectionDecl, SynapseModel
from nnc.ir.nodes import Assign, Ode, walk_stmts
from nnc.ir.types import DelayKind, Format
from nnc.runtime.connectivity import Connectivity

if TYPE_CHECKING:
    from nnc.api.network import Network
    from nnc.runtime.buffers import Buffers


def _legacy_network() -> Network:
    from nnc.api.legacy import magic_network

    return magic_network()


def _bind_arguments(args: tuple[object, ...], kwargs: dict[str, object]) -> inspect.BoundArguments:
    """``(network, pre, post, target, synapse, name)`` from ``net.connect`` or the legacy signature."""
    from nnc.api.network import Network

    def new(network, pre, post, target="", synapse=None, name=None): ...
    def legacy(pre, post, target="", synapse=None, name=None): ...

    if args and isinstance(args[0], Network):
        return inspect.signature(new).bind(*args, **kwargs)
    bound = inspect.signature(legacy).bind(*args, **kwargs)
    bound.arguments["network"] = None
    return bound


def writes_w(model: SynapseModel) -> bool:
    """Whether the synapse is plastic: an equation or an event assigns ``w`` (DSL.md §11.1)."""
    for stmt in walk_stmts((*model.equations, *model.pre_spike, *model.post_spike)):
        if isinstance(stmt, Assign | Ode) and stmt.target.name == "w":
            return True
    return False


class Projection(ConnectorMethods, ProjectionControl, StructuralPlasticity):
    """Synapses from ``pre`` to ``post`` on ``target`` with the model ``synapse``."""

    def __init__(self, *args: object, **kwargs: object):
        a = _bind_arguments(args, kwargs).arguments
        owner = getattr(getattr(a["pre"], "population", None), "network", None)
        net = a["network"] or owner or _legacy_network()
        d = self.__dict__
        d["network"] = net
        d["pre"] = net._resolve(a["pre"], "pre")
        d["post"] = net._resolve(a["post"], "post")
        target = a.get("target", "")
        if isinstance(target, (list, tuple)) and len(target) == 1:
            target = target[0]
        if not target:
            raise ModelError("Projection: the target must be a non-empty name (or list of names)")
        d["target"] = list(target) if isinstance(target, (list, tuple)) else str(target)
        synapse = a.get("synapse")
        if isinstance(synapse, type):
            synapse = synapse()
        if synapse is None:
            from nnc.descriptions.models import Synapse

            synapse = Synapse()
        d["synapse_type"] = synapse if isinstance(synapse, SynapseModel) else synapse.copy()
        d["_given_name"] = a.get("name")
        d["_id"] = len(net._projections)
        d["_analysed"] = None
        d["_store"] = None
        d["_connector"] = None
        d["_conn"] = None
        d["_decl"] = None
        d["_buffers"] = None
        d["_flags"] = {f: True for f in FLAGS}
        d["_draw"] = None
        if a["network"] is None:
            net._add_projection(self)

    # ------------------------------------------------------------------ identity
    @property
    def id(self) -> int:
        """Index of the projection in its network."""
        projs = self.network._projections
        if self._id < len(projs) and projs[self._id] is self:  # where it was added (the usual case)
            return self._id
        for i, p in enumerate(projs):
            if p is self:
                return i
        return self._id

    @property
    def name(self) -> str:
        """The given name, else ``proj<id>``."""
        return self._given_name or f"proj{self.id}"

    @property
    def _targets(self) -> tuple[str, ...]:
        return (self.target,) if isinstance(self.target, str) else tuple(self.target)

    def _warn(self, text: str) -> None:
        self.network._warn(text)

    # ------------------------------------------------------------------ model
    def _analyse(self, env: object) -> SynapseModel:
        if isinstance(self.synapse_type, SynapseModel):
            return self.synapse_type
        from nnc.frontend.analyse import analyse_synapse

        pre, post = self.pre.population, self.post.population
        post_targets = tuple(dict.fromkeys((*post.targets, *self._targets)))
        return analyse_synapse(
            self.synapse_type, env, pre.neuron_model, post.neuron_model, tuple(pre.targets), post_targets
        )

    def _model(self) -> SynapseModel:
        if self._analysed is None:
            self.__dict__["_analysed"] = self._analyse(self.network._environment())
        return self._analysed

    @property
    def synapse_model(self) -> SynapseModel:
        """The analysed IR model of the synapse."""
        return self._model()

    @property
    def _values(self) -> SynapticValues:
        if self._store is None:
            net, pid = self.network, self.id
            self.__dict__["_store"] = SynapticValues(
                f"projection {self.name}",
                pid,
                self._model().attributes,
                net._constant_value,
                lambda attr: np.random.default_rng([net.seed, 4, pid, *attr.encode()]),
            )
        return self._store

    def _assign_rng(self) -> np.random.Generator:
        return self.network._assign_rng

    attributes = property(lambda self: [a.name for a in self._model().attributes], doc="Attribute names.")
    parameters = property(
        lambda self: [a.name for a in self._model().attributes if a.kind.value == "param"],
        doc="Parameter names.",
    )
    variables = property(
        lambda self: [a.name for a in self._model().attributes if a.kind.value == "var"],
        doc="Variable names.",
    )
    functions = property(lambda self: [f.name for f in self._model().functions], doc="User function names.")

    # ------------------------------------------------------------------ compile
    def _set_connector(self, connector: Connector) -> None:
        if self._compiled:  # the reference's behaviour: the connector replaces the stored one only
            self._warn(
                f"projection {self.name} is compiled: its connectivity changes at the next "
                f"reset(synapses=True), which runs this connector"
            )
        elif self._connector is not None:
            self._warn(f"projection {self.name} was already connected; its connectivity is replaced")
        self.__dict__["_connector"] = connector

    def _connect(self) -> Connectivity:
        rng, aux = self._draw
        return self._connector.build(ConnectContext(self.pre, self.post, self.network.dt, rng, aux))

    def _prepare(
        self, rng: np.random.Generator, aux_rng: np.random.Generator | None, env: object
    ) -> ProjectionSpec:
        """Run the connector and analyse the synapse (SEMANTICS.md §11 step 2)."""
        if self._connector is None:
            raise ModelError(
                f"the projection {self.name} between {self.pre.name} and {self.post.name} has not "
                f"been connected: call a connector method such as all_to_all() before compile()"
            )
        self.__dict__["_draw"] = (rng, aux_rng)
        self.__dict__["_conn"] = self._connect()
        model = self._analyse(env)
        old = self._analysed
        if old is not None and [a.name for a in old.attributes] != [a.name for a in model.attributes]:
            raise ModelError(f"projection {self.name}: its attributes changed between creation and compile")
        self.__dict__["_analysed"] = model
        hint = self._connector.format_hint or self.network._config.format_hint
        return ProjectionSpec(
            self.id,
            self.name,
            self.pre.population.id,
            self.post.population.id,
            self._targets,
            model,
            self._conn.stats(same_population=self.pre.population is self.post.population),
            hint,
            self._delay_kind(),
            current=self._current,
            decoding=self._decoding,
            dynamic=self.network._config.structural_plasticity,
        )

    #: a current injection (API.md §11) adds ``pre.r`` to the post neurons' conductances
    _current = False
    #: a decoding projection (API.md §11) turns the spikes of a sliding window into a rate-coded input
    _decoding = False

    def _delay_kind(self) -> DelayKind:
        conn = self._conn
        if conn.max_delay <= 1:  # API.md §7.3: no delays (0 and 1 step act alike, SEMANTICS.md §5)
            return DelayKind.NONE
        if not conn.uniform:
            return DelayKind.NONUNIFORM
        return DelayKind.UNIFORM if conn.uniform_delay > 1 else DelayKind.NONE

    def _single_weight(self) -> bool:
        """API.md §7.1: a number for weights, no plasticity, CPU, and not the dense format.

        "Dense" is the format the reference would use: the user's ``storage_format`` (else the
        network's ``sparse_matrix_format``), where ``'auto'`` means dense for ``all_to_all``. nnc's own
        format choice does not change what Python sees.
        """
        cfg = self.network._config
        requested = self._connector.storage_format or cfg.sparse_matrix_format
        dense = requested == "dense" or (requested == "auto" and self._connector.name == "all_to_all")
        return (
            self._connector.single_weight
            and not writes_w(self._model())
            and not cfg.structural_plasticity
            and cfg.paradigm == "openmp"
            and not dense
        )

    def _bind(self, buffers: Buffers, decl: ProjectionDecl) -> None:
        """Write connectivity, weights, initial values and flags (SEMANTICS.md §11 step 5)."""
        fmt = decl.format or Format.CSR
        d = self.__dict__
        d["_buffers"], d["_decl"] = buffers, decl
        self._conn.fill(buffers, self.id, fmt, decl.holes)
        values = self._values
        values.single_weight = self._single_weight()
        values.bind(buffers, self._conn, fmt)
        for flag, field in FLAGS.items():
            if field is not None and buffers.has(ConnKey(self.id, field)):
                buffers.set_value(ConnKey(self.id, field), int(self._flags[flag]))
        self._check_rules()

    @property
    def _compiled(self) -> bool:
        return self._buffers is not None

    def _require_compiled(self, what: str) -> Connectivity:
        if not self._compiled:
            raise SimulationError(f"projection {self.name}: {what} is only available after compile()")
        return self._conn

    # ------------------------------------------------------------------ connectivity
    def _before_compile(self, what: str) -> bool:
        if self._compiled:
            return False
        self._warn(f"Projection.{what} is only valid after compile()")
        return True

    @property
    def size(self) -> int:
        """Number of post-synaptic neurons receiving synapses (0 before compile)."""
        return 0 if self._before_compile("size") else self._conn.n_dendrites

    def __len__(self) -> int:
        return self.size

    @property
    def nb_synapses(self) -> int:
        """Total number of synapses (0 before compile)."""
        return 0 if self._before_compile("nb_synapses") else self._conn.n_synapses

    @property
    def nb_synapses_per_dendrite(self) -> list[int]:
        """Synapses of each dendrite, in ``post_ranks`` order."""
        return [] if self._before_compile("nb_synapses_per_dendrite") else self._conn.row_lengths.tolist()

    @property
    def post_ranks(self) -> list[int] | None:
        """Ranks of the post-synaptic neurons that receive synapses, ascending (None before compile)."""
        return None if self._before_compile("post_ranks") else self._conn.post_ranks.tolist()

    @property
    def pre_ranks(self) -> list[list[int]] | None:
        """Per dendrite, the ascending pre-synaptic ranks (None before compile)."""
        if self._before_compile("pre_ranks"):
            return None
        return [r.tolist() for r in self._conn.split(self._conn.pre_ranks)]

    def dendrite(self, post: int | tuple[int, ...]) -> Dendrite:
        """The dendrite of a post-synaptic neuron given by rank or coordinates."""
        conn = self._require_compiled("dendrite()")
        rank = (
            int(post)
            if isinstance(post, (int, np.integer))
            else self.post.population.rank_from_coordinates(post)
        )
        idx = conn.index_of(rank)
        if idx is None:
            raise ModelError(f"the neuron of rank {rank} has no dendrite in projection {self.name}")
        return Dendrite(self, rank, idx)

    def __getitem__(self, *args: object) -> Dendrite:
        return self.dendrite(args[0] if len(args) == 1 else args)  # type: ignore[arg-type]

    @property
    def dendrites(self) -> Iterator[Dendrite]:
        """The dendrites in ``post_ranks`` order."""
        conn = self._require_compiled("dendrites")
        for i, rank in enumerate(conn.post_ranks.tolist()):
            yield Dendrite(self, rank, i)

    def __iter__(self) -> Iterator[Dendrite]:
        return self.dendrites

    def synapse(self, pre: int, post: int) -> IndividualSynapse:
        """The synapse from pre rank ``pre`` to post rank ``post``."""
        if not all(isinstance(x, (int, np.integer)) for x in (pre, post)):
            raise ModelError("Projection.synapse() only accepts ranks for the pre and post neurons")
        return self.dendrite(post).synapse(pre)

    # ------------------------------------------------------------------ attributes
    def __getattr__(self, name: str) -> object:
        if name.startswith("_") or "synapse_type" not in self.__dict__:
            raise AttributeError(name)
        model = self._model()
        if model.attribute(name) is not None:
            return self._values.get(name)
        for f in model.functions:
            if f.name == name:
                from nnc.api.constant import apply_function

                return lambda *arrays: apply_function(f, arrays, self.network._real_dtype)
        raise AttributeError(f"projection {self.name} has no attribute '{name}'")

    def __setattr__(self, name: str, value: object) -> None:
        if not name.startswith("_") and self._model().attribute(name) is not None:
            self._values.set(name, value, self._assign_rng())
            return
        object.__setattr__(self, name, value)  # properties (flags, delay) and the user's own fields

    def get(self, name: str) -> object:
        """Value of an attribute (API.md §7.1 shapes)."""
        if self._model().attribute(name) is None:
            raise SimulationError(f"projection {self.name} has no attribute '{name}'")
        return self._values.get(name)

    def set(self, values: dict[str, object]) -> None:
        """Assign several attributes."""
        for name, value in values.items():
            if self._model().attribute(name) is None:
                raise SimulationError(f"projection {self.name} has no attribute '{name}'")
            self._values.set(name, value, self._assign_rng())

    def reset(self, attributes: list[str] | int = -1, synapses: bool = False) -> None:
        """Restore attributes (default all) except ``w``; ``synapses=True`` re-runs the connector first."""
        if not self._compiled:
            return
        names = self.attributes if attributes == -1 else list(attributes)  # type: ignore[arg-type]
        if synapses:
            self._replace_connectivity(self._connect())
        for name in names:
            if name not in self.attributes:
                self._warn(f"Projection.reset(): {name} is not an attribute of projection {self.name}")
        self._values.transfer(tuple(n for n in names if n != "w"))

    def _replace_connectivity(self, conn: Connectivity) -> None:
        """Make ``conn`` the connectivity of the compiled projection, with the weights it holds and the
        initial values of the other attributes (``reset(synapses=True)``, ``load()``).

        The generated code fixed the storage format and the kind of delays at compile: a dense
        projection needs rows that fit its box, a projection compiled without delays cannot get some, a
        uniform one keeps one delay for all synapses (its length may change).
        """
        decl, dt = self._decl, self.network.dt
        match decl.delay:
            case DelayKind.NONE if conn.max_delay > 1:
                raise SimulationError(
                    f"projection {self.name} was compiled without delays: the new connectivity's delays "
                    f"(up to {conn.max_delay * dt} ms) need a projection connected with delays"
                )
            case DelayKind.UNIFORM if not conn.uniform:
                raise SimulationError(
                    f"projection {self.name} was compiled with one delay for every synapse: the new "
                    f"connectivity's delays differ; connect it with per-synapse delays"
                )
            case DelayKind.NONUNIFORM if conn.uniform:
                steps = np.full(conn.n_synapses, max(1, conn.uniform_delay), dtype=np.int32)
                conn = Connectivity(conn.n_pre, conn.n_post, conn.post_ranks, conn.row_ptr, conn.pre_ranks,
                                    conn.weights, steps, -1, max(1, conn.max_delay))  # fmt: skip
        for m in self.network._monitors:
            m._freeze(self, None)
        self._ensure_queue(max(1, int(conn.max_delay)))
        conn.fill(self._buffers, self.id, self._values.fmt, decl.holes)
        self.__dict__["_conn"] = conn
        self._values.bind(self._buffers, conn, self._values.fmt)
        for m in self.network._monitors:
            m._rebind(self)

    # ------------------------------------------------------------------ data
    def connectivity_matrix(self, fill: float = 0.0) -> np.ndarray:
        """Dense (post population size, pre population size) weights, ``fill`` where there is no synapse."""
        return projection_data.connectivity_matrix(self, fill)

    def receptive_fields(self, variable: str = "w", in_post_geometry: bool = True) -> np.ndarray:
        """Every post neuron's receptive field tiled in a 2-D array (2-D populations)."""
        return projection_data.receptive_fields(self, variable, in_post_geometry)

    def save_connectivity(self, filename: str) -> None:
        """Save ranks, weights and delays for ``from_file`` (API.md §13)."""
        projection_data.save_connectivity(self, filename)

    def _data(self) -> dict[str, object]:
        return projection_data.projection_data(self)

    def _load_data(self, desc: dict[str, object]) -> None:
        projection_data.restore_projection(self, desc)

    def save(self, filename: str) -> None:
        """Save connectivity and attributes (API.md §13)."""
        projection_data.save_projection(self, filename)

    def load(self, filename: str, pickle_encoding: str | None = None) -> None:
        """Load what :meth:`save` stored."""
        projection_data.load_projection(self, filename, pickle_encoding)

    def __repr__(self) -> str:
        ends = f"pre={self.pre.name!r}, post={self.post.name!r}, target={self.target!r}"
        return f"Projection(name={self.name!r}, {ends})"
