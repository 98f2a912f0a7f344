"""The parameter space of a model as one object: Euclidean, or the unit sphere of a
model with a scale gauge (params and s*params give the same residuals; docs/math.md
s.2, s.3).

The optimizers step along it (`retract`), Levenberg-Marquardt keeps its steps in its
tangent space (`constraint`), and the covariance and the degrees of freedom count its
free directions (`tangent_basis`, `dim`).
"""

from __future__ import annotations

import math

import numpy as np


def unit(params: np.ndarray) -> np.ndarray:
    """Scale to unit Euclidean norm; hypot's norm neither overflows nor underflows for
    entries of 1e200 or 1e-200."""
    return params / math.hypot(*params)


class Euclidean:
    """R^p: every direction is free."""

    gauge = False

    def __init__(self, p: int):
        self.size = p

    @property
    def dim(self) -> int:
        return self.size

    def retract(self, params: np.ndarray) -> np.ndarray:
        return params

    __call__ = retract

    def tangent_basis(self, params: np.ndarray) -> np.ndarray:
        return np.eye(self.size)


class Sphere(Euclidean):
    """The unit sphere in R^p: the gauge direction (params itself) is not free."""

    gauge = True

    @property
    def dim(self) -> int:
        return self.size - 1

    def retract(self, params: np.ndarray) -> np.ndarray:
        return unit(params)

    __call__ = retract

    def tangent_basis(self, params: np.ndarray) -> np.ndarray:
        """An orthonormal basis (p, p - 1) of the complement of params."""
        p = self.size
        return np.linalg.qr(np.column_stack([params, np.eye(p)]))[0][:, 1:p]


__all__ = ["Euclidean", "Sphere", "unit"]
