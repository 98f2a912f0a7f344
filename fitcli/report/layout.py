"""The report's blocks and how they are laid out to fit the terminal: a table where it
fits at its natural width, otherwise a layout that keeps every number whole (a table's
columns in chunks, or a stacked key/value list), never a cell cut with an ellipsis.

A block is plain data (titles, rows of strings); report.tables builds them, and
report.console lays them out for its width (rich is imported only here, at print time).
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from typing import Any

INDENT = "  "


@dataclass(frozen=True)
class Pairs:
    """A key/value list: (label, value) or (label, value, standard error) rows.  Laid
    out as a table; where that does not fit, as `label: value` lines wrapped at words."""

    title: str
    rows: tuple[tuple[str, ...], ...]
    header: tuple[str, ...] | None = None  # column names, e.g. ("", "value", "std. error")
    caption: str | None = None


@dataclass(frozen=True)
class Grid:
    """A table with a header row, the first column naming the rows (or "" for none).
    Laid out as a table; where that does not fit, its columns in chunks that do, and
    where one column does not, one stacked record per row."""

    title: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    justify: tuple[str, ...] = ()  # per column; default: first left, the rest right
    caption: str | None = None
    simple: bool = False  # light rules (a correlation triangle)
    show_header: bool = True


@dataclass(frozen=True)
class Text:
    """A sentence or two, wrapped at words."""

    text: str
    style: str | None = None


BLOCKS = (Pairs, Grid, Text)


def wrap(text: str, width: int, indent: str = INDENT, first: str = "") -> str:
    """`text` wrapped at spaces to `width` (words longer than a line stay whole), later
    lines indented by `indent`."""
    return "\n".join(textwrap.wrap(first + text, max(width, 20), subsequent_indent=indent,
                                   break_long_words=False, break_on_hyphens=False)) or first


def flow(items, width: int, indent: str = INDENT, first: str = "", gap: str = "  ") -> str:
    """Atomic `items` (e.g. "a: +0.07") joined by `gap` on lines of at most `width`
    (an item longer than a line stays whole), later lines indented by `indent`."""
    lines, line = [], first
    for item in items:
        if line.strip() and len(line) + len(gap) + len(item) > width:
            lines.append(line)
            line = indent + item
        else:
            line = f"{line}{gap}{item}" if line.strip() else line + item
    return "\n".join([*lines, line])


def renderables(block, console) -> list[Any]:
    """The rich renderables of one block laid out for `console.width`: its title and
    caption as text wrapped at words, its rows as a table that fits or as a layout that
    keeps every cell whole.  Text is wrapped on a terminal only: elsewhere (a file, a
    pipe, a CI log) each title and sentence stays one line, for grep."""
    width = console.width
    words = width if console.is_terminal else 10**6
    if isinstance(block, Text):
        return [_text(wrap(block.text, words), block.style)]
    if isinstance(block, Pairs):
        table = _pairs_table(block)
        if _natural(table, console) <= width or _wraps_well(block, table, console):
            body = [table]
        else:
            body = _stacked_pairs(block, width)
    else:
        table = _grid_table(block, range(len(block.header)))
        if _natural(table, console) <= width:
            body = [table]
        else:
            body = _chunked(block, console) or _stacked_grid(block, width)
    title = [_text(wrap(block.title, words), "bold")] if block.title else []
    caption = [_text(wrap(block.caption, words), "dim")] if block.caption else []
    return title + body + caption


def _wraps_well(block: Pairs, table, console) -> bool:
    """Whether the table fits with its values wrapped at words and still 30 columns for
    them (a label column is never wrapped; a number is one word, so it is never cut)."""
    labels = max((len(r[0]) for r in block.rows), default=0)
    minimum = console.measure(table, options=console.options).minimum
    return len(block.header or ()) <= 2 and minimum <= console.width and \
        console.width - labels - 7 >= 30


def _text(text: str, style: str | None = None):
    from rich.text import Text as RichText

    return RichText(text, style=style or "", no_wrap=True, overflow="ignore")


def _natural(renderable, console) -> int:
    """The width `renderable` takes when nothing is wrapped."""
    return console.measure(renderable, options=console.options.update_width(10**6)).maximum


def _numeric(cells) -> bool:
    """Whether every non-empty cell reads as a number (then the column is right-aligned)."""
    for cell in cells:
        try:
            float(cell.replace(" ", ""))
        except ValueError:
            if cell not in ("", "-"):
                return False
    return True


def _table(show_header: bool, **options):
    from rich.table import Table

    return Table(show_header=show_header, **options)


def _pairs_table(block: Pairs):
    table = _table(block.header is not None)
    n = max(len(r) for r in block.rows) if block.rows else 2
    header = block.header or ("",) * n
    for j in range(n):
        cells = [r[j] for r in block.rows if j < len(r)]
        right = j > 0 and _numeric(cells)
        table.add_column(header[j], style="bold" if j == 0 else None,
                         justify="right" if right else "left", no_wrap=j == 0)
    for row in block.rows:
        table.add_row(*row, *([""] * (n - len(row))))
    return table


def _stacked_pairs(block: Pairs, width: int) -> list[Any]:
    """`label: value (std. error s)` lines, wrapped at words with a hanging indent."""
    names = block.header or ()
    lines = []
    for row in block.rows:
        label, rest = row[0], list(row[1:])
        extra = [f"{names[j + 2]} {v}" for j, v in enumerate(rest[1:]) if v and j + 2 < len(names)]
        value = rest[0] if rest else ""
        text = f"{value} ({', '.join(extra)})" if extra else value
        lines.append(_text(wrap(text, width, INDENT * 2, f"{INDENT}{label}: ")))
    return lines


def _justify(block: Grid, j: int) -> str:
    if block.justify:
        return block.justify[j]
    return "right" if j > 0 and _numeric(r[j] for r in block.rows if j < len(r)) else "left"


def _grid_table(block: Grid, columns):
    options = {}
    if block.simple:
        from rich import box

        options = {"box": box.SIMPLE, "padding": (0, 0, 0, 1)}
    table = _table(block.show_header, **options)
    columns = list(columns)
    for j in columns:
        table.add_column(block.header[j], justify=_justify(block, j), no_wrap=True)
    for row in block.rows:
        cells = [row[j] if j < len(row) else "" for j in columns]
        if any(cells[1:]) or len(cells) == 1:  # a row empty in these columns is left out
            table.add_row(*cells)
    return table


def _chunked(block: Grid, console) -> list[Any]:
    """The table with its first column repeated and the others in chunks that fit, each
    under a line naming its columns, or [] if one column with the first does not fit."""
    first, chunks, current = [0], [], []
    for j in range(1, len(block.header)):
        if _natural(_grid_table(block, first + current + [j]), console) <= console.width:
            current.append(j)
        elif current and _natural(_grid_table(block, first + [j]), console) <= console.width:
            chunks.append(current)
            current = [j]
        else:
            return []
    chunks.append(current)
    out = []
    for chunk in chunks:
        names = [block.header[j] or str(j) for j in (chunk[0], chunk[-1])]
        span = f"column {names[0]}" if len(chunk) == 1 else f"columns {names[0]} to {names[1]}"
        out += [_text(INDENT + span, "italic"), _grid_table(block, first + chunk)]
    return out


def _stacked_grid(block: Grid, width: int) -> list[Any]:
    """One record per row: its name, then `column: value` items."""
    out = []
    for row in block.rows:
        if row[0]:
            out.append(_text(wrap(row[0], width, INDENT, INDENT)))
        pairs = [f"{block.header[j] or j}: {row[j]}" for j in range(1, len(row)) if row[j]]
        out.append(_text(flow(pairs, width, INDENT * 2, INDENT * 2)))
    return out
