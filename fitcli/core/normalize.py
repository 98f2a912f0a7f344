"""Hartley normalisation of point sets (docs/math.md s.4)."""

from __future__ import annotations

import math

import numpy as np

CHUNK = 8192  # points per block of the one-pass sums below: blocks stay in cache


class DegenerateDataError(ValueError):
    """The data cannot determine the model (too few distinct points, a plane, a line...)."""


def _blocks(n: int):
    for start in range(0, n, CHUNK):
        yield start, min(n, start + CHUNK)


def _centroid(points: np.ndarray) -> np.ndarray:
    """Column means (d,) of (n, d) points, in one pass whatever the memory layout."""
    if len(points) <= CHUNK:
        return np.add.reduce(points, axis=0) / len(points)
    total, ones = np.zeros(points.shape[1]), np.ones(CHUNK)
    for s, e in _blocks(len(points)):
        total += ones[: e - s] @ points[s:e]
    return total / len(points)


def similarity(points: np.ndarray, what: str) -> tuple[np.ndarray, np.ndarray]:
    """Isotropic normalisation: centroid to the origin, mean distance sqrt(d).

    The points are centred before they are scaled, so coordinates far from the origin
    (e.g. survey coordinates offset by 1e5) keep their digits.

    Args:
        points: (n, d) coordinates.
        what: how to name the points in an error message.

    Returns:
        T (d+1, d+1), the homogeneous similarity, and the normalised (n, d) points,
        column-major (each coordinate contiguous).

    Raises:
        DegenerateDataError: all points coincide.
    """
    n, d = points.shape
    centroid = _centroid(points)
    rows = np.empty((d, n))
    np.subtract(points.T, centroid[:, None], out=rows)
    total = 0.0
    for s, e in _blocks(n):
        block = rows[:, s:e]
        total += float(np.add.reduce(np.sqrt(np.einsum("ij,ij->j", block, block))))
    T = similarity_matrix(centroid, total / n, what)
    rows *= T[0, 0]
    return T, rows.T


def similarity_transform(points: np.ndarray, what: str) -> tuple[np.ndarray, np.ndarray]:
    """(T, centroid) of similarity(points) without the normalised copy: the same
    numbers, block by block (a block of the centred points at a time)."""
    n, d = points.shape
    centroid = _centroid(points)
    total, block = 0.0, np.empty((d, min(n, CHUNK)))
    for s, e in _blocks(n):
        c = block[:, : e - s]
        np.subtract(points[s:e].T, centroid[:, None], out=c)
        total += float(np.add.reduce(np.sqrt(np.einsum("ij,ij->j", c, c))))
    return similarity_matrix(centroid, total / n, what), centroid


def similarity_matrix(centroid: np.ndarray, mean_dist: float, what: str) -> np.ndarray:
    """T (d+1, d+1): centroid (d,) to the origin, mean distance to sqrt(d).

    Raises:
        DegenerateDataError: all points coincide (no spread beyond rounding).
    """
    d = len(centroid)
    if not mean_dist > 0.0 or mean_dist <= 1e-14 * max(map(abs, centroid.tolist()), default=0.0):
        raise DegenerateDataError(f"all {what} are identical: nothing to fit a map to")
    scale = np.sqrt(d) / mean_dist
    T = np.eye(d + 1)
    T[:d, :d] *= scale
    T[:d, d] = -scale * centroid
    return T


def similarity_xy(x: np.ndarray, y: np.ndarray, what: str):
    """similarity() of the 2D points (x, y) given as two arrays: (T, x', y'), with x' and
    y' new contiguous arrays.  The same numbers in fewer steps, for small fits."""
    n = len(x)
    mx, my = float(np.add.reduce(x)) / n, float(np.add.reduce(y)) / n
    dx, dy = x - mx, y - my
    mean_dist = float(np.add.reduce(np.hypot(dx, dy))) / n
    if not mean_dist > 0.0 or mean_dist <= 1e-14 * max(abs(mx), abs(my)):
        raise DegenerateDataError(f"all {what} are identical: nothing to fit a map to")
    scale = math.sqrt(2.0) / mean_dist
    dx *= scale
    dy *= scale
    T = np.array([[scale, 0.0, -scale * mx], [0.0, scale, -scale * my], [0.0, 0.0, 1.0]])
    return T, dx, dy


def planar_rank(x: np.ndarray, y: np.ndarray, rtol: float = 1e-7) -> int:
    """moment_rank of the 2D points (x, y), with the 2x2 scatter's eigenvalues in closed
    form (a few microseconds, where a small fit's whole budget is a few hundred)."""
    n = len(x)
    if n < 2:
        return 0
    mx, my = float(np.add.reduce(x)) / n, float(np.add.reduce(y)) / n
    a = b = c = 0.0
    for s, e in _blocks(n):  # one block for a small fit: the closed form as before
        dx, dy = x[s:e] - mx, y[s:e] - my
        a, b, c = a + float(dx @ dx), b + float(dx @ dy), c + float(dy @ dy)
    half, radius = 0.5 * (a + c), math.hypot(0.5 * (a - c), b)
    largest, smallest = half + radius, max(half - radius, 0.0)
    if largest <= rtol**2 * n * (mx * mx + my * my):
        return 0
    return 2 if smallest > rtol**2 * largest else 1


def affine_1d(values: np.ndarray, what: str) -> tuple[np.ndarray, np.ndarray]:
    """Centre a 1D quantity and scale it to unit standard deviation.

    Returns:
        T (2, 2) acting on homogeneous (value, 1), and the normalised (n,) values.
    """
    mean = float(np.add.reduce(values)) / len(values)
    out = values - mean
    spread = math.sqrt(float(out @ out) / len(out))
    T = affine_matrix(mean, spread, what)
    out /= spread
    return T, out


def affine_matrix(mean: float, spread: float, what: str) -> np.ndarray:
    """T (2, 2) on homogeneous (value, 1): (value - mean) / spread.

    Raises:
        DegenerateDataError: no spread beyond rounding.
    """
    if not spread > 1e-14 * max(abs(mean), 1e-300):
        raise DegenerateDataError(f"all {what} are equal: nothing to fit a map to")
    return np.array([[1.0 / spread, -mean / spread], [0.0, 1.0]])


def moment_rank(points: np.ndarray, rtol: float = 1e-7) -> int:
    """Affine rank of normalised points (n, d): 0 identical, 1 on a line, 2 on a plane...

    A direction counts when its spread is above rtol times the largest.  The scatter
    matrix's small eigenvalues carry rounding of about eps times its largest, so spreads
    (their square roots) below ~1e-8 relative cannot be told from zero: rtol stays above.
    Points whose spread is below rtol times their distance from the origin are one point."""
    if len(points) < 2:
        return 0
    centroid = _centroid(points)
    if len(points) <= CHUNK:
        centred = points - centroid
        scatter = centred.T @ centred
    else:
        scatter = np.zeros((points.shape[1],) * 2)
        buffer = np.empty((points.shape[1], CHUNK))
        for s, e in _blocks(len(points)):
            centred = buffer[:, : e - s]
            np.subtract(points[s:e].T, centroid[:, None], out=centred)
            scatter += centred @ centred.T
    return scatter_rank(scatter, len(points), centroid, rtol)


def scatter_rank(scatter: np.ndarray, n: int, centroid: np.ndarray, rtol: float = 1e-7) -> int:
    """moment_rank from the centred scatter matrix (d, d) of n points and their centroid
    (d,): the sums a pass over the points in chunks accumulates."""
    if n < 2:
        return 0
    # Eigenvalues of the scatter matrix are squared singular values: one pass, d x d.
    ev = np.linalg.eigvalsh(scatter).tolist()
    if ev[-1] <= rtol**2 * n * float(centroid @ centroid):
        return 0  # the spread is rounding of the points' common value
    return sum(e > rtol**2 * ev[-1] for e in ev)


class PointGroup:
    """Columns normalised together (a model's `point_groups`): `spread` is "distance"
    (similarity(): centroid, then mean distance sqrt(d)), "rms" (affine_1d() and
    standardising: mean, then RMS deviation) or "labels" (class labels: not scaled)."""

    def __init__(self, what: str, columns: tuple[int, ...], spread: str):
        self.what, self.columns, self.spread = what, tuple(columns), spread

    def __repr__(self) -> str:
        return f"PointGroup({self.what!r}, {self.columns}, {self.spread!r})"
