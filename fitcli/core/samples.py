"""What a model's sample-data generator returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Synthetic:
    """Points (n, len(columns)) drawn from the model `params` (canonical form)."""

    model: str
    columns: tuple[str, ...]
    table: np.ndarray
    params: np.ndarray
    settings: dict[str, Any] = field(default_factory=dict)
    outlier: np.ndarray | None = None  # (n,) bool: rows replaced by gross errors
    options: dict[str, Any] = field(default_factory=dict)  # the model variant drawn from


def pick_outliers(rng: np.random.Generator, n: int, fraction: float) -> np.ndarray:
    """(n,) bool: round(fraction n) rows chosen at random."""
    bad = np.zeros(n, bool)
    bad[rng.choice(n, int(round(fraction * n)), replace=False)] = True
    return bad
