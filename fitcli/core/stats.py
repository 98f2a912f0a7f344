"""Distributions the report needs, without scipy: the chi-square distribution; and the
median of a sample."""

from __future__ import annotations

import math

import numpy as np


def median(values: np.ndarray, overwrite: bool = False) -> float:
    """np.median of a 1-D sample (NaN if it holds one; NaN for none), by one partition:
    np.median's own check for NaN imports numpy.ma, 10 ms of a command's start."""
    n = len(values)
    if not n:
        return math.nan
    part = values if overwrite else values.copy()
    part.partition([(n - 1) // 2, n // 2, n - 1])
    if math.isnan(part[-1]):  # NaN sorts last
        return math.nan
    low, high = part[(n - 1) // 2], part[n // 2]
    return float(low) if n % 2 else float((low + high) / 2)


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


def _beta_fraction(a: float, b: float, x: float) -> float:
    """The continued fraction of the incomplete beta function (modified Lentz)."""
    tiny = 1e-300
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (tiny if abs(d) < tiny else d)
    h = d
    for m in range(1, 100000):
        for num in (m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
                    -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))):
            d = 1.0 + num * d
            d = 1.0 / (tiny if abs(d) < tiny else d)
            c = 1.0 + num / c
            c = tiny if abs(c) < tiny else c
            h *= d * c
        if abs(d * c - 1.0) < 1e-16:
            break
    return h


def beta_inc(a: float, b: float, x: float) -> float:
    """The regularised incomplete beta function I_x(a, b), 0 <= x <= 1."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
                     + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _beta_fraction(a, b, x) / a
    return 1.0 - front * _beta_fraction(b, a, 1.0 - x) / b


def f_sf(f: float, d1: float, d2: float) -> float:
    """P(F(d1, d2) > f), the F distribution's upper tail (the nested-model test)."""
    if not f > 0:
        return 1.0
    if f == math.inf:
        return 0.0
    return beta_inc(d2 / 2.0, d1 / 2.0, d2 / (d2 + d1 * f))
