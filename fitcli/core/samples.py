"""What a model's sample-data generator returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

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


BATCH = 1 << 18  # candidates drawn at a time, at most (bounds the memory of a round)
MIN_DRAWN = 1 << 16  # candidates drawn before a generator may judge it cannot succeed
MIN_ACCEPTED = 1e-3  # the share of candidates it must keep to go on


def draw_until(n: int, draw: Callable[[int], np.ndarray], what: str) -> np.ndarray:
    """n accepted rows from repeated draw(m), each the accepted rows of m new
    candidates: rejection sampling that always ends.  Once MIN_DRAWN candidates are
    drawn it must keep at least MIN_ACCEPTED of them, so its work is at most about
    n / MIN_ACCEPTED candidates.

    Raises:
        ValueError: it keeps fewer; `what` says why a candidate is kept, e.g. "land in
            the image".
    """
    got, kept, drawn = [], 0, 0
    while kept < n:
        m = min(4 * (n - kept), BATCH)
        rows = draw(m)
        got.append(rows)
        kept, drawn = kept + len(rows), drawn + m
        if drawn >= MIN_DRAWN and kept < MIN_ACCEPTED * drawn and kept < n:
            raise ValueError(f"only {kept} of {drawn} random points ({kept / drawn:.2%}) {what}, "
                             f"for {n} asked: the settings must let {MIN_ACCEPTED:.1%} through")
    return np.concatenate(got)[:n]
