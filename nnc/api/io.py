"""Saving and loading network state and parameters (API.md §13).

File format by extension: ``.npz`` (``np.savez_compressed``; dictionaries come back as 0-d object arrays
and are unwrapped), ``.gz`` (gzip-compressed pickle), ``.mat`` (``scipy.io.savemat``, save only), anything
else a plain pickle. Missing parent directories are created.
"""

from __future__ import annotations

import gzip
import json
import pickle
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from nnc.diagnostics import SimulationError
from nnc.ir.types import AttrKind, Locality

if TYPE_CHECKING:
    from nnc.api.network import Network
    from nnc.api.population import Population


def save_object(filename: str, data: dict[str, object]) -> None:
    """Write ``data`` in the format of ``filename``'s extension."""
    path = Path(filename)
    path.parent.mkdir(parents=True, exist_ok=True)
    match path.suffix:
        case ".npz":
            np.savez_compressed(path, **data)  # type: ignore[arg-type]
        case ".gz":
            with gzip.open(path, "wb") as f:
                pickle.dump(data, f, protocol=pickle.HIGHEST_PROTOCOL)
        case ".mat":
            import scipy.io

            scipy.io.savemat(str(path), _matlab(data))
        case _:
            with open(path, "wb") as f:
                pickle.dump(data, f, protocol=pickle.HIGHEST_PROTOCOL)


def _matlab(value: object) -> object:
    """MATLAB files take no ``None`` and no tuples of mixed types: convert recursively."""
    if isinstance(value, dict):
        return {str(k): _matlab(v) for k, v in value.items()}
    if value is None:
        return np.array([])
    if isinstance(value, list | tuple) and value and all(isinstance(v, str) for v in value):
        return np.array(value, dtype=object)
    return value


def _unwrap(value: object) -> object:
    if isinstance(value, np.ndarray) and value.dtype == object and value.ndim == 0:
        return value.item()
    return value


def load_object(filename: str, pickle_encoding: str | None = None) -> dict[str, object]:
    """Read a file written by :func:`save_object`."""
    path = Path(filename)
    if not path.exists():
        raise SimulationError(f"load: file {filename} does not exist")
    kwargs = {"encoding": pickle_encoding} if pickle_encoding else {}
    match path.suffix:
        case ".npz":
            with np.load(path, allow_pickle=True) as f:
                return {k: _unwrap(f[k]) for k in f.files}
        case ".gz":
            with gzip.open(path, "rb") as f:
                return pickle.load(f, **kwargs)
        case ".mat":
            raise SimulationError("load: .mat files can be saved but not loaded")
        case _:
            with open(path, "rb") as f:
                return pickle.load(f, **kwargs)


def restore_population(pop: Population, data: dict[str, object]) -> None:
    """Set every attribute stored in ``data`` (unknown ones warn and are skipped)."""
    names = data.get("attributes", [k for k in data if k not in ("name", "geometry", "size")])
    for name in names:  # type: ignore[union-attr]
        if name not in pop.attributes:
            pop.network._warn(f"load: population {pop.name} has no attribute '{name}'; skipped")
            continue
        pop._restore(name, data[name])
    state = data.get("spiking_state")
    if isinstance(state, dict):
        pop._restore_spike_state(state)


def _saveable(proj: object) -> bool:
    return hasattr(proj, "_data")


def save_network(net: Network, filename: str, populations: bool = True, projections: bool = True) -> None:
    """Save the state of a network (``net.save``)."""
    data: dict[str, object] = {"time_step": net.current_step, "net_id": net.id}
    pops = net.get_populations() if populations else []
    projs = [p for p in net._projections if _saveable(p)] if projections else []
    for pop in pops:
        data[pop.name] = pop._data()
    for proj in projs:
        data[proj.name] = proj._data()  # type: ignore[attr-defined]
    data["obj_names"] = {"populations": [p.name for p in pops], "projections": [p.name for p in projs]}  # type: ignore[attr-defined]
    save_object(filename, data)


def load_network(
    net: Network,
    filename: str,
    populations: bool = True,
    projections: bool = True,
    pickle_encoding: str | None = None,
) -> None:
    """Restore a state saved by :func:`save_network` into a compiled network."""
    if not net.compiled:
        raise SimulationError("load: the network must be compiled first")
    data = load_object(filename, pickle_encoding)
    net.current_step = int(data.get("time_step", 0))  # type: ignore[call-overload]
    if populations:
        for pop in net.get_populations():
            if pop.name in data:
                restore_population(pop, data[pop.name])  # type: ignore[arg-type]
    if projections:
        for proj in net._projections:
            if proj.name in data:  # type: ignore[attr-defined]
                proj._load_data(data[proj.name])  # type: ignore[attr-defined]


def _global_parameters(obj: object) -> dict[str, object]:
    """Initial values of the global parameters of a population or projection."""
    out: dict[str, object] = {}
    model = obj.neuron_model if hasattr(obj, "neuron_model") else getattr(obj, "synapse_model", None)
    for a in getattr(model, "attributes", ()):
        if a.kind is AttrKind.PARAMETER and a.locality is Locality.GLOBAL:
            value = obj.get(a.name)  # type: ignore[attr-defined]
            out[a.name] = value.item() if isinstance(value, np.generic) else value
    return out


def save_network_parameters(filename: str, net: Network) -> None:
    """JSON of every global parameter and constant (API.md §13)."""
    data = {
        "populations": {p.name: _global_parameters(p) for p in net.get_populations()},
        "projections": {p.name: _global_parameters(p) for p in net._projections},  # type: ignore[attr-defined]
        "network": {},
        "constants": {c.name: c.value for c in net.get_constants()},
    }
    path = Path(filename)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=4))


def _set_parameters(obj: object, values: dict[str, object], global_only: bool, verbose: bool) -> None:
    for name, value in values.items():
        if isinstance(value, list | dict):
            raise SimulationError(
                f"load_parameters: '{name}' must be a single value (arrays are not allowed)"
            )
        locality = None
        model = obj.neuron_model if hasattr(obj, "neuron_model") else getattr(obj, "synapse_model", None)
        attr = model.attribute(name) if model is not None else None
        if attr is not None:
            locality = attr.locality
        if attr is None or (global_only and locality is not Locality.GLOBAL):
            print(f"load_parameters: {obj.name} has no global parameter '{name}'; skipped")  # type: ignore[attr-defined]
            continue
        if verbose:
            print(f"load_parameters: {obj.name}.{name} = {value}")  # type: ignore[attr-defined]
        obj.set({name: value})  # type: ignore[attr-defined]


def load_network_parameters(
    filename: str, global_only: bool, verbose: bool, net: Network
) -> dict[str, float]:
    """Apply a parameter file written by :func:`save_network_parameters`; returns its ``network`` dict."""
    data = json.loads(Path(filename).read_text())
    for name, values in data.get("populations", {}).items():
        pop = net.get_population(name)
        if pop is not None:
            _set_parameters(pop, values, global_only, verbose)
    for name, values in data.get("projections", {}).items():
        proj = net.get_projection(name)
        if proj is not None:
            _set_parameters(proj, values, global_only, verbose)
    for name, value in data.get("constants", {}).items():
        c = net.get_constant(name, quiet=True)
        if c is None:
            net.constant(name, value)
        else:
            c.set(value)
    return {k: float(v) for k, v in data.get("network", {}).items()}


def _network(net_id: int) -> Network:
    from nnc.api.network import network_by_id

    return network_by_id(net_id)


def save(filename: str, populations: bool = True, projections: bool = True, net_id: int = 0) -> None:
    """``save()`` of network ``net_id`` (default: the default network)."""
    save_network(_network(net_id), filename, populations, projections)


def load(
    filename: str,
    populations: bool = True,
    projections: bool = True,
    pickle_encoding: str | None = None,
    net_id: int = 0,
) -> None:
    """``load()`` into network ``net_id``."""
    load_network(_network(net_id), filename, populations, projections, pickle_encoding)


def save_parameters(filename: str, net_id: int = 0) -> None:
    """Global parameters and constants of network ``net_id`` as JSON (deprecated module-level form)."""
    save_network_parameters(filename, _network(net_id))


def load_parameters(
    filename: str, global_only: bool = True, verbose: bool = False, net_id: int = 0
) -> dict[str, float]:
    """Apply a parameter file to network ``net_id`` (deprecated module-level form)."""
    return load_network_parameters(filename, global_only, verbose, _network(net_id))


def load_parameter(in_file: str | list[str]) -> dict[str, object]:
    """Read ``<parameter><name>..</name><value>..</value></parameter>`` entries of XML files (deprecated).

    The reference's pre-JSON format: every file (one name or a list) is parsed, each value converted to
    an int, else a float, else kept as text; a name seen twice or a parameter without value is reported
    and skipped. Returns ``{name: value}``.
    """
    import warnings
    import xml.etree.ElementTree as ET

    warnings.warn(
        "load_parameter() is deprecated: use load_parameters() and JSON files instead",
        DeprecationWarning,
        stacklevel=2,
    )
    params: dict[str, object] = {}
    for path in [in_file] if isinstance(in_file, str) else list(in_file):
        try:
            root = ET.parse(path).getroot()
        except OSError:
            print(f"Error: file '{path}' not found.")
            continue
        for entry in root.iter("parameter"):
            name_node, value_node = entry.find("name"), entry.find("value")
            name = None if name_node is None else name_node.text
            text = None if value_node is None else value_node.text
            if name is None:
                print("Error: no name in parameter set.")
            elif text is None:
                print(f"Error: no value in parameter set ({name}).")
            elif name in params:
                print(f"Error: parameter {name} already exists.")
            else:
                params[name] = _number(text)
    return params


def _number(text: str) -> object:
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text
