"""Populations of neurons (API.md §5): geometry, attributes, slicing into views, per-population control."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np

from nnc.api.attributes import AttributeStore
from nnc.api.constant import apply_function
from nnc.api.population_spiking import SpikingPopulation
from nnc.api.views import IndividualNeuron, PopulationView, index_population
from nnc.backend.abi import InputKey, PopField, PopKey, QueueKey
from nnc.diagnostics import ModelError, SimulationError
from nnc.ir.model import HIDDEN, NeuronModel
from nnc.ir.types import AttrKind, NeuronKind

if TYPE_CHECKING:
    from nnc.api.network import Network
    from nnc.runtime.buffers import Buffers

_DEFAULT_NAME = re.compile(r"pop\d+$")


def normalise_geometry(geometry: object) -> tuple[int, ...]:
    """``int`` → ``(n,)``; a tuple/list of positive ints stays a tuple."""
    dims = (geometry,) if isinstance(geometry, int | np.integer) else tuple(geometry)  # type: ignore[arg-type]
    if not dims or any(int(d) != d or int(d) < 1 for d in dims):
        raise ModelError(f"Population: invalid geometry {geometry!r} (positive integers expected)")
    return tuple(int(d) for d in dims)


def _same_or_extended(old: NeuronModel, new: NeuronModel) -> bool:
    """The compile's model has the same attributes, plus conductances of targets that projections added."""
    before, after = [a.name for a in old.attributes], [a.name for a in new.attributes]
    added = [n for n in after if n not in before]
    return [n for n in after if n in before] == before and all(n.startswith("g_") for n in added)


class Population(SpikingPopulation):
    """A group of neurons of one model, created by ``net.create(geometry, neuron)``.

    Constructed directly (the legacy form ``Population(geometry, neuron)``), it joins the default network.
    Attributes of the model are read and written as Python attributes (``pop.v``, ``pop.tau = 5.0``).
    """

    def __init__(
        self,
        geometry: object,
        neuron: object,
        name: str | None = None,
        stop_condition: str | None = None,
        network: Network | None = None,
        **_ignored: object,
    ):
        d = self.__dict__
        if isinstance(neuron, type):
            neuron = neuron()
        if neuron is None:
            raise ModelError("Population: a neuron model is required")
        d["geometry"] = normalise_geometry(geometry)
        d["size"] = int(np.prod(d["geometry"]))
        d["neuron_type"] = neuron if isinstance(neuron, NeuronModel) else neuron.copy()  # type: ignore[attr-defined]
        d["stop_condition"] = stop_condition
        d["_given_name"] = name
        d["_network"] = None
        d["id"] = -1
        d["_analysed"] = None
        d["_store"] = None
        d["_enabled"] = True
        d["_buffers"] = None
        d["_refractory"] = None
        d["_rate_window"] = None
        if network is None:
            from nnc.api.legacy import magic_network

            network = magic_network()
        network._add_population(self)

    # ------------------------------------------------------------------ identity
    @property
    def name(self) -> str:
        """The given name, else ``pop<id>`` (a given name of that form is renumbered)."""
        given = self._given_name
        return f"pop{self.id}" if given is None or _DEFAULT_NAME.match(given) else given

    @property
    def network(self) -> Network:
        """The network this population belongs to."""
        return self._network

    @property
    def dimension(self) -> int:
        """Number of dimensions of the geometry."""
        return len(self.geometry)

    def _dim(self, i: int) -> int:
        return self.geometry[i] if len(self.geometry) > i else 1

    width = property(lambda self: self._dim(0), doc="First dimension.")
    height = property(lambda self: self._dim(1), doc="Second dimension (1 if absent).")
    depth = property(lambda self: self._dim(2), doc="Third dimension (1 if absent).")

    @property
    def ranks(self) -> np.ndarray:
        """``arange(size)`` (int32)."""
        return np.arange(self.size, dtype=np.int32)

    @property
    def population(self) -> Population:
        """The population itself (views answer their population)."""
        return self

    def __len__(self) -> int:
        return self.size

    # ------------------------------------------------------------------ model
    def _model(self) -> NeuronModel:
        """The analysed model (analysed lazily with what the network knows now; a spiking model again
        when projections have been added since, for the conductances of their targets)."""
        if self._analysed is None:
            self.__dict__["_analysed"] = self._analyse(None)
        elif self._analysed.kind is NeuronKind.SPIKE and self._network is not None:
            seen = len(self._network._projections)
            if self.__dict__.get("_projections_seen") != seen:
                self.__dict__["_projections_seen"] = seen
                self._final_model(tuple(self.targets))
        return self._analysed

    def _analyse(self, targets: tuple[str, ...] | None) -> NeuronModel:
        if isinstance(self.neuron_type, NeuronModel):
            return self.neuron_type
        from nnc.frontend.analyse import analyse_neuron

        return analyse_neuron(self.neuron_type, self._network._environment(targets), name=self.name)

    def _final_model(self, targets: tuple[str, ...]) -> NeuronModel:
        """Analyse again with the compile's environment (connected ``targets``, constants, method)."""
        model = self._analyse(targets)
        old = self._analysed
        if old is not None and not _same_or_extended(old, model):
            raise ModelError(f"population {self.name}: its attributes changed between creation and compile")
        self.__dict__["_analysed"] = model
        if self._store is not None:
            self._store.extend(model.attributes)
        return model

    def _rehome(self) -> None:
        """After a move to another network or a change of id: the pending values follow the population."""
        store = self._store
        if store is not None:
            net = self._network
            store.pid = self.id
            store.lookup = net._constant_value
            store.init_rng = lambda attr: net._init_rng(self.id, attr)

    def _attributes(self) -> AttributeStore:
        if self._store is None:
            model = self._model()
            net = self._network
            self.__dict__["_store"] = AttributeStore(
                f"population {self.name}",
                self.id,
                model.attributes,
                self.geometry,
                net._constant_value,
                lambda attr: net._init_rng(self.id, attr),
            )
        return self._store

    @property
    def neuron_model(self) -> NeuronModel:
        """The analysed IR model of the population's neuron."""
        return self._model()

    @property
    def attributes(self) -> list[str]:
        """Names of parameters and variables, in declaration order."""
        return [a.name for a in self._model().attributes if a.name not in HIDDEN]

    @property
    def parameters(self) -> list[str]:
        """Names of the parameters."""
        return [
            a.name for a in self._model().attributes if a.kind is AttrKind.PARAMETER and a.name not in HIDDEN
        ]

    @property
    def variables(self) -> list[str]:
        """Names of the variables."""
        return [
            a.name for a in self._model().attributes if a.kind is AttrKind.VARIABLE and a.name not in HIDDEN
        ]

    @property
    def functions(self) -> list[str]:
        """Names of the model's functions."""
        return [f.name for f in self._model().functions]

    @property
    def targets(self) -> list[str]:
        """Targets of the projections that end here, in creation order."""
        return list(self._network._targets_by_post().get(id(self), ()))

    @property
    def is_spiking(self) -> bool:
        """Whether the neuron is spiking."""
        return self._model().kind is NeuronKind.SPIKE

    # ------------------------------------------------------------------ attribute access
    def _has_attribute(self, name: str) -> bool:
        if "_analysed" not in self.__dict__:
            return False
        return any(a.name == name for a in self._model().attributes)

    def __getattr__(self, name: str) -> object:
        if name.startswith("_") or "_analysed" not in self.__dict__:
            raise AttributeError(name)
        model = self._model()
        if any(a.name == name for a in model.attributes):
            return self.get(name)
        for f in model.functions:
            if f.name == name:
                return lambda *arrays: apply_function(f, arrays, self._network._real_dtype)
        raise AttributeError(f"population {self.name} has no attribute '{name}'")

    def __setattr__(self, name: str, value: object) -> None:
        if name.startswith("_") or hasattr(type(self), name) or not self._has_attribute(name):
            object.__setattr__(self, name, value)
        else:
            self._set_one(name, value)

    def get(self, name: str) -> object:
        """Value of an attribute: local → array shaped like the geometry (a copy); global → scalar."""
        value = self._attributes().get(name)
        return value.reshape(self.geometry) if isinstance(value, np.ndarray) else value

    def set(self, values: dict[str, object]) -> None:
        """Set several attributes: ``pop.set({'v': 0.0, 'tau': 'tau0'})``."""
        for name, value in values.items():
            self._set_one(name, value)

    def _set_one(self, name: str, value: object, ranks: np.ndarray | None = None) -> None:
        store = self._attributes()
        rng = self._network._assign_rng
        if ranks is not None and not store.is_local(name):
            self._network._warn(
                f"setting the global attribute '{name}' through a view or a single neuron "
                "changes it for the whole population"
            )
            ranks = None
        if self._buffers is None:
            if ranks is None:
                store.set_initial(name, value, rng)
            else:
                store.set_initial_at(name, ranks, value, rng)
        else:
            store.set_live(name, value, rng, ranks)

    def _restore(self, name: str, value: object) -> None:
        """Set an attribute from saved data (``load()``); specific populations may restore differently."""
        self._set_one(name, value)

    def _values_at(self, name: str, ranks: np.ndarray) -> object:
        value = self._attributes().get(name)
        return value[ranks] if isinstance(value, np.ndarray) else value

    @property
    def init(self) -> dict[str, object]:
        """Initial values restored by ``reset()`` (pending values before compile)."""
        return dict(self._attributes().init)

    # ------------------------------------------------------------------ compile / runtime
    def _bind(self, buffers: Buffers) -> None:
        """Attach the live buffers and transfer initial values (SEMANTICS.md §11 step 4)."""
        self.__dict__["_buffers"] = buffers
        store = self._attributes()
        store.buffers = buffers
        store.transfer()
        buffers.set_value(PopKey(self.id, PopField.ENABLED), int(self._enabled))
        self._fill_queues()
        self._bind_spikes(buffers)
        self._apply_rate_window()

    def _fill_queues(self) -> None:
        """Fill every delay queue of this population with the current values (SEMANTICS.md §5)."""
        buffers = self._buffers
        if buffers is None:
            return
        for var in buffers.module.populations[self.id].delayed:
            queue = buffers.array(QueueKey(self.id, var))
            queue.reshape(-1, self.size)[:] = self._attributes().live(var)[None, :]

    def reset(self, attributes: list[str] | None = None) -> None:
        """Restore attributes (default all) to their initial values, then clear runtime state (§12)."""
        store = self._attributes()
        names = tuple(self.attributes) if attributes is None else tuple(attributes)
        for name in names:
            if name not in store.attrs:
                self._network._warn(f"population {self.name}: reset of unknown attribute '{name}' skipped")
        if self._buffers is not None:
            store.transfer(tuple(n for n in names if n in store.attrs))
            self.clear()

    def clear(self) -> None:
        """Clear runtime state without touching variables: delay queues are refilled with current values,
        spikes, refractoriness and the firing-rate history are forgotten."""
        self._fill_queues()
        self._clear_spikes()

    @property
    def enabled(self) -> bool:
        """Whether the population is updated and receives input."""
        return self._enabled

    def enable(self) -> None:
        """(Re)activate the population."""
        self._set_enabled(True)

    def disable(self) -> None:
        """Deactivate: no update, no input (projections targeting it are skipped)."""
        self._set_enabled(False)

    def _set_enabled(self, on: bool) -> None:
        self.__dict__["_enabled"] = on
        if self._buffers is not None:
            self._buffers.set_value(PopKey(self.id, PopField.ENABLED), int(on))

    def sum(self, target: str) -> np.ndarray:
        """The weighted input ``sum(target)`` of the last step (flat); zeros and a warning if unconnected."""
        if self._buffers is None or target not in self.targets:
            self._network._warn(
                f"population {self.name}: sum({target}) is not available "
                f"({'not compiled' if self._buffers is None else 'no projection uses it'})"
            )
            return np.zeros(self.size)
        if self.is_spiking:
            return np.asarray(self._attributes().get(f"g_{target}"), dtype=np.float64)
        return self._buffers.array(InputKey(self.id, target)).astype(np.float64)

    # ------------------------------------------------------------------ coordinates, neurons, views
    def rank_from_coordinates(self, coord: object) -> int:
        """Row-major rank of a coordinate tuple."""
        c = (coord,) if isinstance(coord, int | np.integer) else tuple(coord)  # type: ignore[arg-type]
        if len(c) != self.dimension or any(
            not 0 <= int(x) < g for x, g in zip(c, self.geometry, strict=True)
        ):
            raise SimulationError(
                f"population {self.name}: invalid coordinates {coord!r} for {self.geometry}"
            )
        return int(np.ravel_multi_index(tuple(int(x) for x in c), self.geometry))

    def coordinates_from_rank(self, rank: int) -> tuple[int, ...]:
        """Coordinates of ``rank``."""
        if not 0 <= int(rank) < self.size:
            raise SimulationError(f"population {self.name}: rank {rank} out of range (size {self.size})")
        return tuple(int(x) for x in np.unravel_index(int(rank), self.geometry))

    def normalized_coordinates_from_rank(self, rank: int, norm: float = 1.0) -> tuple[float, ...]:
        """Coordinates divided by ``geometry - 1`` per dimension (0 where a dimension has size 1)."""
        coord = self.coordinates_from_rank(rank)
        return tuple(norm * c / (g - 1) if g > 1 else 0.0 for c, g in zip(coord, self.geometry, strict=True))

    def neuron(self, *coord: int) -> IndividualNeuron:
        """The neuron at a rank (one int) or at coordinates."""
        if len(coord) == 1 and isinstance(coord[0], tuple | list):
            coord = tuple(coord[0])
        if len(coord) == 1 and self.dimension > 1:
            rank = int(coord[0])
            self.coordinates_from_rank(rank)
        else:
            rank = self.rank_from_coordinates(coord)
        return IndividualNeuron(self, rank)

    @property
    def neurons(self) -> list[IndividualNeuron]:
        """Every neuron in rank order."""
        return [IndividualNeuron(self, r) for r in range(self.size)]

    def __iter__(self) -> Iterator[IndividualNeuron]:
        return (IndividualNeuron(self, r) for r in range(self.size))

    def __getitem__(self, index: object) -> PopulationView | IndividualNeuron:
        return index_population(self, index)

    # ------------------------------------------------------------------ saving
    def _data(self) -> dict[str, object]:
        """Everything ``save()`` stores for this population (API.md §13)."""
        data: dict[str, object] = {
            "name": self.name,
            "geometry": self.geometry,
            "size": self.size,
            "attributes": self.attributes,
            "parameters": self.parameters,
            "variables": self.variables,
        }
        for name in self.attributes:
            data[name] = self.get(name)
        spiking = self._spike_state()
        if spiking:
            data["spiking_state"] = spiking
        return data

    def save(self, filename: str) -> None:
        """Save this population's attributes (format by extension, API.md §13)."""
        from nnc.api.io import save_object

        save_object(filename, self._data())

    def load(self, filename: str, pickle_encoding: str | None = None) -> None:
        """Load attributes saved by ``save()``."""
        from nnc.api.io import load_object, restore_population

        restore_population(self, load_object(filename, pickle_encoding))

    def __repr__(self) -> str:
        model = (
            self.neuron_type if isinstance(self.neuron_type, NeuronModel) else type(self.neuron_type).__name__
        )
        return f"Population(name={self.name!r}, geometry={self.geometry}, neuron={model})"
