"""Hybrid networks: ``Spike2RatePopulation`` (spikes to rates) and ``Rate2SpikePopulation`` (rates to
Poisson spikes), each following another population neuron by neuron.

Import them as scripts written for the reference do (``from ANNarchy.extensions.hybrid import
Spike2RatePopulation`` becomes ``from nnc.extensions.hybrid import Spike2RatePopulation``).
"""

from nnc.extensions.hybrid.populations import Rate2SpikePopulation, Spike2RatePopulation

__all__ = ["Rate2SpikePopulation", "Spike2RatePopulation"]
