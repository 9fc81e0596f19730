"""``BoldMonitor`` (API.md §12): the BOLD signal of populations, computed by a BOLD model.

A BOLD monitor creates a one-neuron population of its BOLD model (disabled until :meth:`start`), a
monitor of the recorded variables, and, for each mapped input and each recorded population, an
:class:`~nnc.extensions.bold.AccProjection` that feeds the population's scaled mean activity into the
model's input. Returned by ``net.boldmonitor(...)``.
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING

import numpy as np

from nnc.api.views import PopulationView
from nnc.diagnostics import ModelError, SimulationError
from nnc.extensions.bold.accumulate import AccProjection
from nnc.extensions.bold.models import BoldModel, balloon_RN

if TYPE_CHECKING:
    from nnc.api.network import Network


def _as_list(value: object, n: int, what: str) -> list[object]:
    """A value per population: a list of ``n`` entries, or one value repeated (None: empty)."""
    if value is None:
        return []
    if not isinstance(value, list | tuple):
        return [value] * n
    if len(value) != n:
        raise ModelError(f"BoldMonitor: Length of {what} must be equal to number of populations")
    return list(value)


class BoldMonitor:
    """Monitors the BOLD signal of several populations with a BOLD model (default ``balloon_RN``).

    ``mapping`` maps each input of the model to the recorded variable of the populations (default
    ``{'I_CBF': 'r'}``). ``scale_factor`` weighs the populations (default: each population's share of
    their total size); ``normalize_input`` gives each population a baseline in ms (0: none).
    ``recorded_variables`` adds variables of the model to its outputs (sorted). The monitor records
    only once started (``start=True`` or :meth:`start`); attributes of the BOLD model are read and set
    through the monitor after compile.
    """

    def __init__(
        self,
        populations: object = None,
        bold_model: object = None,
        mapping: dict[str, str] | None = None,
        scale_factor: object = None,
        normalize_input: object = None,
        recorded_variables: object = None,
        start: bool = False,
        net_id: int = 0,
        *,
        network: Network | None = None,
    ):
        d = self.__dict__
        net = network if network is not None else _network(net_id)
        model = _bold_model(bold_model, "BoldMonitor")
        mapping = {"I_CBF": "r"} if mapping is None else dict(mapping)
        pops = _populations(populations)
        scales = _as_list(scale_factor, len(pops), "scale_factor")
        baselines = _as_list(normalize_input, len(pops), "normalize_input")
        for target in mapping:
            if target not in model._inputs:
                raise ModelError(f"BoldMonitor: the key {target} of mapping is not part of the BOLD model.")
        recorded = _recorded(recorded_variables, model._output)
        if not scales:
            total = sum(p.size for p in pops)
            scales = [float(p.size) / float(total) for p in pops]
        if not baselines:
            baselines = [0] * len(pops)

        d["_network"] = net
        d["_bold_pop"] = net.create(1, neuron=model, name=model.name)
        if not start:
            self._bold_pop.disable()
        d["_monitor"] = net.monitor(self._bold_pop, recorded, start=start)
        d["_acc_proj"] = []
        for target, variable in mapping.items():
            for pop, scale, baseline in zip(pops, scales, baselines, strict=True):
                proj = AccProjection(
                    pop, self._bold_pop, target, variable,
                    scale_factor=float(scale), normalize_input=float(baseline or 0),
                )  # fmt: skip
                net.connect(proj)
                proj.all_to_all(weights=1.0)
                self._acc_proj.append(proj)
        d["_populations"] = pops
        d["_bold_model"] = model
        d["_mapping"] = mapping
        d["_scale_factor"] = scales
        d["_normalize_input"] = baselines
        d["_recorded_variables"] = recorded
        d["name"] = "bold_monitor"
        if start:
            self._start_baselines()

    # ------------------------------------------------------------------ recording
    def start(self) -> None:
        """Start (or resume) recording, activate the BOLD model and start the baselines of normalised
        inputs."""
        self._monitor.resume()
        self._bold_pop.enable()
        self._start_baselines()

    def _start_baselines(self) -> None:
        for proj in self._acc_proj:
            proj.start(proj._baseline_steps())

    def stop(self) -> None:
        """Stop recording and freeze the BOLD model. The data recorded so far stay available to
        :meth:`get` (the reference deletes them with its recorder), and :meth:`start` resumes."""
        self._monitor.pause()
        self._bold_pop.disable()

    def get(self, variable: str) -> object:
        """The recording of ``variable`` (as ``Monitor.get``)."""
        return self._monitor.get(variable)

    # ------------------------------------------------------------------ the BOLD model's attributes
    @property
    def population(self) -> object:
        """The population of the BOLD model."""
        return self._bold_pop

    @property
    def projections(self) -> list[AccProjection]:
        """The accumulating projections, by mapped input then population."""
        return list(self._acc_proj)

    def _model_attribute(self, name: str) -> bool:
        pop = self.__dict__.get("_bold_pop")
        if pop is None or name not in pop.attributes:
            return False
        if not self._network.compiled:
            raise SimulationError("BoldMonitor: attributes can not modified before compile()")
        return True

    def __getattr__(self, name: str) -> object:
        if name.startswith("_"):
            raise AttributeError(name)
        if self._model_attribute(name):
            return getattr(self._bold_pop, name)
        raise AttributeError(f"BoldMonitor has no attribute '{name}'")

    def __setattr__(self, name: str, value: object) -> None:
        if name.startswith("_") or name in type(self).__dict__:
            object.__setattr__(self, name, value)
        elif self._model_attribute(name):
            setattr(self._bold_pop, name, value)
        else:
            raise AttributeError(f"the variable '{name}' is not an attribute of the bold model.")

    def __repr__(self) -> str:
        names = ", ".join(getattr(p, "name", "?") for p in self._populations)
        return f"BoldMonitor(populations=[{names}], model={self._bold_model.name!r})"


class BoldMonitorFromSlices(BoldMonitor):
    """The BOLD signal of parts of one population: one BOLD-model neuron per slice of ranks.

    ``slices`` is a list of lists of ranks of ``population``; neuron ``k`` of the BOLD population gets,
    for each mapped input, the mean of the mapped variable over the ranks of ``slices[k]`` (an
    :class:`~nnc.extensions.bold.AccProjection` whose dendrite ``k`` holds those ranks, scale factor
    1). ``normalize_input`` is one baseline in ms for all slices. Recordings have one column per
    slice. Returned by ``net.boldmonitor_from_slices(...)``; ``start``, ``stop``, ``get`` and the
    attributes of the model behave as in :class:`BoldMonitor`.
    """

    def __init__(
        self,
        population: object = None,
        slices: list[list[int]] | None = None,
        bold_model: object = None,
        mapping: dict[str, str] | None = None,
        normalize_input: float | None = 0,
        recorded_variables: object = None,
        start: bool = False,
        net_id: int = 0,
        *,
        network: Network | None = None,
    ):
        d = self.__dict__
        net = network if network is not None else _network(net_id)
        model = _bold_model(bold_model, "BoldMonitorFromSlices")
        if population is None or isinstance(population, list | tuple | PopulationView):
            raise ModelError(
                "BoldMonitorFromSlices records one whole population (population=...); its parts are "
                "given by slices=[[ranks], ...]. For several populations use net.boldmonitor()."
            )
        if normalize_input is not None and not isinstance(normalize_input, int | float):
            raise ModelError("BoldMonitorFromSlices: the time window for normalization must be one value.")
        matrix = _slices_matrix(slices, population.size)  # type: ignore[attr-defined]
        mapping = {"I_CBF": "r"} if mapping is None else dict(mapping)
        for target in mapping:
            if target not in model._inputs:
                raise ModelError(f"BoldMonitor: the key {target} of mapping is not part of the BOLD model.")
        recorded = _recorded(recorded_variables, model._output)

        d["_network"] = net
        d["_bold_pop"] = net.create(len(matrix), neuron=model, name=model.name)
        if not start:
            self._bold_pop.disable()
        d["_monitor"] = net.monitor(self._bold_pop, recorded, start=start)
        d["_acc_proj"] = []
        for target, variable in mapping.items():
            proj = AccProjection(
                population, self._bold_pop, target, variable,
                scale_factor=1.0, normalize_input=float(normalize_input or 0),
            )  # fmt: skip
            net.connect(proj)
            proj.from_matrix(matrix)
            self._acc_proj.append(proj)
        d["_populations"] = [population]
        d["_slices"] = [sorted(int(r) for r in s) for s in slices]  # type: ignore[union-attr]
        d["_bold_model"] = model
        d["_mapping"] = mapping
        d["_scale_factor"] = [1.0]
        d["_normalize_input"] = [normalize_input or 0]
        d["_recorded_variables"] = recorded
        d["name"] = "bold_monitor"
        if start:
            self._start_baselines()

    def __repr__(self) -> str:
        name = getattr(self._populations[0], "name", "?")
        return (
            f"BoldMonitorFromSlices(population={name}, slices={len(self._slices)}, "
            f"model={self._bold_model.name!r})"
        )


def _slices_matrix(slices: object, size: int) -> np.ndarray:
    """The (n_slices, size) connection matrix of the slices: 1.0 where a rank belongs to a slice, NaN
    elsewhere (no synapse)."""
    if slices is None:
        raise ModelError(
            "BoldMonitorFromSlices: a list of ranks to record from needs to be provided (slices=)"
        )
    if not isinstance(slices, list | tuple) or not slices:
        raise ModelError("BoldMonitorFromSlices: slices must be a non-empty list of lists of ranks")
    matrix = np.full((len(slices), size), np.nan)
    for k, part in enumerate(slices):
        listed = isinstance(part, list | tuple | np.ndarray)
        ranks = np.asarray(part, dtype=object).ravel() if listed else None
        if ranks is None or ranks.size == 0:
            raise ModelError(f"BoldMonitorFromSlices: slice {k} must be a non-empty list of ranks")
        for r in ranks:
            if isinstance(r, bool) or not isinstance(r, int | np.integer) or not 0 <= r < size:
                raise ModelError(
                    f"BoldMonitorFromSlices: slice {k} holds {r!r}, not a rank of the population "
                    f"(0..{size - 1})"
                )
            if not np.isnan(matrix[k, r]):
                raise ModelError(f"BoldMonitorFromSlices: slice {k} holds the rank {r} twice")
            matrix[k, r] = 1.0
    return matrix


def _populations(populations: object) -> list[object]:
    """The recorded populations as a list (whole populations only)."""
    if populations is None:
        raise ModelError(
            "Either a population or a list of populations must be provided to the BOLD monitor "
            "(populations=...)"
        )
    pops = list(populations) if isinstance(populations, list | tuple) else [populations]
    if any(isinstance(p, PopulationView) for p in pops):
        raise ModelError(
            "BoldMonitor: PopulationViews cannot be recorded; record whole populations (the BOLD "
            "signal of a part of a population needs a population of its own)"
        )
    return pops


def _recorded(recorded: object, outputs: list[str]) -> list[str]:
    """The outputs, or the user's variables merged with them (sorted, without duplicates)."""
    if recorded is None or (isinstance(recorded, list | tuple) and not recorded):
        return list(outputs)
    given = [recorded] if isinstance(recorded, str) else list(recorded)  # type: ignore[arg-type]
    return sorted(set(given) | set(outputs))


def _network(net_id: int) -> Network:
    from nnc.api.network import network_by_id

    return network_by_id(net_id)


def _bold_model(bold_model: object, who: str) -> BoldModel:
    """The monitor's model: an instance, a class (instantiated with its defaults) or None (balloon_RN)."""
    model = bold_model if bold_model is not None else balloon_RN
    if inspect.isclass(model):
        model = model()
    if not isinstance(model, BoldModel):
        raise ModelError(f"{who}: bold_model must be a BoldModel, not {model!r}")
    return model
