"""Hartley normalisation of point sets (MATH.md section 4)."""

from __future__ import annotations

import numpy as np


class DegenerateDataError(ValueError):
    """The data cannot determine the model (too few distinct points, a plane, a line...)."""


def similarity(points: np.ndarray, what: str) -> tuple[np.ndarray, np.ndarray]:
    """Isotropic normalisation: centroid to the origin, mean distance sqrt(d).

    Args:
        points: (n, d) coordinates.
        what: how to name the points in an error message.

    Returns:
        T (d+1, d+1), the homogeneous similarity, and the normalised (n, d) points.

    Raises:
        DegenerateDataError: all points coincide.
    """
    n, d = points.shape
    centroid = points.mean(axis=0)
    centred = points - centroid
    mean_dist = float(np.sqrt(np.einsum("ij,ij->i", centred, centred)).mean())
    if not mean_dist > 0.0 or mean_dist <= 1e-14 * float(np.abs(centroid).max(initial=0.0)):
        raise DegenerateDataError(f"all {what} are identical: nothing to fit a map to")
    scale = np.sqrt(d) / mean_dist
    T = np.eye(d + 1)
    T[:d, :d] *= scale
    T[:d, d] = -scale * centroid
    centred *= scale
    return T, centred


def affine_1d(values: np.ndarray, what: str) -> tuple[np.ndarray, np.ndarray]:
    """Centre a 1D quantity and scale it to unit standard deviation.

    Returns:
        T (2, 2) acting on homogeneous (value, 1), and the normalised (n,) values.
    """
    mean = float(values.mean())
    spread = float(values.std())
    if not spread > 1e-14 * max(abs(mean), 1e-300):
        raise DegenerateDataError(f"all {what} are equal: nothing to fit a map to")
    T = np.array([[1.0 / spread, -mean / spread], [0.0, 1.0]])
    return T, (values - mean) / spread


def moment_rank(points: np.ndarray, rtol: float = 1e-10) -> int:
    """Affine rank of normalised points (n, d): 0 identical, 1 on a line, 2 on a plane..."""
    if len(points) < 2:
        return 0
    centred = points - points.mean(axis=0)
    # Eigenvalues of the scatter matrix are squared singular values: one pass, d x d.
    ev = np.linalg.eigvalsh(centred.T @ centred)
    return int(np.sum(ev > rtol**2 * ev[-1])) if ev[-1] > 0 else 0
