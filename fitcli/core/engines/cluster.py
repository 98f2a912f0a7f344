"""The dask engine: partitions loaded once on the workers of a Dask cluster, each pass
one map of a task over them and a sum of the small results on the client.

Dask's distributed futures directly (no dask.dataframe): a partition is loaded by its
own load() on a worker (pyarrow for Parquet) and stays there, as the future of its
Chunk; a prepared state (the model's kernel on the normalised points) is the future of
a task on it, computed where the chunk lives.  The cluster is the scheduler at
`scheduler`, else the one dask's configuration names (scheduler-address, e.g. the
DASK_SCHEDULER_ADDRESS variable), else a local cluster of one worker per core.
"""

from __future__ import annotations

import logging
import os

import numpy as np

from .base import Engine, combine


def _load(partition):
    return partition.load()


def _renumber(chunk, first: int):
    return chunk._replace(first=int(first))


def _address(scheduler: str | None) -> str | None:
    import dask

    return scheduler or dask.config.get("scheduler-address", None)


def local_cluster(processes: bool = True, n_workers: int | None = None):
    """A cluster on this machine: one single-threaded worker per core."""
    from distributed import LocalCluster

    return LocalCluster(n_workers=n_workers or os.cpu_count() or 2, threads_per_worker=1,
                        processes=processes, dashboard_address=":0", silence_logs=logging.ERROR)


class DaskEngine(Engine):
    """Reductions on a Dask cluster (`client`: an existing distributed.Client)."""

    name = "dask"

    def __init__(self, partitions, scheduler: str | None = None, client=None):
        super().__init__()
        from distributed import Client

        self._cluster = None
        if client is None:
            address = _address(scheduler)
            if address is None:
                self._cluster = local_cluster()
                address = self._cluster
            client = Client(address, set_as_default=False)
            self._own_client = True
        else:
            self._own_client = False
        self.client = client
        self.partitions = list(partitions)
        self.states = client.map(_load, self.partitions, pure=False)  # once, on the workers
        self._offsets = np.zeros(len(self.partitions), dtype=np.int64)

    def _map(self, fn, base, args):
        k = len(base)
        return self.client.map(fn, base, *[[a] * k for a in args], pure=False)

    def renumber(self, offsets):
        self._offsets = np.asarray(offsets, dtype=np.int64)
        self.states = self.client.map(_renumber, self.states, self._offsets.tolist(), pure=False)

    def prepare(self, fn, *args, on=None):
        return self._map(fn, self.states if on is None else on, args)

    def reduce(self, task, *args, on=None):
        self.passes += 1
        futures = self._map(task, self.states if on is None else on, args)
        return combine(self.client.gather(futures))

    def close(self) -> None:
        if self._own_client:
            self.client.close()
        if self._cluster is not None:
            self._cluster.close()


__all__ = ["DaskEngine", "local_cluster"]
