"""``Spike2RatePopulation`` and ``Rate2SpikePopulation``: a population of the other kind, of the same
geometry, that follows a spiking or a rate-coded population neuron by neuron.

Both are ordinary populations written in the DSL, fed by a hidden one-to-one projection from the
population they convert (created with them, in its network):

* ``Spike2RatePopulation`` receives the spikes of the last steps through a ``DecodingProjection``
  (target ``s2r``; API.md §11): ``sum(s2r)`` is ``1000 · n / (W · dt)`` for ``n`` spikes in the ``W``
  steps before the current one. Its neuron turns that into a rate:

  - ``mode='window'``: ``W = int(window/dt) + 1`` steps (the reference counts the spikes emitted at
    steps ``k-1-int(window/dt) .. k-1``), and ``r += dt · (1000 · n / window / scaling - r) / smooth``;
  - ``mode='isi'``: ``W = 1`` (was there a spike at step ``k-1``?). A spike sets ``isi`` and ``support``
    to the steps since the previous spike; afterwards ``support`` stays while ``k - last <= isi``, grows
    by one step per step while ``k - last <= cut · isi``, and is 10000 steps beyond;
    ``r += dt · (1000 / (scaling · support · dt) - r) / smooth``.

* ``Rate2SpikePopulation`` receives ``pre.r`` through a ``CurrentInjection`` (target ``r2s``): neuron
  ``i`` fires with probability ``scaling · r_i · dt / 1000`` per step (``scaling · r > U(0, 1) · 1000/dt``),
  with an optional refractory period.

The rules are those of the reference's source (ANNarchy 5.0.4.1, ``extensions/hybrid``), whose own
classes no longer build: ``Spike2RatePopulation`` keeps ``r = 0`` there and ``Rate2SpikePopulation``
fails at creation. As every projection, the hidden ones deliver the previous step's spikes and rates.
"""

from __future__ import annotations

from nnc.api.decoding import DecodingProjection
from nnc.api.population import Population
from nnc.api.special_projections import CurrentInjection
from nnc.descriptions.models import Neuron
from nnc.diagnostics import ModelError


def _window_neuron(window: float, steps: int, scaling: float, smooth: float) -> Neuron:
    return Neuron(
        parameters=f"""
            window = {float(window)} : population
            window_steps = {steps} : population
            scaling = {float(scaling)} : population
            smooth = {float(smooth)} : population
        """,
        equations="r = r + dt * (sum(s2r) * window_steps * dt / window / scaling - r) / smooth",
        name="Spike2Rate (window)",
        description="Firing rate over a sliding window of spikes",
    )


def _isi_neuron(cut: float, scaling: float, smooth: float) -> Neuron:
    return Neuron(
        parameters=f"""
            cut = {float(cut)} : population
            scaling = {float(scaling)} : population
            smooth = {float(smooth)} : population
        """,
        equations="""
            now = round(t / dt) : int
            spiked = sum(s2r) > 0.0 : bool
            grown = ite(now - last <= cut * isi, support + 1.0, 10000.0)
            support = ite(spiked, now - 1.0 - last, ite(now - last <= isi, support, grown)) : init = 10000.0
            isi = ite(spiked, now - 1.0 - last, isi) : init = 10000.0
            last = ite(spiked, now - 1, last) : int, init = -10000
            r = r + dt * (1000.0 / scaling / support / dt - r) / smooth
        """,
        name="Spike2Rate (isi)",
        description="Firing rate from the inter-spike interval",
    )


class Spike2RatePopulation(Population):
    """A rate-coded population following a spiking ``population`` (same geometry): ``r`` is its firing
    rate in Hz divided by ``scaling``, low-pass filtered with the time constant ``smooth`` (ms).

    ``mode='window'`` counts the spikes of the last ``window`` ms; ``mode='isi'`` uses the inter-spike
    interval, with ``cut`` the number of intervals after which a silent neuron's rate falls to ~0.
    """

    def __init__(
        self,
        population: Population,
        name: str | None = None,
        mode: str = "window",
        window: float = 100.0,
        scaling: float = 1.0,
        smooth: float = 1.0,
        cut: float = 3.0,
    ):
        if not isinstance(population, Population) or not population.is_spiking:
            raise ModelError(
                f"the population {getattr(population, 'name', population)} must contain spiking neurons."
            )
        if mode == "adaptive":
            raise NotImplementedError(
                "Spike2RatePopulation: mode='adaptive' is a development version in the reference (it prints "
                "its window every step) and is not built; use 'window' or 'isi'"
            )
        if mode not in ("window", "isi"):
            raise ModelError(f"Spike2RatePopulation: Unknown method {mode}")
        net = population.network
        dt = net.dt
        if mode == "window":
            if window < dt:
                raise ModelError(
                    f"Spike2RatePopulation: the window ({window} ms) must be at least dt ({dt} ms)"
                )
            steps = int(window / dt) + 1
            neuron = _window_neuron(window, steps, scaling, smooth)
        else:
            steps = 1
            neuron = _isi_neuron(cut, scaling, smooth)
        super().__init__(population.geometry, neuron, name=name, network=net)
        d = self.__dict__
        d["population"], d["mode"] = population, mode
        spikes = DecodingProjection(population, self, "s2r", window=steps * dt)
        spikes.__dict__["_window_steps"] = steps  # exactly, whatever the rounding of steps * dt / dt
        net.connect(spikes)
        spikes.one_to_one(weights=1.0)
        d["_decoding"] = spikes


class Rate2SpikePopulation(Population):
    """A spiking population following a rate-coded ``population`` (same geometry): neuron ``i`` fires as
    a Poisson neuron of rate ``scaling · r_i`` Hz, with an optional ``refractory`` period (ms)."""

    def __init__(
        self,
        population: Population,
        name: str | None = None,
        scaling: float = 1.0,
        refractory: float | None = None,
    ):
        if not isinstance(population, Population) or population.is_spiking:
            raise ModelError(
                f"the population {getattr(population, 'name', population)} must contain rate-coded neurons."
            )
        neuron = Neuron(
            parameters=f"scaling = {float(scaling)} : population",
            equations="""
                rates = g_r2s * scaling
                p = Uniform(0.0, 1.0) * 1000.0 / dt
            """,
            spike="rates > p",
            reset="",
            refractory=refractory,
            name="Rate2Spike",
            description="Poisson spikes at the rates of a rate-coded population",
        )
        net = population.network
        super().__init__(population.geometry, neuron, name=name, network=net)
        self.__dict__["population"] = population
        rates = CurrentInjection(population, self, "r2s")
        net.connect(rates)
        rates.connect_current()
        self.__dict__["_injection"] = rates
