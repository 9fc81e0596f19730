"""Connector methods of ``Projection`` (API.md §7.2): validated when called, run at compile.

A connector call records a :class:`Connector`; the network runs it at compile, in projection creation
order, so that random connectors consume ``net.default_rng`` in the reference's order (SEMANTICS.md §11
step 2). Calling a second connector warns and replaces the first.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from nnc.api import loaders, patterns
from nnc.api.config import FORMAT_HINTS
from nnc.api.lil import LILConnectivity
from nnc.api.patterns import ConnectContext, Value, check_values
from nnc.diagnostics import ModelError
from nnc.ir.types import Format
from nnc.runtime.connectivity import Connectivity

#: ``storage_format`` names (API.md §3) → format-selection hint (None: automatic): the network-wide table.
STORAGE_FORMATS = FORMAT_HINTS
STORAGE_ORDERS = ("post_to_pre", "pre_to_post", "auto")


@dataclass(frozen=True, slots=True)
class Connector:
    """A recorded connector call: ``build(ctx)`` makes the connectivity at compile.

    ``single_weight``: the weights argument was a number and ``force_multiple_weights`` was False
    (one half of the single-weight rule of API.md §7.1).
    """

    name: str
    build: Callable[[ConnectContext], Connectivity] = field(compare=False)
    single_weight: bool = False
    format_hint: Format | None = None
    storage_order: str | None = None
    storage_format: str | None = None
    description: str = ""  # the pattern and its arguments, for report()


def describe_value(value: object) -> str:
    """A weight or delay argument as the model report writes it (a distribution in LaTeX)."""
    latex = getattr(value, "latex", None)
    return latex() if callable(latex) else str(value)


def storage_hint(storage_format: str | None, storage_order: str | None) -> Format | None:
    """Validate the per-projection hints; return the format hint (None: the network's default)."""
    if storage_format is not None and storage_format not in STORAGE_FORMATS:
        raise ModelError(
            f"unknown storage_format {storage_format!r}; expected one of {', '.join(STORAGE_FORMATS)}"
        )
    if storage_order is not None and storage_order not in STORAGE_ORDERS:
        raise ModelError(
            f"unknown storage_order {storage_order!r}; expected one of {', '.join(STORAGE_ORDERS)}"
        )
    return None if storage_format is None else STORAGE_FORMATS[storage_format]


def _single(weights: object, force_multiple_weights: bool) -> bool:
    return isinstance(weights, (int, float)) and not force_multiple_weights


class ConnectorMethods:
    """The connector methods; the user class provides ``_set_connector``, ``pre``, ``post``, ``_warn``."""

    def _set_connector(self, connector: Connector) -> None:
        raise NotImplementedError

    def _record(
        self,
        name: str,
        build: Callable[[ConnectContext], Connectivity],
        single: bool,
        hints: tuple[str | None, str | None],
        description: str = "",
    ) -> ConnectorMethods:
        connector = Connector(name, build, single, storage_hint(*hints), hints[1], hints[0], description)
        self._set_connector(connector)
        return self

    def all_to_all(
        self,
        weights: Value,
        delays: Value = 0.0,
        allow_self_connections: bool = False,
        force_multiple_weights: bool = False,
        storage_format: str | None = None,
        storage_order: str | None = None,
    ) -> ConnectorMethods:
        """Every pre-synaptic neuron to every post-synaptic neuron."""
        check_values(weights, delays)
        build = functools.partial(
            patterns.all_to_all, weights=weights, delays=delays, allow_self_connections=allow_self_connections
        )
        return self._record(
            "all_to_all",
            build,
            _single(weights, force_multiple_weights),
            (storage_format, storage_order),
            f"All-to-All, weights {describe_value(weights)}, delays {describe_value(delays)}",
        )

    def one_to_one(
        self,
        weights: Value = 1.0,
        delays: Value = 0.0,
        force_multiple_weights: bool = False,
        storage_format: str | None = None,
        storage_order: str | None = None,
    ) -> ConnectorMethods:
        """Neuron i of pre to neuron i of post."""
        check_values(weights, delays)
        if storage_format == "dense":
            raise ModelError("the 'dense' storage format is not allowed with the one_to_one pattern")
        if self.pre.size != self.post.size:  # type: ignore[attr-defined]
            self._warn(f"one_to_one(): {self.pre.name} and {self.post.name} have different sizes")  # type: ignore[attr-defined]
        build = functools.partial(patterns.one_to_one, weights=weights, delays=delays)
        return self._record(
            "one_to_one",
            build,
            _single(weights, force_multiple_weights),
            (storage_format, storage_order),
            f"One-to-One, weights {describe_value(weights)}, delays {describe_value(delays)}",
        )

    def fixed_probability(
        self,
        probability: float,
        weights: Value,
        delays: Value = 0.0,
        allow_self_connections: bool = False,
        force_multiple_weights: bool = False,
        storage_format: str | None = None,
        storage_order: str | None = None,
    ) -> ConnectorMethods:
        """Each pair connected with ``probability`` (one uniform draw per pair, post neuron by post)."""
        check_values(weights, delays)
        build = functools.partial(
            patterns.fixed_probability,
            probability=float(probability),
            weights=weights,
            delays=delays,
            allow_self_connections=allow_self_connections,
        )
        return self._record(
            "fixed_probability",
            build,
            _single(weights, force_multiple_weights),
            (storage_format, storage_order),
            f"Random, sparseness {probability}, weights {describe_value(weights)}, "
            f"delays {describe_value(delays)}",
        )

    def fixed_number_pre(
        self,
        number: int,
        weights: Value,
        delays: Value = 0.0,
        allow_self_connections: bool = False,
        force_multiple_weights: bool = False,
        storage_format: str | None = None,
        storage_order: str | None = None,
    ) -> ConnectorMethods:
        """Each post-synaptic neuron receives ``number`` random pre-synaptic neurons."""
        check_values(weights, delays)
        if number > self.pre.size:  # type: ignore[attr-defined]
            raise ModelError(
                "fixed_number_pre: the number of pre-synaptic neurons exceeds the population size"
            )
        build = functools.partial(
            patterns.fixed_number_pre,
            number=int(number),
            weights=weights,
            delays=delays,
            allow_self_connections=allow_self_connections,
        )
        return self._record(
            "fixed_number_pre",
            build,
            _single(weights, force_multiple_weights),
            (storage_format, storage_order),
            f"Random Convergent {number} $\\rightarrow$ 1, weights {describe_value(weights)}, "
            f"delays {describe_value(delays)}",
        )

    def fixed_number_post(
        self,
        number: int,
        weights: Value = 1.0,
        delays: Value = 0.0,
        allow_self_connections: bool = False,
        force_multiple_weights: bool = False,
        storage_format: str | None = None,
        storage_order: str | None = None,
    ) -> ConnectorMethods:
        """Each pre-synaptic neuron sends ``number`` random connections."""
        check_values(weights, delays)
        if number > self.post.size:  # type: ignore[attr-defined]
            raise ModelError(
                "fixed_number_post: the number of post-synaptic neurons exceeds the population size"
            )
        build = functools.partial(
            patterns.fixed_number_post,
            number=int(number),
            weights=weights,
            delays=delays,
            allow_self_connections=allow_self_connections,
        )
        return self._record(
            "fixed_number_post",
            build,
            _single(weights, force_multiple_weights),
            (storage_format, storage_order),
            f"Random Divergent 1 $\\rightarrow$ {number}, weights {describe_value(weights)}, "
            f"delays {describe_value(delays)}",
        )

    def gaussian(
        self,
        amp: float,
        sigma: float,
        delays: Value = 0.0,
        limit: float = 0.01,
        allow_self_connections: bool = False,
        storage_format: str | None = None,
    ) -> ConnectorMethods:
        """Gaussian profile around the post neuron's normalised position (whole populations only)."""
        check_values(0.0, delays)
        _whole_populations(self, "gaussian")
        build = functools.partial(
            patterns.gaussian,
            amp=amp,
            sigma=sigma,
            delays=delays,
            limit=limit,
            allow_self_connections=allow_self_connections,
        )
        text = f"Gaussian, amplitude {amp}, sigma {sigma}, delays {describe_value(delays)}"
        return self._record("gaussian", build, False, (storage_format, None), text)

    def dog(
        self,
        amp_pos: float,
        sigma_pos: float,
        amp_neg: float,
        sigma_neg: float,
        delays: Value = 0.0,
        limit: float = 0.01,
        allow_self_connections: bool = False,
        storage_format: str | None = None,
    ) -> ConnectorMethods:
        """Difference-of-Gaussians profile (whole populations only)."""
        check_values(0.0, delays)
        _whole_populations(self, "dog")
        build = functools.partial(
            patterns.dog,
            amps=(amp_pos, amp_neg),
            sigmas=(sigma_pos, sigma_neg),
            delays=delays,
            limit=limit,
            allow_self_connections=allow_self_connections,
        )
        text = (
            f"Difference-of-Gaussian, A+ {amp_pos}, sigma+ {sigma_pos}, A- {amp_neg}, sigma- {sigma_neg}, "
            f"delays {describe_value(delays)}"
        )
        return self._record("dog", build, False, (storage_format, None), text)

    def from_matrix(
        self,
        weights: object,
        delays: object = 0.0,
        pre_post: bool = False,
        storage_format: str | None = None,
        storage_order: str | None = None,
    ) -> ConnectorMethods:
        """A dense (post, pre) matrix (``pre_post``: (pre, post)); None/NaN: no synapse, 0.0: a synapse."""
        w, d = _matrix(weights, "weights"), None
        if not isinstance(delays, (int, float)) or isinstance(delays, bool):
            d = _matrix(delays, "delays")
        if pre_post:
            w, d = w.T, None if d is None else d.T
        expected = (self.post.size, self.pre.size)  # type: ignore[attr-defined]
        for what, m in (("weights", w), ("delays", d)):
            if m is not None and m.shape != expected:
                shape = m.shape[::-1] if pre_post else m.shape
                want = expected[::-1] if pre_post else expected
                raise ModelError(f"from_matrix(): the {what} matrix has shape {shape}, expected {want}")
        build = functools.partial(loaders.from_matrix, weights=w, delays=delays if d is None else d)
        return self._record(
            "from_matrix", build, False, (storage_format, storage_order), "Connectivity matrix"
        )

    def from_sparse(
        self,
        weights: object,
        delays: float = 0.0,
        storage_format: str | None = None,
        storage_order: str | None = None,
    ) -> ConnectorMethods:
        """A scipy lil/csr/csc matrix of shape (pre, post); its stored entries become synapses."""
        from scipy import sparse

        if not isinstance(
            weights,
            (
                sparse.lil_matrix,
                sparse.csr_matrix,
                sparse.csc_matrix,
                sparse.lil_array,
                sparse.csr_array,
                sparse.csc_array,
            ),
        ):
            raise ModelError("from_sparse(): only scipy lil, csr and csc matrices are allowed")
        if not isinstance(delays, (int, float)) or isinstance(delays, bool):
            raise ModelError("from_sparse(): only constant delays are allowed for sparse matrices")
        expected = (self.pre.size, self.post.size)  # type: ignore[attr-defined]
        if weights.shape != expected:
            raise ModelError(
                f"from_sparse(): the matrix has shape {weights.shape}, expected (pre, post) {expected}"
            )
        csc = sparse.csc_matrix(weights)
        csc.sort_indices()
        build = functools.partial(loaders.from_sparse, matrix=csc, delays=float(delays))
        return self._record(
            "from_sparse", build, False, (storage_format, storage_order), "Sparse connectivity matrix"
        )

    def from_function(
        self,
        method: Callable[..., LILConnectivity],
        storage_format: str | None = None,
        storage_order: str | None = None,
        **args: object,
    ) -> ConnectorMethods:
        """``method(pre, post, dt, **args)`` returns a :class:`LILConnectivity` (called at compile)."""
        storage_hint(storage_format, storage_order)

        def build(ctx: ConnectContext) -> Connectivity:
            lil = method(ctx.pre, ctx.post, ctx.dt, **args)
            if not isinstance(lil, LILConnectivity):
                raise ModelError(
                    f"from_function(): {getattr(method, '__name__', method)} must return a "
                    f"LILConnectivity, got {type(lil).__name__}"
                )
            return lil.connectivity(*ctx.sizes)

        text = f"Created by the method {getattr(method, '__name__', method)}"
        return self._record("from_function", build, False, (storage_format, storage_order), text)

    def from_file(
        self,
        filename: str,
        pickle_encoding: str | None = None,
        storage_format: str | None = None,
        storage_order: str | None = None,
    ) -> ConnectorMethods:
        """Ranks, weights and delays saved by ``save_connectivity()``."""
        from nnc.api.projection_data import load_connectivity_file

        data = load_connectivity_file(filename, pickle_encoding)
        single = np.ndim(data["w"]) == 0 or (
            isinstance(data["w"], np.ndarray) and data["w"].size == 1 and data["w"].dtype != object
        )
        build = functools.partial(loaders.from_saved, data=data)
        return self._record("from_file", build, single, (storage_format, storage_order), "From File")

    def from_matrix_market(
        self, filename: str, storage_format: str | None = None, storage_order: str | None = None
    ) -> ConnectorMethods:
        """A Matrix Market ``.mtx`` weight matrix, rows = post-synaptic neurons."""
        if not str(filename).endswith(".mtx"):
            raise ModelError("from_matrix_market(): expected a .mtx file")
        if not os.path.isfile(filename):
            raise ModelError(f"from_matrix_market(): no file {filename!r}")
        build = functools.partial(loaders.from_matrix_market, filename=str(filename))
        return self._record(
            "from_matrix_market",
            build,
            False,
            (storage_format, storage_order),
            "A weight matrix loaded from a .mtx file",
        )

    connect_all_to_all = all_to_all
    connect_one_to_one = one_to_one
    connect_fixed_probability = fixed_probability
    connect_fixed_number_pre = fixed_number_pre
    connect_fixed_number_post = fixed_number_post
    connect_gaussian = gaussian
    connect_dog = dog
    connect_with_func = from_function
    connect_from_matrix = from_matrix
    connect_from_sparse = from_sparse
    connect_from_file = from_file
    connect_from_matrix_market = from_matrix_market


def _whole_populations(proj: object, name: str) -> None:
    for obj in (proj.pre, proj.post):  # type: ignore[attr-defined]
        if obj.population is not obj:
            raise ModelError(
                f"the {name} connector is only possible on whole populations, not PopulationViews"
            )


def _matrix(values: object, what: str) -> np.ndarray:
    try:
        m = np.array(values, dtype=object) if not isinstance(values, np.ndarray) else values
    except ValueError:
        raise ModelError(f"from_matrix(): the {what} must be a dense 2-D matrix") from None
    if m.ndim != 2:
        raise ModelError(f"from_matrix(): the {what} must be a dense 2-D matrix")
    return m


__all__ = ["STORAGE_FORMATS", "Connector", "ConnectorMethods", "storage_hint"]
