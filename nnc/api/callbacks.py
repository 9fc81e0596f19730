"""``@every`` (API.md §15): periodic Python callbacks run between steps of ``simulate()``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from nnc.runtime.scheduler import CallbackTiming

if TYPE_CHECKING:
    from nnc.api.network import Network


class every:  # noqa: N801 - the reference's name
    """Decorator registering ``f(n)`` to run every ``period`` ms (after ``offset`` and ``wait``) on a network.

    The callback runs before the step it is due at; ``n`` counts its calls within one ``simulate()``.
    """

    def __init__(
        self,
        network: Network | None = None,
        period: float = 1.0,
        offset: float = 0.0,
        wait: float = 0.0,
        net_id: int = 0,
    ):
        from nnc.api.network import network_by_id

        self.network = network if network is not None else network_by_id(net_id)
        self.timing = CallbackTiming(period, offset, wait)
        self.func: Callable[[int], object] | None = None

    def __call__(self, f: Callable[[int], object]) -> Callable[[int], object]:
        self.func = f
        self.network._add_callback(self.timing, f)
        return f
