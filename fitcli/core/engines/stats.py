"""The statistics a fit needs before its first pass of the kernel, as two reductions:
counts, column sums and extremes (the range checks), then, about the centroids, the
mean distance or RMS deviation of each of the model's point groups and their centred
scatter (the normalisation, and the ranks the degeneracy checks read)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..normalize import PointGroup, affine_matrix, scatter_rank, similarity_matrix
from ..objective import blocks
from .base import Chunk, Partial


def first_moments(chunk: Chunk) -> Partial:
    """sums (1 + k): n and the column sums; maxima (3k): max |v|, max v, -min v; items
    (1, 1): this partition's n (the engine numbers the rows from them)."""
    v, count = chunk.values, np.array([[chunk.n]])
    if not chunk.n:
        return Partial(items=count)
    top, bottom = v.max(axis=1), v.min(axis=1)
    sums = np.concatenate([[chunk.n], _column_sums(v)])
    return Partial(sums, np.concatenate([np.maximum(top, -bottom), top, -bottom]), count)


def _column_sums(v: np.ndarray) -> np.ndarray:
    total, ones = np.zeros(len(v)), np.ones(min(v.shape[1], 8192))
    for s, e in blocks(v.shape[1]):
        total += v[:, s:e] @ ones[: e - s]
    return total


def second_moments(chunk: Chunk, means: np.ndarray, groups, low: np.ndarray,
                   high: np.ndarray) -> Partial | None:
    """Per group, about its centroid: sum of distances (or of squares) and the scatter
    (d, d); for labels, the counts equal to the lowest and the highest value."""
    if not chunk.n:
        return None
    out = []
    for g in groups:
        cols = list(g.columns)
        if g.spread == "labels":
            v = chunk.values[cols[0]]
            out.append([np.count_nonzero(v == low[cols[0]]), np.count_nonzero(v == high[cols[0]])])
            continue
        spread, scatter = 0.0, np.zeros((len(cols), len(cols)))
        for s, e in blocks(chunk.n):
            c = chunk.values[cols, s:e] - means[cols, None]
            scatter += c @ c.T
            if g.spread == "distance":
                spread += float(np.add.reduce(np.sqrt(np.einsum("ij,ij->j", c, c))))
        spread = spread if g.spread == "distance" else float(np.trace(scatter))
        out.append([spread, *scatter.ravel()])
    return Partial(np.concatenate([np.asarray(o, float) for o in out]))


@dataclass(frozen=True)
class PointStats:
    """What the two passes found: n; per column the mean, the largest |value|, the
    highest and lowest; per group its spread (mean distance or RMS) and scatter."""

    n: int
    mean: np.ndarray
    largest: np.ndarray
    high: np.ndarray
    low: np.ndarray
    groups: tuple[PointGroup, ...]
    spread: dict
    scatter: dict
    label_counts: dict

    def centroid(self, g: int) -> np.ndarray:
        return self.mean[list(self.groups[g].columns)]

    def similarity(self, g: int) -> np.ndarray:
        """T of normalize.similarity for group g."""
        return similarity_matrix(self.centroid(g), self.spread[g], self.groups[g].what)

    def affine(self, g: int) -> np.ndarray:
        """T of normalize.affine_1d for the one column of group g."""
        return affine_matrix(float(self.centroid(g)[0]), self.spread[g], self.groups[g].what)

    def rank(self, g: int) -> int:
        """normalize.moment_rank of group g's points."""
        return scatter_rank(self.scatter[g], self.n, self.centroid(g))


def point_stats(engine, groups) -> PointStats:
    """Two passes: the first moments, then the second about the centroids.

    Raises:
        ValueError: no points.
    """
    first = engine.reduce(first_moments)
    counts = first.items[:, 0].astype(np.int64)
    engine.renumber(np.concatenate([[0], np.cumsum(counts)[:-1]]))
    if first.sums is None or not first.sums[0]:
        raise ValueError("no data rows")
    n, k = int(first.sums[0]), len(first.sums) - 1
    mean = first.sums[1:] / n
    largest, high, low = first.maxima[:k], first.maxima[k : 2 * k], -first.maxima[2 * k :]
    second = engine.reduce(second_moments, mean, groups, low, high).sums
    spread, scatter, counts, at = {}, {}, {}, 0
    for i, g in enumerate(groups):
        if g.spread == "labels":
            counts[i] = (int(second[at]), int(second[at + 1]))
            at += 2
            continue
        d = len(g.columns)
        total, S = second[at], second[at + 1 : at + 1 + d * d].reshape(d, d)
        at += 1 + d * d
        spread[i] = total / n if g.spread == "distance" else float(np.sqrt(total / n))
        scatter[i] = S
    return PointStats(n, mean, largest, high, low, tuple(groups), spread, scatter, counts)


__all__ = ["PointStats", "first_moments", "point_stats", "second_moments"]
