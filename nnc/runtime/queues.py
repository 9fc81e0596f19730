"""Delay queues of a population: lengthening them when a delay grows after compile (SEMANTICS.md §5)."""

from __future__ import annotations

import numpy as np

from nnc.backend.abi import PopField, PopKey, QueueKey
from nnc.runtime.buffers import Buffers


def queue_length(buffers: Buffers, pop: int) -> int:
    """Current number of slots of the delay queues of population ``pop``."""
    return buffers.queue_lengths.get(pop, 1)


def grow_queues(buffers: Buffers, pop: int, length: int) -> None:
    """Give every delay queue of ``pop`` at least ``length`` slots, keeping the recorded past.

    Slot ``m`` (age ``m``, 0 = most recent) keeps its value; the new, older slots repeat the oldest
    value known, as if the population had held it since before the queue started. The head returns to 0.
    """
    old_len = queue_length(buffers, pop)
    if length <= old_len:
        return
    size = buffers.module.populations[pop].size
    head = (
        buffers.value(PopKey(pop, PopField.QUEUE_HEAD))
        if buffers.has(PopKey(pop, PopField.QUEUE_HEAD))
        else 0
    )
    ages = (head + np.arange(old_len)) % old_len
    for var in buffers.module.populations[pop].delayed:
        key = QueueKey(pop, var)
        past = buffers.array(key).reshape(old_len, size)[ages].copy()
        new = buffers.reallocate(key, length * size).reshape(length, size)
        new[:old_len] = past
        new[old_len:] = past[-1]
    buffers.queue_lengths[pop] = length
    for f, v in ((PopField.QUEUE_LEN, length), (PopField.QUEUE_HEAD, 0)):
        if buffers.has(PopKey(pop, f)):
            buffers.set_value(PopKey(pop, f), v)
