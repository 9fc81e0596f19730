"""Reading Keras model files without TensorFlow: the layers (class, configuration) and their weights.

Two formats:

* ``.keras`` (Keras 3): a zip archive holding ``config.json`` (the model: ``config.layers``, each with its
  ``class_name`` and ``config``) and ``model.weights.h5`` (each layer's variables in
  ``layers/<name>/vars/0, 1, ...``: for ``Dense`` and ``Conv2D`` the kernel, then the bias);
* ``.h5`` (legacy Keras 2 HDF5): the model in the ``model_config`` attribute, the weights in
  ``model_weights/<name>/...`` (``kernel:0``, ``bias:0``).

The HDF5 part needs h5py (the ``keras`` extra).
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass, field

import numpy as np

from nnc.diagnostics import ModelError
from nnc.optional import require


@dataclass
class KerasLayer:
    """One layer of a Keras model: its class, name, configuration and weights (kernel first)."""

    class_name: str
    name: str
    config: dict[str, object]
    weights: list[np.ndarray] = field(default_factory=list)


def read_keras_model(filename: str) -> list[KerasLayer]:
    """The layers of the model in ``filename`` (``.keras`` or ``.h5``), in order."""
    try:
        if zipfile.is_zipfile(filename):
            return _read_keras_v3(filename)
    except OSError as e:
        raise ModelError(f"ANNtoSNNConverter: cannot read the model file {filename}: {e}") from e
    h5py = require("h5py", "keras", "ANNtoSNNConverter.load_keras_model")
    try:
        with h5py.File(filename, "r") as f:
            return _read_legacy_h5(f, filename)
    except OSError as e:
        raise ModelError(
            f"ANNtoSNNConverter: {filename} is neither a .keras archive nor a Keras HDF5 file ({e})"
        ) from e


def _layers_of(config: dict[str, object], filename: str) -> list[dict[str, object]]:
    model = config.get("config", config)
    layers = model.get("layers") if isinstance(model, dict) else None
    if not isinstance(layers, list):
        raise ModelError(f"ANNtoSNNConverter: {filename} does not describe a model with layers")
    return layers


def _read_keras_v3(filename: str) -> list[KerasLayer]:
    h5py = require("h5py", "keras", "ANNtoSNNConverter.load_keras_model")
    with zipfile.ZipFile(filename) as z:
        names = set(z.namelist())
        if "config.json" not in names:
            raise ModelError(f"ANNtoSNNConverter: {filename} has no config.json (not a .keras model)")
        config = json.loads(z.read("config.json"))
        weights = z.read("model.weights.h5") if "model.weights.h5" in names else None
    layers = [_layer(entry) for entry in _layers_of(config, filename)]
    if weights is not None:
        with h5py.File(io.BytesIO(weights), "r") as f:
            for layer in layers:
                group = _find_group(f, layer.name)
                if group is not None and "vars" in group:
                    vars_ = group["vars"]
                    layer.weights = [np.asarray(vars_[k]) for k in sorted(vars_, key=int)]
    return layers


def _find_group(f: object, name: str) -> object | None:
    """The group of layer ``name``: ``layers/<name>``, or anywhere below ``layers`` (nested models)."""
    root = f.get("layers")  # type: ignore[attr-defined]
    if root is None:
        return None
    if name in root:
        return root[name]
    found: list[object] = []

    def visit(path: str, obj: object) -> None:
        if not found and path.rsplit("/", 1)[-1] == name and hasattr(obj, "keys"):
            found.append(obj)

    root.visititems(visit)
    return found[0] if found else None


def _read_legacy_h5(f: object, filename: str) -> list[KerasLayer]:
    raw = f.attrs.get("model_config")  # type: ignore[attr-defined]
    if raw is None:
        raise ModelError(f"ANNtoSNNConverter: {filename} holds no model (no model_config attribute)")
    config = json.loads(raw.decode() if isinstance(raw, bytes) else raw)
    layers = [_layer(entry) for entry in _layers_of(config, filename)]
    weights = f.get("model_weights", f)  # type: ignore[attr-defined]
    for layer in layers:
        if layer.name not in weights:
            continue
        group = weights[layer.name]
        names = [n.decode() if isinstance(n, bytes) else n for n in group.attrs.get("weight_names", [])]
        names = names or _datasets(group)
        layer.weights = [np.asarray(group[n]) for n in names]
    return layers


def _datasets(group: object) -> list[str]:
    """The paths of the datasets below ``group``, the kernel first."""
    found: list[str] = []
    group.visititems(lambda p, o: None if hasattr(o, "keys") else found.append(p))  # type: ignore[attr-defined]
    return sorted(found, key=lambda p: (not p.endswith("kernel:0"), p))


def _layer(entry: dict[str, object]) -> KerasLayer:
    config = entry.get("config", {})
    assert isinstance(config, dict)
    return KerasLayer(str(entry.get("class_name")), str(config.get("name", "")), config)


def input_shape(layer: KerasLayer) -> tuple[int, ...]:
    """The shape of the samples of an ``InputLayer`` (its batch shape without the batch dimension)."""
    shape = layer.config.get("batch_shape") or layer.config.get("batch_input_shape")
    if not isinstance(shape, list | tuple) or len(shape) < 2 or any(s is None for s in shape[1:]):
        raise ModelError(f"ANNtoSNNConverter: the input layer {layer.name} has no fixed shape ({shape})")
    return tuple(int(s) for s in shape[1:])
