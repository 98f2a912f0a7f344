"""The reduction contract of the engines, and the serial engine (stream).

A partition is any object with `load(check=True, into=None) -> Chunk` (check: the values
are checked; False on a stream engine's later passes over what the first one checked;
into: a Scratch the values may be written into); a Chunk is a block of points as
column-major float64 values (k, m) in the model's column order, with the global index
of its first row.  A task is a picklable function task(state, *args) -> Partial, where
state is what the engine holds for the partition (the Chunk, or what a `prepare` step
made of it, e.g. the model's kernel on the normalised points).  Partials combine by
adding `sums`, taking the largest `maxima` and stacking `items` (rows) in partition order.
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple

import numpy as np


class Chunk(NamedTuple):
    """Points (k, m): column j is the model's column j; `first` is the global 0-based
    index of the first row (the points before it in the partitions' order)."""

    values: np.ndarray
    first: int

    @property
    def n(self) -> int:
        return self.values.shape[1]


class Partial(NamedTuple):
    """One partition's part of a reduction (None: nothing to add)."""

    sums: np.ndarray | None = None
    maxima: np.ndarray | None = None
    items: np.ndarray | None = None  # (r, j) rows, stacked across partitions


def combine(partials) -> Partial:
    """Sum the sums, take the largest maxima, stack the items, in the order given."""
    sums = maxima = None
    items = []
    for p in partials:
        if p is None:
            continue
        if p.sums is not None:
            sums = p.sums.copy() if sums is None else sums + p.sums
        if p.maxima is not None:
            maxima = p.maxima.copy() if maxima is None else np.maximum(maxima, p.maxima)
        if p.items is not None and len(p.items):
            items.append(p.items)
    return Partial(sums, maxima, np.concatenate(items) if items else None)


class ArrayPartition:
    """A partition held in memory (tests, and the chunks of an array split by rows)."""

    def __init__(self, values: np.ndarray, first: int):
        self.values, self.first = np.ascontiguousarray(values, dtype=float), first

    def load(self, check: bool = True, into: Scratch | None = None) -> Chunk:
        return Chunk(self.values, self.first)


class Scratch:
    """A buffer a stream engine's loads write their values into, pass after pass:
    a chunk is dropped before the next is read, and a fresh (k, m) array per load cost
    as much as the read itself (its pages faulted in anew: 0.2 s a pass at 10^7 points).
    The values of a load are valid until the next; a task copies what it keeps."""

    def __init__(self):
        self._flat = np.empty(0)

    def __call__(self, k: int, m: int) -> np.ndarray:
        """A C-contiguous (k, m) array (its previous contents undefined)."""
        if self._flat.size < k * m:
            self._flat = np.empty(k * m)
        return self._flat[: k * m].reshape(k, m)


def split_rows(table: np.ndarray, sizes) -> list[ArrayPartition]:
    """Partitions of the rows of table (n, k) with the given sizes (summing to n)."""
    out, start = [], 0
    for size in sizes:
        out.append(ArrayPartition(table[start : start + size].T, start))
        start += size
    return out


class Engine:
    """Runs reductions over partitions; `passes` counts them."""

    name = "engine"

    def __init__(self):
        self.passes = 0

    def prepare(self, fn: Callable, *args: Any, on=None):
        """A handle to fn(state, *args) for every partition (state: the Chunk, or the
        state of the handle `on`), for later reductions."""
        raise NotImplementedError

    def reduce(self, task: Callable, *args: Any, on=None) -> Partial:
        """combine(task(state, *args) for every partition), one pass."""
        raise NotImplementedError

    def renumber(self, offsets: np.ndarray) -> None:
        """Give partition i's chunks the first global row index offsets[i]."""
        raise NotImplementedError

    @property
    def offsets(self) -> np.ndarray:
        """Each partition's first global row index (after renumber)."""
        return self._offsets

    def close(self) -> None:
        pass


class StreamEngine(Engine):
    """One machine: every pass loads each partition again (memory flat in n: two
    partitions at a time); a prepared state is rebuilt from the chunk on each pass.

    The next partition is read in a thread while the pass works on this one (pyarrow's
    read and numpy's arithmetic let go of the interpreter), into the other of two
    buffers: the one a task is reading is never written.  An error in a read is raised
    when the pass reaches that partition, as a serial read would raise it."""

    name = "stream"

    def __init__(self, partitions):
        super().__init__()
        self.partitions = list(partitions)
        self._offsets = np.zeros(len(self.partitions), dtype=np.int64)
        self._scratch = (Scratch(), Scratch())
        self._reader = None

    def renumber(self, offsets):
        self._offsets = np.asarray(offsets, dtype=np.int64)

    def prepare(self, fn, *args, on=None):
        return (on, fn, args)

    def _state(self, chunk: Chunk, handle):
        if handle is None:
            return chunk
        on, fn, args = handle
        return fn(self._state(chunk, on), *args)

    def _chunks(self):
        """Each partition's Chunk in order, the next one read ahead."""
        count, check = len(self.partitions), self.passes <= 1  # the first pass checks
        if not count:
            return
        if self._reader is None:
            from concurrent.futures import ThreadPoolExecutor

            self._reader = ThreadPoolExecutor(1, thread_name_prefix="fitcli-read")

        def load(i: int) -> Chunk:
            chunk = self.partitions[i].load(check=check, into=self._scratch[i % 2])
            return chunk._replace(first=int(self._offsets[i]))

        ahead = self._reader.submit(load, 0)
        try:
            for i in range(count):
                chunk = ahead.result()
                ahead = self._reader.submit(load, i + 1) if i + 1 < count else None
                yield chunk
        finally:  # a task failed or was interrupted: the read under way ends first
            if ahead is not None and not ahead.cancel():
                from concurrent.futures import wait

                wait([ahead])

    def reduce(self, task, *args, on=None):
        self.passes += 1
        return combine(task(self._state(chunk, on), *args) for chunk in self._chunks())

    def close(self) -> None:
        if self._reader is not None:
            self._reader.shutdown(wait=True)
            self._reader = None


__all__ = ["ArrayPartition", "Chunk", "Engine", "Partial", "Scratch", "StreamEngine", "combine",
           "split_rows"]
