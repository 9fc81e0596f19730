"""Small utilities of the reference's top-level namespace (``ann.timeit``)."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def timeit(func: Callable[..., T]) -> Callable[..., T]:
    """Decorator printing the wall time of each call of ``func``, as the reference's ``ann.timeit``::

    @ann.timeit
    def run(net, T):
        net.simulate(T)
    """

    @functools.wraps(func)
    def timed(*args: object, **kwargs: object) -> T:
        start = time.perf_counter()
        result = func(*args, **kwargs)
        print(f"Function {func.__name__}{args} {kwargs} took {time.perf_counter() - start:.4f} seconds")
        return result

    return timed
