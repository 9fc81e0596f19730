"""``ANNtoSNNConverter``: a trained Keras model turned into a spiking network (the reference's converter).

The Keras file is read without TensorFlow (:mod:`.keras_file`; h5py, the ``keras`` extra). Layer by
layer, as the reference does:

* the ``InputLayer`` (it must come first) becomes a population of the input encoding (``CPN`` Poisson
  spikes, ``IB`` bursting or ``PSO`` phase-shift neurons) with the input's shape;
* ``Dense`` (kernel ``(in, out)``; the bias is not used): a population of ``out`` hidden neurons
  (``IaF``), connected from the previous population by a dense spiking projection with the weights
  ``kernel.T`` (each spike adds its weight to ``g_exc``);
* ``Conv2D`` (``(kh, kw, in, filters)``): a population of the layer's output shape and a
  :class:`~nnc.extensions.convolution.Convolution` bank of filters reading ``pre.mask`` every step;
* ``MaxPooling2D`` / ``AveragePooling2D``: a :class:`~nnc.extensions.convolution.Pooling` of ``pre.mask``
  (``max`` / ``mean``) over ``pool_size`` (strides are those of the layer's output shape);
* other layers (``Flatten``, ``Dropout``, ``Activation``, ``BatchNormalization``...) are skipped.

The threshold ``vt`` of the hidden populations of layer ``i`` is lowered by ``0.05 · i``. The last layer,
when it is a ``Dense`` one, gets the neurons of the read-out (``IaF_Acc`` for ``membrane_potential``,
``IaF`` with the stop condition ``spiked : any`` for ``time_to_first_spike``, ``IaF_TTKS`` with
``sc >= k : any`` for ``time_to_k_spikes``), and a monitor records ``v`` and ``spike`` of the last
population.

Weights are normalised as Diehl et al. (2015) propose, which the reference documents: the weights of
the ``l``-th weighted layer are multiplied by ``scale_factor[l] / max_i Σ_j max(W_ij, 0)`` (default
``scale_factor[l] = l + 2``). Two differences from the reference's code, where these are defects:
there, the scaled weights are stored in an attribute of the populations that nothing reads (the
network keeps the Keras weights); and ``time_to_k_spikes`` never sets ``k`` (it stays 0, so the first
step stops the simulation). nnc applies the scaled weights and sets ``k``.
"""

from __future__ import annotations

import math

import numpy as np

from nnc.api.network import Network
from nnc.api.population import Population
from nnc.descriptions.models import Neuron
from nnc.diagnostics import ModelError
from nnc.extensions.ann_to_snn_conversion.keras_file import KerasLayer, input_shape, read_keras_model
from nnc.extensions.ann_to_snn_conversion.models import (
    CPN,
    IB,
    PSO,
    IaF,
    IaF_Acc,
    IaF_TTKS,
    available_read_outs,
)
from nnc.extensions.convolution import Convolution, Pooling

_POOLING = {"MaxPooling2D": "max", "AveragePooling2D": "mean"}


class ANNtoSNNConverter:
    """Converts a pre-trained Keras model (``.keras``, or a legacy ``.h5``) into a spiking network.

    :param input_encoding: ``'CPN'`` (or ``'poisson'``), ``'IB'`` or ``'PSO'``.
    :param hidden_neuron: ``'IaF'`` or a spiking ``Neuron`` with ``vt``, ``v`` and ``mask``.
    :param read_out: ``'spike_count'``, ``'time_to_first_spike'``, ``'time_to_k_spikes'`` (give ``k``)
        or ``'membrane_potential'``.
    :param kwargs: ``k`` (``time_to_k_spikes``) and ``max_f``, the rate in Hz of an input of 1 (100).
    """

    def __init__(
        self,
        input_encoding: str = "CPN",
        hidden_neuron: str | Neuron = "IaF",
        read_out: str = "spike_count",
        **kwargs: object,
    ):
        if isinstance(hidden_neuron, str):
            if hidden_neuron != "IaF":
                raise ValueError("Invalid model name for hidden neurons.")
            self._hidden_neuron_model = IaF
        else:
            self._hidden_neuron_model = hidden_neuron
        self._input_encoding = input_encoding
        encodings = {"poisson": CPN, "CPN": CPN, "PSO": PSO, "IB": IB}
        if input_encoding not in encodings:
            raise ValueError("Unknown input encoding:", input_encoding)
        self._input_model = encodings[input_encoding]
        if read_out not in available_read_outs:
            raise ValueError("Unknown value for read-out:", read_out)
        self._read_out = read_out
        self._max_f = float(kwargs.get("max_f", 100))  # type: ignore[arg-type]
        self._k_param = None
        if read_out == "time_to_k_spikes":
            if "k" not in kwargs:
                raise ModelError(
                    "When read_out is set to 'time_to_k_spikes', the k parameter need to be provided."
                )
            self._k_param = kwargs["k"]
        self._snn_network: Network | None = None
        self._monitor = None
        self.scale_factors: list[float] = []

    # ------------------------------------------------------------------ conversion
    def load_keras_model(
        self,
        filename: str,
        directory: str = "annarchy",
        scale_factor: float | list[float] | None = None,
        show_info: bool = True,
    ) -> Network:
        """Read the model in ``filename``, build and compile the spiking network, and return it.

        ``scale_factor``: one value for every weighted layer, or a list with one per layer (default: the
        ``l``-th weighted layer gets ``l + 2``). ``show_info`` prints the network's structure.
        """
        layers = read_keras_model(filename)
        if not layers or layers[0].class_name != "InputLayer":
            raise ModelError("The first layer of the network must be an Input layer.")
        plan = self._plan(layers)
        weights = [w for kind, _, _, w, _ in plan if kind in ("dense", "conv")]
        factors = self._normalize_weights(weights, scale_factor)
        self.scale_factors = [float(f) for f in factors]
        net = Network()
        self._snn_network = net
        shape = input_shape(layers[0])
        description = f"* Input layer: {layers[0].name}, {shape}\n"
        pops: list[Population] = [net.create(shape, self._input_model, name=layers[0].name)]
        level = 0
        for kind, idx, layer, w, geometry in plan:
            if kind == "skip":
                description += f"* {layer.class_name} skipped.\n"
                continue
            pre = pops[-1]
            if kind == "dense":
                pop = self._dense_population(net, layer, geometry, idx == len(layers) - 1, idx)
                proj = net.connect(pre, pop, "exc", name=f"dense_proj_{len(pops) + 1}")
                proj.from_matrix(w * factors[level], storage_format="dense", storage_order="pre_to_post")
                description += f"* Dense layer: {layer.name}, {geometry[0]} \n    weights: {w.shape}\n"
                description += f"    mean {np.mean(w)}, std {np.std(w)}\n"
                description += f"    min {np.min(w)}, max {np.max(w)}\n"
                level += 1
            elif kind == "conv":
                pop = self._hidden(net, geometry, layer.name, idx)
                proj = net.connect(
                    Convolution(pre, pop, "exc", psp="pre.mask * w", name=f"conv_proj_{len(pops) + 1}")
                )
                proj.connect_filters(weights=w * factors[level])
                description += f"* Conv2D layer: {layer.name}, {geometry} \n"
                level += 1
            else:
                pop = self._hidden(net, geometry, layer.name, idx)
                pool = (*tuple(int(p) for p in _pair(layer.config.get("pool_size", (2, 2)))), 1)
                proj = net.connect(
                    Pooling(
                        pre, pop, "exc", operation=_POOLING[layer.class_name], psp="pre.mask",
                        name=f"pool_proj_{len(pops) + 1}",
                    )
                )  # fmt: skip
                proj.pooling(extent=pool)
                description += f"* {layer.class_name} layer: {layer.name}, {geometry} \n"
            pops.append(pop)
        if len(pops) == 1:
            raise ModelError("ANNtoSNNConverter: the model has no Dense, Conv2D or pooling layer")
        self._monitor = net.monitor(pops[-1], ["v", "spike"])
        if self._k_param is not None and "k" in pops[-1].attributes:
            pops[-1].k = self._k_param  # before compile: its initial value, which reset() restores
        net.compile(directory=directory, silent=True)
        if show_info:
            print(description)
        return net

    def _plan(self, layers: list[KerasLayer]) -> list[tuple[str, int, KerasLayer, object, tuple[int, ...]]]:
        """Each layer after the input: what it becomes, its weights (in nnc's order) and output shape."""
        shape = input_shape(layers[0])
        plan: list[tuple[str, int, KerasLayer, object, tuple[int, ...]]] = []
        for idx, layer in enumerate(layers[1:], start=1):
            if layer.class_name == "Dense":
                kernel = _kernel(layer, 2)
                w = kernel.T  # (post, pre)
                if w.shape[1] != int(np.prod(shape)):
                    raise ModelError(
                        f"ANNtoSNNConverter: the Dense layer {layer.name} has {w.shape[1]} inputs, but the "
                        f"previous layer has {int(np.prod(shape))} neurons"
                    )
                shape = (w.shape[0],)
                plan.append(("dense", idx, layer, w, shape))
            elif layer.class_name == "Conv2D":
                kernel = _kernel(layer, 4)
                if len(shape) != 3 or kernel.shape[2] != shape[2]:
                    raise ModelError(
                        f"ANNtoSNNConverter: the Conv2D layer {layer.name} expects (height, width, "
                        f"{kernel.shape[2]}) inputs, the previous layer gives {shape}"
                    )
                shape = (*_conv_shape(layer, shape, kernel.shape[:2]), kernel.shape[3])
                plan.append(("conv", idx, layer, np.moveaxis(kernel, -1, 0), shape))
            elif layer.class_name in _POOLING:
                if len(shape) != 3:
                    raise ModelError(f"ANNtoSNNConverter: {layer.name} pools a 2D map, not {shape}")
                size = _pair(layer.config.get("pool_size", (2, 2)))
                strides = _pair(layer.config.get("strides") or size)
                same = str(layer.config.get("padding", "valid")).lower() == "same"
                shape = (*_pooled(shape[:2], size, strides, same), shape[2])
                plan.append(("pool", idx, layer, [], shape))
            else:
                plan.append(("skip", idx, layer, None, shape))
        return plan

    def _hidden(self, net: Network, geometry: tuple[int, ...], name: str, idx: int) -> Population:
        pop = net.create(geometry, self._hidden_neuron_model, name=name)
        pop.vt = pop.vt - 0.05 * idx
        return pop

    def _dense_population(
        self, net: Network, layer: KerasLayer, geometry: tuple[int, ...], readout: bool, idx: int
    ) -> Population:
        if not readout:
            return self._hidden(net, geometry, layer.name, idx)
        neuron, stop = self._hidden_neuron_model, None
        if self._read_out == "membrane_potential":
            neuron = IaF_Acc
        elif self._read_out == "time_to_first_spike":
            neuron, stop = IaF, "spiked: any"
        elif self._read_out == "time_to_k_spikes":
            neuron, stop = IaF_TTKS, "sc >= k: any"
        return net.create(geometry, neuron, name=layer.name, stop_condition=stop)

    def get_annarchy_network(self) -> Network | None:
        """The converted network (None before :meth:`load_keras_model`)."""
        return self._snn_network

    # ------------------------------------------------------------------ prediction
    def predict(
        self, samples: np.ndarray, duration_per_sample: int = 1000, multiple: bool = False
    ) -> list[object]:
        """The predicted class of each sample (``samples[i]``, values in [0, 1], any shape of the input's
        size): the network is reset, the input rates set to ``sample · max_f``, and the network run for
        ``duration_per_sample`` ms (until the read-out's stop condition for the time-to-spike read-outs).
        Ties are broken at random (NumPy's global generator) unless ``multiple`` returns them all."""
        net = self._snn_network
        if net is None or self._monitor is None:
            raise ModelError("ANNtoSNNConverter.predict: load a model first (load_keras_model)")
        pops = net.get_populations()
        inputs, output = pops[0], pops[-1]
        samples = np.asarray(samples, dtype=np.float64)
        predictions: list[object] = []
        for i in range(samples.shape[0]):
            net.reset(populations=True, monitors=True, projections=False)
            sample = samples[i].reshape(-1)
            if sample.size != inputs.size:
                raise ModelError(
                    f"ANNtoSNNConverter.predict: a sample has {sample.size} values, the input layer "
                    f"{inputs.size} neurons"
                )
            inputs.rates = sample.reshape(inputs.geometry) * self._max_f
            if self._read_out == "membrane_potential":
                net.simulate(duration_per_sample)
                v = self._monitor.get("v")
                activity = np.asarray(v[-1]).reshape(-1)
            else:
                if self._read_out in ("time_to_first_spike", "time_to_k_spikes"):
                    net.simulate_until(duration_per_sample, population=output)
                else:
                    net.simulate(duration_per_sample)
                activity = np.zeros(output.size)
                for rank, times in self._monitor.get("spike").items():
                    activity[rank] = len(times)
            prediction = np.argwhere(activity == np.amax(activity)).flatten()
            if multiple:
                predictions.append([int(p) for p in prediction])
            else:
                predictions.append(int(np.random.choice(prediction, 1)[0]))
        return predictions

    def _normalize_weights(
        self, weight_matrices: list[np.ndarray], scale_factor: float | list[float] | None = None
    ) -> list[float]:
        """Model-based normalisation (Diehl et al., 2015): ``scale_factor[l] / max_i Σ_j max(W_ij, 0)``."""
        n = len(weight_matrices)
        if scale_factor is None:
            scales = list(np.arange(2, n + 2, dtype=np.float64))
        elif isinstance(scale_factor, int | float):
            scales = [float(scale_factor)] * n
        elif isinstance(scale_factor, list | tuple | np.ndarray):
            if len(scale_factor) != n:
                raise ModelError(
                    "The length of the scale_factor list must be equal to the number of projections."
                )
            scales = [float(s) for s in scale_factor]
        else:
            raise ValueError("Invalid argument for scale_factor", type(scale_factor))
        factors = []
        for level, w_matrix in enumerate(weight_matrices):
            w = w_matrix.reshape((w_matrix.shape[0], -1))
            max_val = np.sum(w * (w > 0), axis=1).max()
            factors.append(scales[level] / max_val if max_val > 0 else 1.0)
        return factors


def _kernel(layer: KerasLayer, ndim: int) -> np.ndarray:
    if not layer.weights:
        raise ModelError(f"ANNtoSNNConverter: the {layer.class_name} layer {layer.name} has no weights")
    kernel = np.asarray(layer.weights[0], dtype=np.float64)
    if kernel.ndim != ndim:
        raise ModelError(
            f"ANNtoSNNConverter: the kernel of {layer.name} has shape {kernel.shape} "
            f"({ndim} dimensions expected)"
        )
    return kernel


def _pair(value: object) -> tuple[int, int]:
    if isinstance(value, int):
        return value, value
    a, b = value  # type: ignore[misc]
    return int(a), int(b)


def _conv_shape(layer: KerasLayer, shape: tuple[int, ...], kernel: tuple[int, ...]) -> tuple[int, int]:
    strides = _pair(layer.config.get("strides", (1, 1)))
    if _pair(layer.config.get("dilation_rate", (1, 1))) != (1, 1):
        raise NotImplementedError(f"ANNtoSNNConverter: {layer.name}: dilated convolutions are not converted")
    same = str(layer.config.get("padding", "valid")).lower() == "same"
    out = []
    for n, k, s in zip(shape[:2], kernel, strides, strict=True):
        out.append(math.ceil(n / s) if same else (n - k) // s + 1)
    return out[0], out[1]


def _pooled(
    shape: tuple[int, ...], size: tuple[int, int], strides: tuple[int, int], same: bool
) -> tuple[int, int]:
    out = [
        math.ceil(n / s) if same else (n - p) // s + 1 for n, p, s in zip(shape, size, strides, strict=True)
    ]
    return out[0], out[1]
