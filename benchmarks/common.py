"""Timing, tables and the data every section of the benchmark shares."""

from __future__ import annotations

import os
import platform
import statistics
import time
from typing import Any, Callable

import numpy as np


def timed(f: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """(median wall seconds over `repeat` calls, the last call's value)."""
    times, value = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        value = f()
        times.append(time.perf_counter() - started)
    return statistics.median(times), value


def median_of(values) -> float:
    return statistics.median(values)


def table(header: list[str], rows: list[list[Any]], title: str) -> str:
    """A plain fixed-width text table (what the README quotes verbatim)."""
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[j]) for r in cells)) for j, h in enumerate(header)]
    line = lambda values: "  ".join(v.rjust(w) for v, w in zip(values, widths))  # noqa: E731
    out = [title, line(header), line(["-" * w for w in widths])]
    out += [line(r) for r in cells]
    return "\n".join(out)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        if value == 0 or 1e-3 <= abs(value) < 1e5:
            return f"{value:.4g}" if abs(value) < 10 else f"{value:.1f}"
        return f"{value:.3e}"
    return str(value)


def seconds(value: float) -> str:
    return f"{value * 1e3:.2f} ms" if value < 1 else f"{value:.2f} s"


def machine() -> str:
    """One line naming the machine, the interpreter and the numerical libraries."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next(line.split(":", 1)[1].strip() for line in fh if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    versions = [f"numpy {np.__version__}"]
    for name in ("scipy", "sklearn", "pyarrow"):
        try:
            versions.append(f"{name} {__import__(name).__version__}")
        except ImportError:
            versions.append(f"{name} absent")
    return (f"machine: {cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}; "
            f"Python {platform.python_version()}; " + ", ".join(versions))


def split(name: str, table_: np.ndarray) -> tuple:
    """A (n, columns) table as the model's data tuple."""
    if name == "project3d":
        return table_[:, 0:3], table_[:, 3:5]
    return tuple(np.ascontiguousarray(table_[:, j]) for j in range(3))


def write_csv(path: str, table_: np.ndarray, columns) -> None:
    """Micrometre world coordinates and 1e-4 px image coordinates, as a survey would."""
    fmt = ["%.6f"] * (table_.shape[1] - 2) + ["%.4f", "%.4f"]
    np.savetxt(path, table_, fmt=fmt, delimiter=",", header=",".join(columns), comments="")
