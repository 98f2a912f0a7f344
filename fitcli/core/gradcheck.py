"""Central finite differences: the oracle for every hand-derived derivative (MATH.md s.5)."""

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
    """|a - n| / max(|a|, |n|, floor): floor keeps near-zero partials from dominating."""
    scale = np.maximum(np.maximum(np.abs(analytic), np.abs(numeric)), 1e-8 * max(np.max(np.abs(numeric)), 1e-300))
    return np.abs(analytic - numeric) / scale
