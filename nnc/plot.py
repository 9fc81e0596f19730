"""Plotting recorded data and projections with matplotlib (the optional extra ``plot``).

Each function takes a :class:`~nnc.Monitor` or a :class:`~nnc.Projection` of a compiled network, draws
into ``ax`` (a new figure when it is None) and returns the matplotlib ``Axes``:

* :func:`raster` -- the spikes of a spike monitor, with the population rate in an axes under them;
* :func:`traces` -- recorded variables against time in ms;
* :func:`weights` -- the weight matrix of a projection (post rows, pre columns);
* :func:`receptive_fields` -- each post neuron's weights laid out in the pre population's geometry;
* :func:`connectivity` -- which pre neuron connects to which post neuron, with the in-degrees.

Monitor data are read with ``keep=True`` (the monitor still holds them afterwards); a script that has
already taken the data with ``get()`` passes them as ``spikes=`` or ``data=``. matplotlib is imported
only when a function is called: ``import nnc`` never needs it, and a missing matplotlib raises an error
naming the extra (``pip install 'nnc-sim[plot]'``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from nnc.diagnostics import SimulationError
from nnc.optional import require

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from nnc.api.monitor import Monitor
    from nnc.api.projection import Projection

__all__ = ["connectivity", "raster", "receptive_fields", "traces", "weights"]


def _pyplot():
    require("matplotlib", "plot", "nnc.plot")
    import matplotlib.pyplot as plt

    return plt


def _axes(ax: Axes | None) -> Axes:
    return _pyplot().subplots()[1] if ax is None else ax


def _whole(pop: object) -> object:
    """The population of a view, or the population itself."""
    return getattr(pop, "population", pop)


def _dt(monitor: Monitor) -> float:
    return float(monitor._network.dt)


def raster(
    monitor: Monitor,
    spikes: dict[int, list[int]] | None = None,
    ax: Axes | None = None,
    rate: bool = True,
    bin_ms: float | None = None,
    ranks: slice | None = None,
    markersize: float = 1.0,
    color: str = "k",
) -> Axes:
    """Raster plot of a spike monitor, with the population rate (Hz) in an axes below it.

    ``spikes`` defaults to ``monitor.get('spike', keep=True)``. The rate is the spike count of every
    recorded neuron in bins of ``bin_ms`` (default: 5 ms, at least one step) divided by the number of
    recorded neurons and the bin length. ``ranks`` keeps a slice of the neurons (e.g. ``slice(0, 200)``)
    for the dots; the rate always counts every recorded neuron. The returned raster Axes has the rate
    Axes as ``rate_axes`` (None when ``rate=False``).
    """
    data = monitor.get("spike", keep=True) if spikes is None else spikes
    if not isinstance(data, dict):
        raise SimulationError("nnc.plot.raster: expected the spikes of a spike monitor ({rank: [steps]})")
    dt = _dt(monitor)
    ax = _axes(ax)
    shown = sorted(data)[ranks] if ranks is not None else sorted(data)
    steps = [np.asarray(data[r], dtype=np.int64) for r in shown]
    times = np.concatenate(steps) * dt if steps else np.zeros(0)
    ys = np.concatenate([np.full(len(s), r) for r, s in zip(shown, steps, strict=True)]) if steps else times
    ax.plot(times, ys, ".", color=color, markersize=markersize, rasterized=len(times) > 20000)
    ax.set_ylabel("neuron rank")
    ax.set_xlim(*_window(monitor, data, dt))
    ax.rate_axes = None  # type: ignore[attr-defined]
    if rate:
        from mpl_toolkits.axes_grid1 import make_axes_locatable

        below = make_axes_locatable(ax).append_axes("bottom", size="35%", pad=0.08, sharex=ax)
        centres, hz = population_rate(data, dt, bin_ms, _window(monitor, data, dt))
        below.plot(centres, hz, color=color, linewidth=1.0)
        below.set_ylabel("rate (Hz)")
        below.set_xlabel("time (ms)")
        below.set_ylim(bottom=0.0)
        ax.tick_params(labelbottom=False)
        ax.rate_axes = below  # type: ignore[attr-defined]
    else:
        ax.set_xlabel("time (ms)")
    return ax


def _window(monitor: Monitor, data: dict[int, list[int]], dt: float) -> tuple[float, float]:
    """Start and end (ms) of the last recording segment, else the span of the spikes."""
    times = monitor.times("spike").get("spike", {}) if "spike" in monitor.variables else {}
    start, stop = times.get("start") or [], times.get("stop") or []
    if start and stop and stop[-1] is not None and stop[-1] > start[-1]:
        return start[-1] * dt, stop[-1] * dt
    nonempty = [s for s in data.values() if len(s)]
    if not nonempty:
        return 0.0, dt
    return min(min(s) for s in nonempty) * dt, (max(max(s) for s in nonempty) + 1) * dt


def population_rate(
    spikes: dict[int, list[int]], dt: float, bin_ms: float | None, window: tuple[float, float]
) -> tuple[np.ndarray, np.ndarray]:
    """``(bin centres in ms, rate in Hz)`` of all neurons of ``spikes`` in bins of ``bin_ms``."""
    width = max(1, round((bin_ms if bin_ms is not None else 5.0) / dt))
    first, last = round(window[0] / dt), max(round(window[1] / dt), round(window[0] / dt) + 1)
    nbins = max(1, -(-(last - first) // width))
    counts = np.zeros(nbins)
    for s in spikes.values():
        idx = (np.asarray(s, dtype=np.int64) - first) // width
        idx = idx[(idx >= 0) & (idx < nbins)]
        np.add.at(counts, idx, 1.0)
    n = max(1, len(spikes))
    centres = (first + (np.arange(nbins) + 0.5) * width) * dt
    return centres, counts / n / (width * dt / 1000.0)


def traces(
    monitor: Monitor,
    variables: str | list[str] | None = None,
    data: dict[str, np.ndarray] | np.ndarray | None = None,
    ax: Axes | None = None,
    neurons: list[int] | slice | None = None,
    unit: str = "ms",
) -> Axes:
    """Recorded variables of ``monitor`` against time (``unit`` ``'ms'`` or ``'s'``).

    One line per recorded neuron (flat rank order, ``neurons`` selects some) and variable; the time of
    sample ``i`` is ``(start + i * period)`` of the monitor's last recording segment. ``data`` (an array
    for one variable, or a dict) replaces ``monitor.get(variables, keep=True)``.
    """
    names = (
        monitor.variables if variables is None else [variables] if isinstance(variables, str) else variables
    )
    names = [v for v in names if v not in ("spike", "axon_spike")]
    if not names:
        raise SimulationError("nnc.plot.traces: no recorded variable to draw (spikes: use nnc.plot.raster)")
    if data is None:
        got = monitor.get(names, keep=True, force_dict=True)
    elif isinstance(data, dict):
        got = data
    else:
        got = {names[0]: data}
    ax = _axes(ax)
    dt, scale = _dt(monitor), {"ms": 1.0, "s": 1e-3}[unit]
    start = (monitor.times(names[0])[names[0]].get("start") or [0])[-1]
    for name in names:
        values = np.asarray(got[name], dtype=float)
        flat = values.reshape(values.shape[0], -1)
        cols = np.arange(flat.shape[1])[neurons] if neurons is not None else np.arange(flat.shape[1])
        t = (start * dt + np.arange(flat.shape[0]) * monitor.period) * scale
        for c in np.atleast_1d(cols):
            label = name if flat.shape[1] == 1 else f"{name}[{c}]"
            ax.plot(t, flat[:, c], linewidth=1.0, label=label)
    ax.set_xlabel(f"time ({unit})")
    ax.set_ylabel(", ".join(names))
    if sum(1 for _ in ax.get_lines()) <= 10:
        ax.legend(loc="best", fontsize="small")
    return ax


def weights(
    projection: Projection, variable: str = "w", ax: Axes | None = None, cmap: str = "viridis"
) -> Axes:
    """The ``(post, pre)`` matrix of a synaptic variable; blank where there is no synapse."""
    ax = _axes(ax)
    matrix = _matrix(projection, variable)
    image = ax.imshow(np.ma.masked_invalid(matrix), aspect="auto", interpolation="nearest", cmap=cmap)
    ax.figure.colorbar(image, ax=ax, label=variable)
    ax.set_xlabel(f"pre-synaptic rank ({projection.pre.name})")
    ax.set_ylabel(f"post-synaptic rank ({projection.post.name})")
    return ax


def _matrix(projection: Projection, variable: str) -> np.ndarray:
    """Dense ``(post size, pre size)`` values of ``variable``, NaN where there is no synapse."""
    if variable == "w":
        return projection.connectivity_matrix(fill=np.nan)
    n_post, n_pre = _whole(projection.post).size, _whole(projection.pre).size
    matrix = np.full((n_post, n_pre), np.nan)
    values = projection.get(variable)
    for post, pre, row in zip(projection.post_ranks, projection.pre_ranks, values, strict=True):  # type: ignore[arg-type]
        matrix[post, pre] = row
    return matrix


def receptive_fields(
    projection: Projection, variable: str = "w", ax: Axes | None = None, cmap: str = "viridis"
) -> Axes:
    """Each post neuron's ``variable`` over the 2-D pre population, tiled like the post population.

    Uses :meth:`Projection.receptive_fields`; white lines separate the tiles.
    """
    ax = _axes(ax)
    tiled = projection.receptive_fields(variable)
    pre_h, pre_w = projection.pre.geometry[0], projection.pre.geometry[1]
    image = ax.imshow(tiled, interpolation="nearest", cmap=cmap)
    ax.figure.colorbar(image, ax=ax, label=variable)
    for y in np.arange(pre_h, tiled.shape[0], pre_h):
        ax.axhline(y - 0.5, color="w", linewidth=0.8)
    for x in np.arange(pre_w, tiled.shape[1], pre_w):
        ax.axvline(x - 0.5, color="w", linewidth=0.8)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(f"receptive fields of {projection.name} ({projection.post.name})")
    return ax


def connectivity(projection: Projection, ax: Axes | None = None, markersize: float | None = None) -> Axes:
    """A dot for each synapse (pre rank across, post rank down), with the in-degree of each post neuron.

    The in-degrees are drawn in an axes on the right (``ax.degree_axes``); the title gives the synapse
    count and the mean in-degree.
    """
    from mpl_toolkits.axes_grid1 import make_axes_locatable

    ax = _axes(ax)
    post_ranks = np.asarray(projection.post_ranks, dtype=np.int64)
    rows = projection.pre_ranks or []
    lengths = np.array([len(r) for r in rows], dtype=np.int64)
    pre = np.concatenate([np.asarray(r, dtype=np.int64) for r in rows]) if rows else np.zeros(0, np.int64)
    post = np.repeat(post_ranks, lengths)
    n_pre = _whole(projection.pre).size
    n_post = _whole(projection.post).size
    size = markersize if markersize is not None else float(np.clip(300.0 / max(n_pre, n_post), 0.2, 4.0))
    ax.plot(pre, post, "s", color="k", markersize=size, markeredgewidth=0, rasterized=len(pre) > 20000)
    ax.set_xlim(-0.5, n_pre - 0.5)
    ax.set_ylim(n_post - 0.5, -0.5)
    ax.set_xlabel(f"pre-synaptic rank ({projection.pre.name})")
    ax.set_ylabel(f"post-synaptic rank ({projection.post.name})")
    degree = np.zeros(n_post)
    degree[post_ranks] = lengths
    side = make_axes_locatable(ax).append_axes("right", size="20%", pad=0.08, sharey=ax)
    side.barh(np.arange(n_post), degree, height=1.0, color="0.4")
    side.set_xlabel("in-degree")
    side.tick_params(labelleft=False)
    ax.degree_axes = side  # type: ignore[attr-defined]
    mean = len(pre) / max(1, len(post_ranks))
    ax.set_title(f"{projection.name}: {len(pre)} synapses, {mean:.1f} per post neuron")
    return ax
