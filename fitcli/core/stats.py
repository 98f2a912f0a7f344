"""Distributions the report needs, without scipy: the chi-square distribution."""

from __future__ import annotations

import math


def _lower_series(a: float, x: float) -> float:
    """Regularised lower incomplete gamma P(a, x) by its power series (x < a + 1)."""
    term = total = 1.0 / a
    ap = a
    for _ in range(100000):
        ap += 1.0
        term *= x / ap
        total += term
        if abs(term) < abs(total) * 1e-16:
            break
    return total * math.exp(-x + a * math.log(x) - math.lgamma(a))


def _upper_fraction(a: float, x: float) -> float:
    """Regularised upper incomplete gamma Q(a, x) by Lentz's continued fraction (x >= a + 1)."""
    tiny = 1e-300
    b = x + 1.0 - a
    c = 1.0 / tiny
    d = 1.0 / b
    h = d
    for i in range(1, 100000):
        an = -i * (i - a)
        b += 2.0
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1.0 / d
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-16:
            break
    return math.exp(-x + a * math.log(x) - math.lgamma(a)) * h


def chi2_cdf(x: float, df: float) -> float:
    """P(chi2_df <= x)."""
    if x <= 0:
        return 0.0
    if x == math.inf:
        return 1.0
    a, h = df / 2.0, x / 2.0
    return _lower_series(a, h) if h < a + 1.0 else 1.0 - _upper_fraction(a, h)


def chi2_sf(x: float, df: float) -> float:
    """P(chi2_df > x), accurate in the far upper tail."""
    if x <= 0:
        return 1.0
    if x == math.inf:
        return 0.0
    a, h = df / 2.0, x / 2.0
    return 1.0 - _lower_series(a, h) if h < a + 1.0 else _upper_fraction(a, h)
