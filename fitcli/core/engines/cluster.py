"""The dask engine: partitions loaded once on the workers of a Dask cluster, each pass
one task per worker and a sum of the small results on the client.

Dask's distributed futures directly (no dask.dataframe): the partitions are dealt in
consecutive runs, one run to each worker, and loaded there by their own load()
(pyarrow for Parquet); a run stays on its worker as the future of its list of Chunks,
and a prepared state (the model's kernel on the normalised points) is the future of a
task on that list, computed where the chunks live.  So the scheduler's cost of a task
(milliseconds) is paid once per worker a pass, not once per partition, and a run's
partials are combined on its worker.  The cluster is the scheduler at `scheduler`, else
the one dask's configuration names (scheduler-address, e.g. the DASK_SCHEDULER_ADDRESS
variable), else a local cluster of one worker per core.
"""

from __future__ import annotations

import logging
import os

import numpy as np

from .base import Engine, combine


def _load(run):
    return [partition.load() for partition in run]


def _renumber(chunks, firsts):
    return [chunk._replace(first=int(first)) for chunk, first in zip(chunks, firsts)]


def _each(states, fn, *args):
    """fn(state, *args) for each state of a worker's run."""
    return [fn(state, *args) for state in states]


def _combined(states, task, *args):
    """The run's partials of task, combined on the worker (in partition order)."""
    return combine(task(state, *args) for state in states)


def runs(count: int, parts: int) -> list[range]:
    """`count` partitions in at most `parts` consecutive runs of sizes within one."""
    parts = max(1, min(parts, count))
    edges = [count * i // parts for i in range(parts + 1)]
    return [range(a, b) for a, b in zip(edges, edges[1:])]


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
        workers = sorted(client.scheduler_info().get("workers", {}))
        self.runs = runs(len(self.partitions), len(workers) or 1)
        self.states = [  # once, on the workers: a run to each
            client.submit(_load, [self.partitions[i] for i in run], pure=False,
                          workers=workers[j:j + 1] or None, allow_other_workers=True)
            for j, run in enumerate(self.runs)]
        self._offsets = np.zeros(len(self.partitions), dtype=np.int64)

    def _map(self, fn, base, args):
        """fn(run's states, *args) on each run's worker: futures, in run order."""
        k = len(base)
        return self.client.map(fn, base, *[[a] * k for a in args], pure=False)

    def renumber(self, offsets):
        self._offsets = np.asarray(offsets, dtype=np.int64)
        firsts = [self._offsets[run.start:run.stop].tolist() for run in self.runs]
        self.states = self.client.map(_renumber, self.states, firsts, pure=False)

    def prepare(self, fn, *args, on=None):
        return self._map(_each, self.states if on is None else on, (fn, *args))

    def reduce(self, task, *args, on=None):
        self.passes += 1
        futures = self._map(_combined, self.states if on is None else on, (task, *args))
        return combine(self.client.gather(futures))

    def close(self) -> None:
        if self._own_client:
            self.client.close()
        if self._cluster is not None:
            self._cluster.close()


__all__ = ["DaskEngine", "local_cluster", "runs"]
