"""CSV out: a header and rows of numbers, each in its shortest exact form."""

from __future__ import annotations

import numpy as np


def format_csv(columns, table: np.ndarray) -> str:
    """Header and rows; each float in its shortest exact form, integer columns as ints."""
    formats = []
    for j in range(table.shape[1]):
        col = table[:, j]
        integral = bool(np.all(col == np.round(col))) and np.all(np.abs(col) < 2**53)
        formats.append((lambda v: str(int(v))) if integral else repr)
    lines = [",".join(columns)]
    for row in table.tolist():
        lines.append(",".join(f(v) for f, v in zip(formats, row)))
    return "\n".join(lines) + "\n"
