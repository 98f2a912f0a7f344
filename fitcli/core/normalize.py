"""Hartley normalisation of point sets (MATH.md section 4)."""

from __future__ import annotations

import math

import numpy as np

CHUNK = 8192  # points per block of the one-pass sums below: blocks stay in cache


class DegenerateDataError(ValueError):
    """The data cannot determine the model (too few distinct points, a plane, a line...)."""


def _blocks(n: int):
    for start in range(0, n, CHUNK):
        yield start, min(n, start + CHUNK)


_TOO_CLOSE = ("the {} spread over only {:.3g}: too little for double precision to scale "
              "them to 1 (multiply them by a power of ten)")


def _unit(values: np.ndarray) -> float:
    """1, or for values so huge (1e300) or tiny (1e-300) that their squares overflow or
    underflow, the power of two at most the largest one: dividing by it is exact, and
    leaves the largest in [1, 2)."""
    largest = max(float(values.max()), -float(values.min())) if values.size else 0.0
    if not largest > 0.0 or 1e-100 < largest < 1e100:
        return 1.0
    return math.ldexp(1.0, math.frexp(largest)[1] - 1)


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
    unit = _unit(points)
    if unit != 1.0:
        points = points / unit  # T below still maps the input's units
    centroid = _centroid(points)
    rows = np.empty((d, n))
    np.subtract(points.T, centroid[:, None], out=rows)
    total = 0.0
    for s, e in _blocks(n):
        block = rows[:, s:e]
        total += float(np.sqrt(np.einsum("ij,ij->j", block, block)).sum())
    mean_dist = total / n
    if not mean_dist > 0.0 or mean_dist <= 1e-14 * float(np.abs(centroid).max(initial=0.0)):
        raise DegenerateDataError(f"all {what} are identical: nothing to fit a map to")
    scale = math.sqrt(d) / mean_dist
    if not math.isfinite(scale / unit):
        raise DegenerateDataError(_TOO_CLOSE.format(what, mean_dist * unit))
    T = np.eye(d + 1)
    T[:d, :d] *= scale / unit
    T[:d, d] = -scale * centroid
    rows *= scale
    return T, rows.T


def affine_1d(values: np.ndarray, what: str) -> tuple[np.ndarray, np.ndarray]:
    """Centre a 1D quantity and scale it to unit standard deviation.

    Returns:
        T (2, 2) acting on homogeneous (value, 1), and the normalised (n,) values.
    """
    unit = _unit(values)
    if unit != 1.0:
        values = values / unit  # T below still maps the input's units
    mean = float(np.add.reduce(values)) / len(values)
    out = values - mean
    spread = math.sqrt(float(out @ out) / len(out))
    if not spread > 1e-14 * max(abs(mean), 1e-300):
        raise DegenerateDataError(f"all {what} are equal: nothing to fit a map to")
    inverse = 1.0 / spread / unit
    if not math.isfinite(inverse):
        raise DegenerateDataError(_TOO_CLOSE.format(what, spread * unit))
    T = np.array([[inverse, -mean / spread], [0.0, 1.0]])
    out /= spread
    return T, out


def moment_rank(points: np.ndarray, rtol: float = 1e-10) -> int:
    """Affine rank of points (n, d): 0 identical, 1 on a line, 2 on a plane..."""
    if len(points) < 2:
        return 0
    unit = _unit(points)
    if unit != 1.0:
        points = points / unit  # the same rank, and squares that stay finite and nonzero
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
    # Eigenvalues of the scatter matrix are squared singular values: one pass, d x d.
    ev = np.linalg.eigvalsh(scatter)
    return int(np.sum(ev > rtol**2 * ev[-1])) if ev[-1] > 0 else 0
