"""Where each post-synaptic neuron of a convolution or pooling projection looks: anchors and boxes.

Pure NumPy, following the reference's rules (API.md §11):

* a filter is centred on the anchor: offset ``i_w - c(n)`` for filter index ``i_w`` of a dimension of
  length ``n``, with ``c(n) = n // 2`` for odd ``n`` and ``n // 2 - 1`` for even ``n``;
* without a ``subsampling`` list, a post dimension of ``m`` neurons over a pre dimension of ``s·m``
  neurons samples every ``s``-th neuron from ``(s - 1) // 2`` (an error unless ``s`` is a whole number);
  a pre dimension the post population lacks is anchored at the filter's centre;
* a bank of filters adds the filter index as the last post dimension (the fastest-varying one);
* pooling anchors the box at ``i · extent`` (its first corner) in each post dimension, 0 beyond them.
"""

from __future__ import annotations

import itertools

import numpy as np

from nnc.diagnostics import ModelError


def center_filter(n: int) -> int:
    """Index of a filter dimension of length ``n`` that lies on the anchor."""
    return n // 2 if n % 2 == 1 else n // 2 - 1


def _sampled(pre: int, post: int, what: str) -> list[int]:
    sample = pre // post if post else 0
    if post == 0 or post * sample != pre:
        raise ModelError(
            f"{what}: The pre-synaptic dimensions must be a multiple of the post-synaptic ones for "
            "down-sampling to work."
        )
    return [(sample - 1) // 2 + sample * i for i in range(post)]


def _product(ranges: list[list[int]]) -> np.ndarray:
    rows = list(itertools.product(*ranges))
    return np.array(rows, dtype=np.int32).reshape(len(rows), len(ranges))


def _subsampling(subsampling: object, n: int, dims: int, what: str) -> np.ndarray:
    try:
        anchors = np.asarray(subsampling, dtype=np.int64)
    except (TypeError, ValueError):
        anchors = None
    if anchors is None or anchors.shape != (n, dims):
        raise ModelError(f"{what}: The sub-sampling list must have {n} elements of size {dims}")
    return anchors.astype(np.int32)


def filter_anchors(
    pre: tuple[int, ...],
    post: tuple[int, ...],
    kernel: tuple[int, ...],
    keep_last_dimension: bool,
    subsampling: object,
) -> np.ndarray:
    """Anchor of every post neuron (``[post size, len(pre)]``) for one filter of shape ``kernel``."""
    n_post = int(np.prod(post))
    if subsampling is not None:
        return _subsampling(subsampling, n_post, len(pre), "Convolution")
    ranges: list[list[int]] = []
    for dim in range(len(pre)):
        if dim < len(post):
            ranges.append(_sampled(pre[dim], post[dim], "Convolution"))
        elif keep_last_dimension:
            raise ModelError(
                "Convolution: with keep_last_dimension=True the post-synaptic population needs as many "
                "dimensions as the pre-synaptic one"
            )
        else:
            ranges.append([center_filter(kernel[dim])])
    anchors = _product(ranges)
    if len(anchors) != n_post:
        raise ModelError(
            f"Convolution: the post-synaptic geometry {post} does not match the pre-synaptic geometry "
            f"{pre} and the filter {kernel}"
        )
    return anchors


def bank_anchors(
    pre: tuple[int, ...],
    post: tuple[int, ...],
    kernel: tuple[int, ...],
    n_filters: int,
    subsampling: object,
) -> np.ndarray:
    """Anchor of every post neuron for a bank of ``n_filters`` filters of shape ``kernel`` (the last
    post dimension is the filter index): ``[post size, len(pre)]``, each anchor repeated per filter."""
    n_post = int(np.prod(post))
    if subsampling is not None:
        base = _subsampling(subsampling, n_post // n_filters, len(pre), "Convolution")
        return np.repeat(base, n_filters, axis=0)
    ranges: list[list[int]] = []
    for dim in range(len(pre)):
        if dim < len(post) - 1:
            ranges.append(_sampled(pre[dim], post[dim], "Convolution"))
        else:
            ranges.append([center_filter(kernel[dim])])
    anchors = np.repeat(_product(ranges), n_filters, axis=0)
    if len(anchors) != n_post:
        raise ModelError(
            f"Convolution: the post-synaptic geometry {post} does not match the pre-synaptic geometry "
            f"{pre} and the bank of {n_filters} filters {kernel}"
        )
    return anchors


def pooling_anchors(pre: tuple[int, ...], post: tuple[int, ...], extent: tuple[int, ...]) -> np.ndarray:
    """First corner of the pooling box of every post neuron: ``i · extent`` per post dimension, 0
    beyond (``[post size, len(pre)]``)."""
    ranges = [
        [int(i * extent[dim]) for i in range(post[dim])] if dim < len(post) else [0]
        for dim in range(len(pre))
    ]
    anchors = _product(ranges)
    n_post = int(np.prod(post))
    if len(anchors) != n_post:
        raise ModelError(f"Pooling: the post-synaptic geometry {post} does not fit the pre-synaptic {pre}")
    return anchors
