"""Python-side random distributions (API.md §8): sampled by NumPy for weights, delays and initial values.

As in the reference, a distribution without ``rng`` uses a fresh unseeded generator. nnc's network code
passes its own seeded generator where the reference would use an unseeded one (see
:meth:`RandomDistribution.get_values` ``rng`` argument), so results follow the network seed.
"""

from __future__ import annotations

import numpy as np

from nnc.diagnostics import ModelError


class RandomDistribution:
    """Base class: ``get_values(shape)`` draws, then clamps to ``[min, max]`` where given."""

    #: names of the constructor's distribution arguments, in order (used by keywords() and the DSL)
    _args: tuple[str, ...] = ()
    #: the symbol of the distribution in ``latex()``
    _latex = "?"

    def __init__(
        self, rng: np.random.Generator | None = None, min: float | None = None, max: float | None = None
    ):
        self.rng = rng
        self.min = min
        self.max = max

    @property
    def seeded(self) -> bool:
        """Whether the user gave a generator (then nnc never substitutes its own)."""
        return self.rng is not None

    def _generator(self, rng: np.random.Generator | None) -> np.random.Generator:
        if self.rng is not None:
            return self.rng
        if rng is not None:
            return rng
        return np.random.default_rng()

    def _draw(self, gen: np.random.Generator, shape: int | tuple[int, ...]) -> np.ndarray:
        raise NotImplementedError

    def get_values(self, shape: int | tuple[int, ...], rng: np.random.Generator | None = None) -> np.ndarray:
        """``shape`` samples; ``rng`` is the fallback generator when the distribution has none."""
        values = self._draw(self._generator(rng), shape)
        if self.min is not None or self.max is not None:
            values = np.clip(values, self.min, self.max)
        return values

    def get_value(self) -> float:
        """One sample."""
        return float(self.get_values(1)[0])

    def get_list_values(self, size: int) -> list[float]:
        """``size`` samples as a list."""
        return list(self.get_values(size))

    def keywords(self) -> dict[str, float]:
        """The distribution's arguments by name."""
        return {name: getattr(self, name) for name in self._args}

    def latex(self) -> str:
        """The reference's LaTeX rendering of the distribution, e.g. ``$\\mathcal{U}$(0.0, 1.0)``."""
        args = ", ".join(str(v) for v in self.keywords().values())
        return f"${self._latex}$({args})"

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.keywords().items())
        return f"{type(self).__name__}({args})"


class Uniform(RandomDistribution):
    """Uniform real values in ``[min, max)``."""

    _args = ("min", "max")
    _latex = "\\mathcal{U}"

    def __init__(self, min: float, max: float, rng: np.random.Generator | None = None):
        if min >= max:
            raise ModelError(f"Uniform: min ({min}) must be smaller than max ({max})")
        super().__init__(rng, min, max)

    def get_values(self, shape: int | tuple[int, ...], rng: np.random.Generator | None = None) -> np.ndarray:
        return self._generator(rng).uniform(self.min, self.max, shape)


class DiscreteUniform(RandomDistribution):
    """Uniform integers in ``[min, max]`` (inclusive)."""

    _args = ("min", "max")
    _latex = "\\mathcal{U}"

    def __init__(self, min: int, max: int, rng: np.random.Generator | None = None):
        if min >= max:
            raise ModelError(f"DiscreteUniform: min ({min}) must be smaller than max ({max})")
        super().__init__(rng, min, max)

    def get_values(self, shape: int | tuple[int, ...], rng: np.random.Generator | None = None) -> np.ndarray:
        return self._generator(rng).integers(self.min, self.max + 1, shape)


class Normal(RandomDistribution):
    """Gaussian ``(mu, sigma)``, clamped to ``[min, max]`` where given."""

    _args = ("mu", "sigma")
    _latex = "\\mathcal{N}"

    def __init__(
        self,
        mu: float,
        sigma: float,
        min: float | None = None,
        max: float | None = None,
        rng: np.random.Generator | None = None,
    ):
        if sigma < 0:
            raise ModelError(f"Normal: sigma must be positive, got {sigma}")
        super().__init__(rng, min, max)
        self.mu, self.sigma = mu, sigma

    def _draw(self, gen: np.random.Generator, shape: int | tuple[int, ...]) -> np.ndarray:
        return gen.normal(self.mu, self.sigma, shape)


class LogNormal(RandomDistribution):
    """``exp(Normal(mu, sigma))``, clamped."""

    _args = ("mu", "sigma")
    _latex = "\\ln\\mathcal{N}"

    def __init__(
        self,
        mu: float,
        sigma: float,
        min: float | None = None,
        max: float | None = None,
        rng: np.random.Generator | None = None,
    ):
        if sigma < 0:
            raise ModelError(f"LogNormal: sigma must be positive, got {sigma}")
        super().__init__(rng, min, max)
        self.mu, self.sigma = mu, sigma

    def _draw(self, gen: np.random.Generator, shape: int | tuple[int, ...]) -> np.ndarray:
        return gen.lognormal(self.mu, self.sigma, shape)


class Exponential(RandomDistribution):
    """NumPy's exponential with *scale* ``Lambda`` (the reference's Python-side meaning, API.md §8)."""

    _args = ("Lambda",)
    _latex = "\\exp"

    def __init__(
        self,
        Lambda: float,  # noqa: N803 (the reference's keyword)
        min: float | None = None,
        max: float | None = None,
        rng: np.random.Generator | None = None,
    ):
        if Lambda < 0:
            raise ModelError(f"Exponential: Lambda must be positive, got {Lambda}")
        super().__init__(rng, min, max)
        self.Lambda = Lambda

    def _draw(self, gen: np.random.Generator, shape: int | tuple[int, ...]) -> np.ndarray:
        return gen.exponential(self.Lambda, shape)


class Gamma(RandomDistribution):
    """Gamma with shape ``alpha`` and scale ``beta``, clamped."""

    _args = ("alpha", "beta")
    _latex = "\\Gamma"

    def __init__(
        self,
        alpha: float,
        beta: float = 1.0,
        min: float | None = None,
        max: float | None = None,
        rng: np.random.Generator | None = None,
    ):
        super().__init__(rng, min, max)
        self.alpha, self.beta = alpha, beta

    def _draw(self, gen: np.random.Generator, shape: int | tuple[int, ...]) -> np.ndarray:
        return gen.gamma(self.alpha, self.beta, shape)


class Binomial(RandomDistribution):
    """Number of successes in ``n`` trials of probability ``p``."""

    _args = ("n", "p")
    _latex = "\\mathcal{B}"

    def __init__(self, n: int, p: float, rng: np.random.Generator | None = None):
        super().__init__(rng)
        self.n, self.p = n, p

    def get_values(self, shape: int | tuple[int, ...], rng: np.random.Generator | None = None) -> np.ndarray:
        return self._generator(rng).binomial(self.n, self.p, shape)


#: DSL name -> class, for ``init=Uniform(0, 1)`` flags
DISTRIBUTIONS: dict[str, type[RandomDistribution]] = {
    cls.__name__: cls for cls in (Uniform, DiscreteUniform, Normal, LogNormal, Exponential, Gamma, Binomial)
}
