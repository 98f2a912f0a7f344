"""Timing, tables and the data every section of the benchmark shares."""

from __future__ import annotations

import math
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


def stopwatch(f: Callable[[], Any]) -> Callable[[], tuple[float, Any]]:
    """f as a call returning (its wall seconds, its value)."""
    def call():
        started = time.perf_counter()
        value = f()
        return time.perf_counter() - started, value

    return call


def timed_pair(f: Callable[[], tuple[float, Any]], g: Callable[[], tuple[float, Any]],
               repeat: int, batch_s: float = 0.05) -> tuple[float, Any, float, Any]:
    """(seconds per call of f, f's last value, the same of g), each the median over
    `repeat` samples, f's and g's samples taken in turn so that a busy spell of the
    machine slows both.  f and g return (the seconds they count, their value): see
    stopwatch(), or a peer that times only its own work.  A sample is the mean of as many
    calls as fill `batch_s`: a single call of a few hundred microseconds is at the mercy
    of the scheduler and of the caches another workload left behind."""
    batches = [max(1, math.ceil(batch_s / h()[0])) for h in (f, g)]  # also a warm-up
    samples, last = ([], []), [None, None]
    for _ in range(repeat):
        for j, (h, k) in enumerate(zip((f, g), batches)):
            total = 0.0
            for _ in range(k):
                seconds_, last[j] = h()
                total += seconds_
            samples[j].append(total / k)
    return statistics.median(samples[0]), last[0], statistics.median(samples[1]), last[1]


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


def compiled() -> None:
    """Compile fitcli's modules to bytecode, as pip does when it installs the package:
    the command-line timings then measure fitcli, not the compiler (an editable install
    under PYTHONDONTWRITEBYTECODE compiles every module on every run, about 0.09 s)."""
    import compileall
    from pathlib import Path

    import fitcli

    compileall.compile_dir(str(Path(fitcli.__file__).parent), quiet=1)


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
