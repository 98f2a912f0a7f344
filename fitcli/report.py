"""The only printer: results to stdout (rich table or JSON), progress and messages to stderr.

Rich honours NO_COLOR and never colours or animates what is not a terminal; progress is
animated only on a terminal without NO_COLOR, and is a plain throttled log line otherwise.
"""

from __future__ import annotations

import json
import os
import sys
import time
from contextlib import contextmanager
from typing import Any, Callable, Iterator

from rich.console import Console

stderr = Console(stderr=True, soft_wrap=True, highlight=False)
LOG_EVERY_SECONDS = 1.0
REFRESH_SECONDS = 0.1


def error(message: str) -> None:
    stderr.print(f"error: {message}", markup=False, highlight=False)


def note(message: str, quiet: bool = False) -> None:
    if not quiet:
        stderr.print(f"note: {message}", markup=False, highlight=False)


def warn(message: str) -> None:
    stderr.print(f"warning: {message}", markup=False, highlight=False)


def _animated() -> bool:
    return stderr.is_terminal and not stderr.is_dumb_terminal and "NO_COLOR" not in os.environ


def _progress_text(info, figures: Callable[[Any], dict]) -> str:
    parts = [f"iter {info.iteration:>5d}", f"loss {info.cost:.9g}"]
    parts += [f"{k} {v:.6g}" for k, v in figures(info).items()]
    return "  ".join(parts)


@contextmanager
def progress(label: str, quiet: bool, figures: Callable[[Any], dict]) -> Iterator[Callable]:
    """A callback for the fit loop: a transient rich status line on a terminal, else a
    log line to stderr at most once a second.  `figures(info)` adds the model's error
    measure; it is evaluated only when something is printed."""
    if quiet:
        yield lambda info: None
        return
    last = [0.0]
    if not _animated():

        def log(info):
            now = time.monotonic()
            if info.iteration == 1 or now - last[0] >= LOG_EVERY_SECONDS:
                last[0] = now
                stderr.print(f"{label}: {_progress_text(info, figures)}", markup=False)

        yield log
        return
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
        console=stderr, transient=True, redirect_stdout=False, redirect_stderr=False,
    ) as bar:
        task = bar.add_task(label, total=None)

        def update(info):
            now = time.monotonic()
            if now - last[0] >= REFRESH_SECONDS:
                last[0] = now
                bar.update(task, description=f"{label}: {_progress_text(info, figures)}")

        yield update


def write_json(document: dict[str, Any]) -> None:
    """One JSON document on stdout; NaN/inf must already be None."""
    sys.stdout.write(json.dumps(document, indent=2, allow_nan=False) + "\n")
    sys.stdout.flush()


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.10g}"
    if value is None:
        return "-"
    return str(value)


def result_tables(document: dict[str, Any], figures: list[tuple[str, str]]):
    """Rich renderables: the parameters (and matrix) and the final figures."""
    from rich.table import Table

    params = Table(title=f"{document['model']}: fitted parameters", title_justify="left")
    params.add_column("parameter")
    params.add_column("value", justify="right")
    for name, value in document["params"].items():
        params.add_row(name, _fmt(value))
    out = [params]
    if "matrix" in document:
        matrix = Table(title="matrix (" + document["normalization"] + ")", title_justify="left",
                       show_header=False)
        for row in document["matrix"]:
            matrix.add_row(*(_fmt(v) for v in row))
        out.append(matrix)
    summary = Table(title="fit", title_justify="left", show_header=False)
    summary.add_column(style="bold")
    summary.add_column(justify="right")
    for label, key in figures:
        if key in document:
            summary.add_row(label, _fmt(document[key]))
    out.append(summary)
    return out


def print_tables(renderables) -> None:
    console = Console(soft_wrap=True, highlight=False)
    for item in renderables:
        console.print(item)


def figures_table(title: str, rows):
    """A rich table of (label, value) rows, values formatted as in the result tables."""
    from rich.table import Table

    table = Table(title=title, title_justify="left", show_header=False)
    table.add_column(style="bold")
    table.add_column(justify="right")
    for label, value in rows:
        table.add_row(label, _fmt(value))
    return table


def print_stderr(renderables) -> None:
    """Tables for people on stderr, where stdout carries data (fitcli predict)."""
    for item in renderables:
        stderr.print(item)
