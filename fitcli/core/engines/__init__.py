"""Engines: where a fit's passes over the points run (docs/design.md, "Engines").

Every pass a fit makes is a reduction: each partition of the points turns into a small
vector of sums (or maxima, or a few rows), and the partials are combined.  An engine
runs the reductions; the fit above it (engines.fit) does not know where the points are.

    memory  the points in arrays (core.fit, today's path; not an engine object)
    stream  one machine, data larger than memory: each pass reads every partition again
    dask    partitions loaded once on the workers of a Dask cluster; each pass is one map
            and a sum of small results (needs the `dask` extra)

The partitions come from the shell (io: Parquet row groups, CSV byte ranges): objects
with a `load()` that returns a core.engines.base.Chunk, picklable for the cluster.
"""

from __future__ import annotations

from ..choices import ENGINE_NAMES


def make_engine(name: str, partitions, scheduler: str | None = None):
    """The engine `name` ("stream" or "dask") over `partitions` (see base.Engine)."""
    if name == "stream":
        from .base import StreamEngine

        return StreamEngine(partitions)
    if name == "dask":
        from .cluster import DaskEngine

        return DaskEngine(partitions, scheduler)
    raise ValueError(f"unknown engine {name!r}; choose from {', '.join(ENGINE_NAMES[1:])}")


__all__ = ["ENGINE_NAMES", "make_engine"]
