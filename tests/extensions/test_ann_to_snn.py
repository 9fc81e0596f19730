"""ANNtoSNNConverter without TensorFlow: Keras files (.keras archives and legacy .h5) written here with
NumPy weights and h5py, converted, checked layer by layer (shapes, normalised weights against NumPy), and
classifying inputs whose answer the weights make clear, with every read-out."""

from __future__ import annotations

import json
import sys
import zipfile

import numpy as np
import pytest

import nnc as ann
from nnc.diagnostics import ModelError
from nnc.extensions.ann_to_snn_conversion import ANNtoSNNConverter
from nnc.extensions.convolution import Convolution, Pooling
from nnc.optional import MissingExtraError

h5py = pytest.importorskip("h5py")  # the test extra installs it


def _layer(class_name: str, name: str, **config: object) -> dict[str, object]:
    return {"module": "keras.layers", "class_name": class_name, "config": {"name": name, **config}}


def write_keras(path, layers: list[dict[str, object]], weights: dict[str, list[np.ndarray]]) -> str:
    """A Keras 3 ``.keras`` archive: config.json and model.weights.h5 (``layers/<name>/vars/<i>``)."""
    config = {"module": "keras", "class_name": "Functional", "config": {"name": "model", "layers": layers}}
    h5 = path.with_suffix(".weights.h5")
    with h5py.File(h5, "w") as f:
        for name, arrays in weights.items():
            group = f.create_group(f"layers/{name}/vars")
            for i, a in enumerate(arrays):
                group.create_dataset(str(i), data=a)
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("config.json", json.dumps(config))
        z.writestr("metadata.json", json.dumps({"keras_version": "3.6.0"}))
        z.write(h5, "model.weights.h5")
    return str(path)


def write_legacy_h5(path, layers: list[dict[str, object]], weights: dict[str, list[np.ndarray]]) -> str:
    """A Keras 2 HDF5 model: the model_config attribute and model_weights/<name>/<name>/kernel:0."""
    config = {"class_name": "Functional", "config": {"name": "model", "layers": layers}}
    with h5py.File(path, "w") as f:
        f.attrs["model_config"] = json.dumps(config)
        for name, arrays in weights.items():
            group = f.create_group(f"model_weights/{name}")
            names = []
            for a, var in zip(arrays, ("kernel:0", "bias:0"), strict=False):
                group.create_dataset(f"{name}/{var}", data=a)
                names.append(f"{name}/{var}")
            group.attrs["weight_names"] = [n.encode() for n in names]
    return str(path)


RNG = np.random.default_rng(7)
CNN_LAYERS = [
    _layer("InputLayer", "input_layer", batch_shape=[None, 8, 8, 1]),
    _layer("Conv2D", "conv", filters=2, kernel_size=[3, 3], padding="same", use_bias=False),
    _layer("MaxPooling2D", "pool", pool_size=[2, 2], padding="valid"),
    _layer("Flatten", "flatten"),
    _layer("Dropout", "dropout", rate=0.5),
    _layer("Dense", "dense", units=5, use_bias=False),
    _layer("Dense", "out", units=3, use_bias=False),
]
CNN_WEIGHTS = {
    "conv": [RNG.normal(0, 0.5, (3, 3, 1, 2))],
    "dense": [RNG.normal(0, 0.3, (32, 5))],
    "out": [RNG.normal(0, 0.3, (5, 3))],
}


def test_layers_shapes_and_normalised_weights(tmp_path, capsys):
    path = write_keras(tmp_path / "cnn.keras", CNN_LAYERS, CNN_WEIGHTS)
    conv = ANNtoSNNConverter()
    net = conv.load_keras_model(path, show_info=True)
    assert "Flatten skipped" in capsys.readouterr().out
    pops = net.get_populations()
    assert [p.geometry for p in pops] == [(8, 8, 1), (8, 8, 2), (4, 4, 2), (5,), (3,)]
    np.testing.assert_allclose([p.vt for p in pops[1:4]], [1 - 0.05, 1 - 0.1, 1 - 0.25])
    projs = net.get_projections()
    assert isinstance(projs[0], Convolution)
    assert isinstance(projs[1], Pooling)
    # Diehl et al.: layer l scaled by (l + 2) / max_i sum_j max(W_ij, 0), W with post first
    matrices = [
        np.moveaxis(CNN_WEIGHTS["conv"][0], -1, 0),
        CNN_WEIGHTS["dense"][0].T,
        CNN_WEIGHTS["out"][0].T,
    ]
    factors = [
        (level + 2) / np.clip(m.reshape(m.shape[0], -1), 0, None).sum(axis=1).max()
        for level, m in enumerate(matrices)
    ]
    np.testing.assert_allclose(conv.scale_factors, factors, rtol=1e-12)
    np.testing.assert_allclose(projs[0].weights, matrices[0] * factors[0], rtol=1e-12)
    for proj, m, f in zip(projs[2:], matrices[1:], factors[1:], strict=True):
        np.testing.assert_allclose(proj.connectivity_matrix(), m * f, rtol=1e-12)
    assert conv.get_annarchy_network() is net
    preds = conv.predict(RNG.random((2, 64)), duration_per_sample=20)
    assert len(preds) == 2
    assert all(0 <= p < 3 for p in preds)


DENSE_LAYERS = [
    _layer("InputLayer", "inputs", batch_shape=[None, 2, 2]),
    _layer("Flatten", "flat"),
    _layer("Dense", "hidden", units=4, use_bias=False),
    _layer("Dense", "classes", units=2, use_bias=False),
]
# pixels 0 and 1 drive class 0, pixels 2 and 3 class 1
DENSE_WEIGHTS = {
    "hidden": [np.eye(4) * 0.8],
    "classes": [np.array([[1.0, -0.5], [1.0, -0.5], [-0.5, 1.0], [-0.5, 1.0]])],
}
# the pixels of the other class are off: no input spike can make the wrong class fire (the Poisson
# inputs follow the network's seed, drawn anew for each conversion)
SAMPLES = np.array([[0.9, 0.8, 0.0, 0.0], [0.0, 0.0, 0.9, 1.0], [1.0, 0.7, 0.0, 0.0]])


@pytest.mark.parametrize(
    ("read_out", "kwargs"),
    [
        ("spike_count", {}),
        ("membrane_potential", {}),
        ("time_to_first_spike", {}),
        ("time_to_k_spikes", {"k": 3}),
    ],
)
@pytest.mark.parametrize("fmt", ["keras", "h5"])
def test_read_outs_classify(tmp_path, read_out, kwargs, fmt):
    write = write_keras if fmt == "keras" else write_legacy_h5
    path = write(tmp_path / f"dense.{fmt}", DENSE_LAYERS, DENSE_WEIGHTS)
    conv = ANNtoSNNConverter(read_out=read_out, **kwargs)
    net = conv.load_keras_model(path, show_info=False)
    np.random.seed(0)  # ties are broken with NumPy's global generator, as in the reference
    assert conv.predict(SAMPLES, duration_per_sample=200) == [0, 1, 0]
    if read_out == "time_to_k_spikes":
        assert net.get_populations()[-1].k == 3
        assert net.current_step < 200  # stopped at the third spike


@pytest.mark.parametrize("encoding", ["IB", "PSO", "poisson"])
def test_other_encodings_build_and_run(tmp_path, encoding):
    path = write_keras(tmp_path / "dense.keras", DENSE_LAYERS, DENSE_WEIGHTS)
    conv = ANNtoSNNConverter(input_encoding=encoding)
    conv.load_keras_model(path, show_info=False)
    assert conv.predict(SAMPLES[:1], duration_per_sample=50, multiple=True)[0]


def test_errors(tmp_path, monkeypatch):
    with pytest.raises(ValueError, match="Unknown input encoding"):
        ANNtoSNNConverter(input_encoding="XYZ")
    with pytest.raises(ValueError, match="Unknown value for read-out"):
        ANNtoSNNConverter(read_out="votes")
    with pytest.raises(ModelError, match="the k parameter need to be provided"):
        ANNtoSNNConverter(read_out="time_to_k_spikes")
    with pytest.raises(ValueError, match="Invalid model name"):
        ANNtoSNNConverter(hidden_neuron="LIF")
    no_input = write_keras(tmp_path / "noinput.keras", DENSE_LAYERS[1:], DENSE_WEIGHTS)
    with pytest.raises(ModelError, match="first layer of the network must be an Input layer"):
        ANNtoSNNConverter().load_keras_model(no_input)
    with pytest.raises(ModelError, match="scale_factor list"):
        ANNtoSNNConverter().load_keras_model(
            write_keras(tmp_path / "d.keras", DENSE_LAYERS, DENSE_WEIGHTS), scale_factor=[1.0]
        )
    bad = tmp_path / "bad.h5"
    bad.write_bytes(b"not a model")
    with pytest.raises(ModelError, match=r"neither a \.keras archive nor a Keras HDF5 file"):
        ANNtoSNNConverter().load_keras_model(str(bad))
    with pytest.raises(ModelError, match="load a model first"):
        ANNtoSNNConverter().predict(SAMPLES)
    monkeypatch.setitem(sys.modules, "h5py", None)
    with pytest.raises(MissingExtraError, match=r"pip install 'nnc-sim\[keras\]'"):
        ANNtoSNNConverter().load_keras_model(str(tmp_path / "d.keras"))


def test_names_importable_as_in_the_reference():
    from nnc.extensions.ann_to_snn_conversion import CPN, IB, PSO, IaF, IaF_Acc, IaF_ReadOut, IaF_TTKS

    for neuron in (CPN, IB, PSO, IaF, IaF_Acc, IaF_ReadOut, IaF_TTKS):
        assert isinstance(neuron, ann.Neuron)
