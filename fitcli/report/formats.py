"""How the report writes numbers: the one general format, a value with its standard
error rounded to what the error says is known, a signed term, a short list."""

from __future__ import annotations

import math
from typing import Any

from ..core.result import plain


def number(value: Any, digits: int = 10, style: str = "g") -> str:
    """The one number format: `digits` significant digits (style "g") or a mantissa of
    `digits` decimals ("e"); "-" for what is missing or not finite."""
    value = plain(value)
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}{style}}"
    return str(value)


def with_error(value: Any, error: Any) -> tuple[str, str]:
    """(value, error) as text, both to the decimal place of the error's second
    significant digit: 1500.53 and 0.78, not 1500.527564 and 0.7766.  Without a finite
    positive error, the value has 7 significant digits and the error is "-"."""
    value, error = plain(value), plain(error)
    if value is None:
        return "-", number(error, 2)
    if error is None or not error > 0:
        return number(value, 7), number(error, 2)
    place = math.floor(math.log10(error)) - 1  # 10^place: the error's 2nd significant digit
    decimals = -place
    if decimals > 6 or abs(value) >= 1e7:
        digits = max(1, math.floor(math.log10(max(abs(value), error))) - place + 1)
        return f"{value:.{digits - 1}e}", f"{error:.1e}"
    decimals = max(decimals, 0)
    return f"{round(value, -place):.{decimals}f}", f"{round(error, -place):.{decimals}f}"


def term(value: float, digits: int = 8) -> str:
    """`value` as a term after another: "+ 0.5", "- 0.04" (not "+ -0.04")."""
    text = f"{abs(value):.{digits}g}"
    return f"- {text}" if value < 0 or (value == 0 and math.copysign(1, value) < 0) else f"+ {text}"


def listing(numbers: list[int], limit: int = 20) -> str:
    """'3, 8, 12, ... (40 more)': the first `limit` numbers of a list."""
    text = ", ".join(map(str, numbers[:limit]))
    return text + (f", ... ({len(numbers) - limit} more)" if len(numbers) > limit else "")


def seconds(value: Any) -> str:
    """A duration to 3 significant digits: 0.0155, 2.31."""
    return number(value, 3)
