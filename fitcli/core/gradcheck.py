"""Central finite differences: the oracle for every hand-derived derivative (docs/math.md s.5)."""

from __future__ import annotations

from typing import Callable

import numpy as np


def numeric_jacobian(f: Callable[[np.ndarray], np.ndarray], params: np.ndarray, rel_step: float = 1e-6) -> np.ndarray:
    """(f(p + h e_j) - f(p - h e_j)) / 2h column by column; h = rel_step * max(|p|, 1)."""
    params = np.asarray(params, dtype=float)
    h = rel_step * max(float(np.max(np.abs(params))), 1.0)
    columns = []
    for j in range(len(params)):
        e = np.zeros_like(params)
        e[j] = h
        columns.append((np.asarray(f(params + e)) - np.asarray(f(params - e))) / (2 * h))
    return np.stack(columns, axis=-1)


def numeric_gradient(f: Callable[[np.ndarray], float], params: np.ndarray, rel_step: float = 1e-6) -> np.ndarray:
    """Central-difference gradient (p,) of a scalar function."""
    return numeric_jacobian(lambda p: np.array([f(p)]), params, rel_step)[0]


def relative_errors(analytic: np.ndarray, numeric: np.ndarray) -> np.ndarray:
    """Per parameter (last axis): |a - n| / max(|a|, |n|) over the residuals (other axes),
    in the Euclidean norm; a gradient (p,) is compared element by element.  A floor of
    1e-8 x the largest partial keeps a partial that is zero from dividing by zero."""
    analytic, numeric = np.asarray(analytic, float), np.asarray(numeric, float)
    if analytic.ndim == 1:
        diff, size = np.abs(analytic - numeric), np.maximum(np.abs(analytic), np.abs(numeric))
    else:
        axes = tuple(range(analytic.ndim - 1))
        diff = np.sqrt(np.sum((analytic - numeric) ** 2, axis=axes))
        size = np.maximum(np.sqrt(np.sum(analytic**2, axis=axes)), np.sqrt(np.sum(numeric**2, axis=axes)))
    floor = 1e-8 * max(float(np.max(size)), 1e-300)
    return diff / np.maximum(size, floor)




def gradient_with_error(f: Callable[[np.ndarray], float], params: np.ndarray,
                        steps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Central differences D(h), D(2h) with steps h (p,) and 2h: the gradient (p,) and a
    bound (p,) on its error.

    Truncation makes D(h) = g + c h^2 + O(h^4), so (4 D(h) - D(2h)) / 3 (Richardson) is
    the gradient to O(h^4), and |D(h) - D(2h)| = 3 c h^2 bounds what is left; 64 eps |f| / h
    covers rounding in f, in case the two differences agree by chance.
    """
    params = np.asarray(params, dtype=float)
    f0 = abs(f(params))

    def central(h):
        out = np.empty_like(params)
        for j in range(len(params)):
            e = np.zeros_like(params)
            e[j] = h[j]
            out[j] = (f(params + e) - f(params - e)) / (2 * h[j])
        return out

    g1, g2 = central(steps), central(2 * steps)
    return (4 * g1 - g2) / 3, np.abs(g1 - g2) + 64 * np.finfo(float).eps * f0 / steps


def disagrees(analytic: np.ndarray, numeric: np.ndarray, noise: np.ndarray, tol: float) -> np.ndarray:
    """(p,) bool: the relative error exceeds `tol` AND the difference exceeds `noise`, what
    the comparison itself may be off by (so a vanishing gradient is not a failure)."""
    rel = relative_errors(analytic, numeric)
    return (rel > tol) & (np.abs(analytic - numeric) > noise)
