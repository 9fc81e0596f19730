"""A projection's data as arrays and files: connectivity matrix, receptive fields, saving (API §7.4, §13)."""

from __future__ import annotations

import math
import sys
from typing import TYPE_CHECKING

import numpy as np

from nnc.backend.abi import StateKey
from nnc.diagnostics import ModelError
from nnc.ir.model import LAST_EVENT
from nnc.ir.types import Locality, ObjKind
from nnc.runtime.connectivity import Connectivity, round_half_even

if TYPE_CHECKING:
    from nnc.api.projection import Projection


def _weights_rows(proj: Projection) -> list[np.ndarray]:
    values = proj._values
    w = values.flat("w")
    conn = proj._conn
    if values.attribute("w").locality is Locality.LOCAL:
        return conn.split(w)
    if values.attribute("w").locality is Locality.SEMIGLOBAL:
        return [np.full(n, w[i]) for i, n in enumerate(conn.row_lengths)]
    return [np.full(n, w[0]) for n in conn.row_lengths]


def connectivity_matrix(proj: Projection, fill: float = 0.0) -> np.ndarray:
    """``(post population size, pre population size)`` weights; ``fill`` where there is no synapse."""
    conn = proj._require_compiled("connectivity_matrix()")
    res = np.full((conn.n_post, conn.n_pre), float(fill))
    rows = np.repeat(conn.post_ranks.astype(np.int64), conn.row_lengths)
    res[rows, conn.pre_ranks] = np.concatenate(_weights_rows(proj)) if conn.n_dendrites else []
    return res


def receptive_fields(proj: Projection, variable: str = "w", in_post_geometry: bool = True) -> np.ndarray:
    """Each post neuron's receptive field (pre geometry) tiled in a grid of the post geometry (or ~square)."""
    conn = proj._require_compiled("receptive_fields()")
    pre, post = proj.pre, proj.post
    if len(pre.geometry) != 2 or (in_post_geometry and len(post.geometry) != 2):
        raise ModelError("receptive_fields() needs 2-D pre-synaptic (and post-synaptic) populations")
    if in_post_geometry:
        height, width = post.geometry
    else:
        width, height = math.floor(math.sqrt(post.size)), math.ceil(math.sqrt(post.size))
    local_of = {int(r): i for i, r in enumerate(np.asarray(post.ranks).tolist())}
    pre_index = {int(r): i for i, r in enumerate(np.asarray(pre.ranks).tolist())}
    ph, pw = pre.geometry
    res = np.zeros((height * ph, width * pw))
    for y in range(height):
        for x in range(width):
            local = y * width + x
            rank = int(np.asarray(post.ranks)[local]) if local < post.size else -1
            idx = conn.index_of(rank) if rank in local_of else None
            if idx is None:
                continue
            field = np.zeros(ph * pw)
            cols = [pre_index[int(r)] for r in conn.pre_ranks[conn.row(idx)].tolist()]
            field[cols] = proj._values.get_row(variable, idx)
            res[y * ph : (y + 1) * ph, x * pw : (x + 1) * pw] = field.reshape(ph, pw)
    return res


# ---------------------------------------------------------------------------------------------- files
def load_connectivity_file(filename: str, pickle_encoding: str | None = None) -> dict[str, object]:
    """The dictionary of a ``save_connectivity()`` file (for ``from_file``)."""
    from nnc.api.io import load_object

    data = load_object(filename, pickle_encoding)
    missing = [k for k in ("post_ranks", "pre_ranks", "w") if k not in data]
    if missing:
        raise ModelError(
            f"from_file(): {filename} lacks {', '.join(missing)}; was it written by save_connectivity()?"
        )
    return data


def _ragged(rows: list[list]) -> np.ndarray:
    out = np.empty(len(rows), dtype=object)
    for i, r in enumerate(rows):
        out[i] = r
    return out


def _delay_ms(proj: Projection) -> object:
    if proj._decl.delay.value == "none":
        return None
    delay = proj.delay
    return _ragged(delay) if isinstance(delay, list) else delay


def save_connectivity(proj: Projection, filename: str) -> None:
    """Ranks, weights (object array or scalar), delays in ms (None without delays) and sizes (API.md §13)."""
    conn = proj._require_compiled("save_connectivity()")
    w = proj._values.get("w")
    data = {
        "name": proj.name,
        "post_ranks": conn.post_ranks.tolist(),
        "pre_ranks": _ragged(proj.pre_ranks),
        "w": _ragged(w) if isinstance(w, list) else w,
        "delay": _delay_ms(proj),
        "max_delay": proj.max_delay,
        "uniform_delay": proj.uniform_delay,
        "size": proj.size,
        "nb_synapses": proj.nb_synapses,
    }
    from nnc.api.io import save_object

    save_object(filename, data)


def projection_data(proj: Projection) -> dict[str, object]:
    """What ``save()`` stores for a projection (API.md §13)."""
    conn = proj._require_compiled("save()")
    pre_ranks = proj.pre_ranks
    ragged = len(set(conn.row_lengths.tolist())) > 1
    desc: dict[str, object] = {
        "name": proj.name,
        "pre": proj.pre.name,
        "post": proj.post.name,
        "target": proj.target,
        "post_ranks": proj.post_ranks,
        "attributes": proj.attributes,
        "parameters": proj.parameters,
        "variables": proj.variables,
        "delays": proj.delay,
        "pre_ranks": _ragged(pre_ranks) if ragged else np.array(pre_ranks),
    }
    last_event = StateKey(ObjKind.PROJECTION, proj.id, LAST_EVENT)
    if proj._buffers.has(last_event):  # the event-driven variables' clock (DSL.md §9.7)
        steps = conn.gather(proj._values.fmt, proj._buffers.array(last_event))
        desc["last_event"] = (
            _ragged([r.tolist() for r in steps]) if ragged else np.array([r.tolist() for r in steps])
        )
    for name in dict.fromkeys([*proj.attributes, "w"]):
        value = proj._values.get(name)
        desc[name] = (
            _ragged(value)
            if ragged and isinstance(value, list) and value and isinstance(value[0], list)
            else value
        )
    return desc


def save_projection(proj: Projection, filename: str) -> None:
    """Save ``proj._data()`` in the format of the file name's extension."""
    from nnc.api.io import save_object

    save_object(filename, projection_data(proj))


def load_projection(proj: Projection, filename: str, pickle_encoding: str | None = None) -> None:
    """Load a file written by ``save()``."""
    from nnc.api.io import load_object

    restore_projection(proj, load_object(filename, pickle_encoding))


def _rows(values: object) -> list[list]:
    return [np.asarray(r).reshape(-1).tolist() for r in values]  # type: ignore[attr-defined]


def restore_projection(proj: Projection, desc: dict[str, object]) -> None:
    """Apply a saved projection: connectivity if it differs, then weights, delays and attributes."""
    conn = proj._require_compiled("load()")
    if "attributes" not in desc:
        raise ModelError("load(): the data does not describe a projection saved by save()")
    post = [int(p) for p in np.asarray(desc["post_ranks"]).reshape(-1)]
    pre = _rows(desc["pre_ranks"])
    same = post == conn.post_ranks.tolist() and pre == [r.tolist() for r in conn.split(conn.pre_ranks)]
    delays = desc.get("delays", proj.network.dt)
    if not same:
        _rebuild(proj, post, pre, desc["w"], delays)
        print(
            f"INFO: projection {proj.name}: the connectivity was loaded from the saved data", file=sys.stderr
        )
    else:
        proj._values.set("w", desc["w"] if np.ndim(desc["w"]) == 0 else _rows(desc["w"]), None)
        if np.ndim(delays) != 0 or proj._decl.delay.value != "none":
            proj.delay = delays if np.ndim(delays) == 0 else _rows(delays)
    last_event = StateKey(ObjKind.PROJECTION, proj.id, LAST_EVENT)
    if "last_event" in desc and proj._buffers.has(last_event):
        values = np.concatenate(
            [np.asarray(r, dtype=np.int64).reshape(-1) for r in _rows(desc["last_event"])]
        )
        proj._buffers.array(last_event)[:] = proj._conn.scatter(proj._values.fmt, values, np.int32)
    for name in desc["attributes"]:  # type: ignore[attr-defined]
        if name == "w":
            continue
        if name not in proj.attributes:
            proj._warn(f"load(): projection {proj.name} has no attribute '{name}'; skipped")
            continue
        value = desc[name]
        if isinstance(value, np.ndarray) and value.dtype == object:
            value = _rows(value)
        proj._values.set(name, value, None)


def _rebuild(proj: Projection, post: list[int], pre: list[list[int]], w: object, delays: object) -> None:
    """Replace the connectivity of a compiled projection by saved rows."""
    old = proj._conn
    weights = [np.full(len(r), float(w)) for r in pre] if np.ndim(w) == 0 else _rows(w)
    dt = proj.network.dt
    if np.ndim(delays) == 0:
        steps: object = max(0, round(float(delays) / dt))  # type: ignore[arg-type]
        if proj._decl.delay.value == "nonuniform":
            steps = [[steps] * len(r) for r in pre]
    else:
        steps = [
            round_half_even(np.asarray(r, dtype=np.float64) / dt).astype(np.int64) for r in _rows(delays)
        ]
    conn = Connectivity.from_rows((old.n_pre, old.n_post), post, pre, weights, steps)  # type: ignore[arg-type]
    proj._replace_connectivity(conn)
